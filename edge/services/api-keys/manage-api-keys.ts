import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { apiKeys, type StaffRole } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { mayGrantRole, permissionsNotHeld, permissionsOf, type Permission } from '../../permissions.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { formatApiKey } from './api-key-format.ts';
import { keyPermissions } from './key-permissions.ts';
import { pageOf } from '../page-of.ts';

const presentApiKey = (k: typeof apiKeys.$inferSelect) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  scopes: [...keyPermissions(k.role, k.scopes)],
  prefix: k.prefix,
  created_by: k.createdBy,
  created_at: k.createdAt.toISOString(),
  expires_at: k.expiresAt?.toISOString() ?? null,
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

export type ApiKeyInput = {
  name: string;
  role: StaffRole;
  scopes?: Permission[] | undefined;
  expires_at?: string | undefined;
};

/**
 * Returns the secret once; only its SHA-256 is stored (the secret has 256 bits of entropy).
 * A key may use its scopes (all of its role's permissions when none are given); they must
 * lie within its role (422) and within what its creator holds itself (403).
 */
export async function createApiKey({ ctx, input }: { ctx: TenantContext; input: ApiKeyInput }) {
  const grantor = ctx.principal;
  if (!grantor || (input.role === 'owner' && !mayGrantRole(grantor, 'owner'))) {
    throw new AppError('forbidden', `your role cannot grant the ${input.role} role`);
  }
  const role = permissionsOf(input.role);
  const outsideRole = (input.scopes ?? []).flatMap((scope, i) =>
    role.has(scope) ? [] : [{ path: `scopes.${i}`, message: `the ${input.role} role does not have ${scope}` }],
  );
  if (outsideRole.length > 0) {
    throw new AppError('unprocessable', "scopes must be permissions of the key's role", { errors: outsideRole });
  }
  const now = ctx.platform.now();
  const expiresAt = input.expires_at === undefined ? null : new Date(input.expires_at);
  if (expiresAt && expiresAt.getTime() <= now) {
    const errors = [{ path: 'expires_at', message: 'must be in the future' }];
    throw new AppError('unprocessable', 'the expiry is in the past', { errors });
  }
  const notHeld = permissionsNotHeld(grantor, input.scopes ?? role);
  if (notHeld.length > 0) {
    throw new AppError('forbidden', `you cannot grant permissions you do not hold: ${notHeld.join(', ')}`);
  }

  const id = uuidv7();
  const secret = randomToken(32);
  const key = formatApiKey(ctx.tenant.slug, id, secret);
  const scopes = input.scopes ? [...new Set(input.scopes)] : null;
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        id,
        name: input.name,
        role: input.role,
        scopes,
        expiresAt,
        secretHash: await sha256Hex(secret),
        prefix: key.slice(0, 16),
        createdBy: ctx.actor.id,
        createdAt: new Date(now),
      })
      .returning();
    const changes = { name: input.name, role: input.role, scopes, expires_at: input.expires_at ?? null };
    await appendAuditEvent(tx, ctx, { action: 'api_key.created', resource: 'api_key', resourceId: id, changes });
    return { ...presentApiKey(row!), secret: key };
  });
}

type ListInput = { limit: number; cursor?: string | undefined; include_revoked?: boolean | undefined };

export async function listApiKeys({ ctx, input }: { ctx: TenantContext; input: ListInput }) {
  const rows = await ctx.db
    .select()
    .from(apiKeys)
    .where(
      and(
        input.include_revoked ? undefined : isNull(apiKeys.revokedAt),
        input.cursor ? gt(apiKeys.id, input.cursor) : undefined,
      ),
    )
    .orderBy(asc(apiKeys.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentApiKey, (row) => row.id);
}

export async function revokeApiKey({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, input.id), isNull(apiKeys.revokedAt)));
    if (!row) throw new AppError('not_found', `no active API key ${input.id}`);
    await tx
      .update(apiKeys)
      .set({ revokedAt: new Date(ctx.platform.now()) })
      .where(eq(apiKeys.id, row.id));
    await appendAuditEvent(tx, ctx, { action: 'api_key.revoked', resource: 'api_key', resourceId: row.id });
  });
}
