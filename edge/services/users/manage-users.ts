import { and, asc, eq, gt, isNull, ne, count, sql } from 'drizzle-orm';
import { users, type StaffRole } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { hashPassword } from '../../lib/password.ts';
import { mayGrantRole } from '../../permissions.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { presentUser } from './present-user.ts';
import { pageOf } from '../page-of.ts';

const live = isNull(users.deletedAt);

// Judged by the permissions the caller holds, so a scoped API key cannot make a user wider than its scopes.
const assertMayGrant = (ctx: TenantContext, role: StaffRole) => {
  if (!ctx.principal || !mayGrantRole(ctx.principal, role)) {
    throw new AppError('forbidden', `your role cannot grant the ${role} role`);
  }
};

export async function listUsers({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(users)
    .where(and(live, input.cursor ? gt(users.id, input.cursor) : undefined))
    .orderBy(asc(users.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentUser, (row) => row.id);
}

const findUser = async (ctx: TenantContext, id: string) => {
  const [row] = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.id, id), live));
  if (!row) throw new AppError('not_found', `no user ${id}`);
  return row;
};

export const getUser = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentUser(await findUser(ctx, input.id));

export type CreateUserInput = { email: string; name: string; role: StaffRole; password: string };

export async function createUser({ ctx, input }: { ctx: TenantContext; input: CreateUserInput }) {
  assertMayGrant(ctx, input.role);
  const email = input.email.toLowerCase();
  const now = new Date(ctx.platform.now());
  const id = uuidv7();
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    const [clash] = await tx
      .select({ id: users.id, deletedAt: users.deletedAt })
      .from(users)
      .where(eq(users.email, email));
    if (clash && !clash.deletedAt) throw new AppError('conflict', `a user with email ${email} already exists`);
    // A deleted user's email may be reused: the old row keeps its history under a tombstone address.
    if (clash)
      await tx
        .update(users)
        .set({ email: `deleted+${clash.id}@invalid` })
        .where(eq(users.id, clash.id));
    const [row] = await tx
      .insert(users)
      .values({
        id,
        email,
        name: input.name,
        role: input.role,
        status: 'active',
        passwordHash,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'user.created',
      resource: 'user',
      resourceId: id,
      changes: { email, name: input.name, role: input.role },
    });
    return presentUser(row!);
  });
}

export type UpdateUserInput = {
  name?: string | undefined;
  role?: StaffRole | undefined;
  status?: 'active' | 'disabled' | undefined;
  password?: string | undefined;
};

const countOwners = async (db: Pick<TenantContext['db'], 'select'>, except: string) => {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, 'owner'), eq(users.status, 'active'), live, ne(users.id, except)));
  return row?.n ?? 0;
};

export async function updateUser({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: UpdateUserInput };
}) {
  const { patch } = input;
  const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(users)
      .where(and(eq(users.id, input.id), live));
    if (!row) throw new AppError('not_found', `no user ${input.id}`);
    // Changing someone needs the power to grant both their current and their new role.
    assertMayGrant(ctx, row.role);
    if (patch.role) assertMayGrant(ctx, patch.role);
    const losesOwner = row.role === 'owner' && ((patch.role && patch.role !== 'owner') || patch.status === 'disabled');
    if (losesOwner && (await countOwners(tx, row.id)) === 0)
      throw new AppError('invalid_state', 'a tenant must keep at least one active owner');
    const changes: Record<string, unknown> = {};
    if (patch.name !== undefined && patch.name !== row.name) changes.name = patch.name;
    if (patch.role !== undefined && patch.role !== row.role) changes.role = patch.role;
    if (patch.status !== undefined && patch.status !== row.status) changes.status = patch.status;
    if (passwordHash) changes.password = '[changed]';
    if (Object.keys(changes).length === 0) return presentUser(row);
    const [updated] = await tx
      .update(users)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(passwordHash
          ? { passwordHash, failedLogins: 0, lockedUntil: null, sessionEpoch: sql`${users.sessionEpoch} + 1` }
          : {}),
        updatedAt: new Date(ctx.platform.now()),
      })
      .where(eq(users.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, { action: 'user.updated', resource: 'user', resourceId: row.id, changes });
    return presentUser(updated!);
  });
}

/** Deletion keeps the row (audit history points at it) but the account can never log in again. */
export async function deleteUser({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(users)
      .where(and(eq(users.id, input.id), live));
    if (!row) throw new AppError('not_found', `no user ${input.id}`);
    assertMayGrant(ctx, row.role);
    if (ctx.principal?.kind === 'user' && ctx.principal.id === row.id)
      throw new AppError('invalid_state', 'you cannot delete yourself');
    if (row.role === 'owner' && (await countOwners(tx, row.id)) === 0)
      throw new AppError('invalid_state', 'a tenant must keep at least one active owner');
    const now = new Date(ctx.platform.now());
    await tx
      .update(users)
      .set({ status: 'disabled', deletedAt: now, updatedAt: now, totpSecret: null, totpEnabledAt: null })
      .where(eq(users.id, row.id));
    await appendAuditEvent(tx, ctx, { action: 'user.deleted', resource: 'user', resourceId: row.id });
  });
}
