import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { apiKeys, type StaffRole } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { mayGrantRole } from '../../permissions.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { formatApiKey } from './api-key-format.ts';
import { pageOf } from '../page-of.ts';

const presentApiKey = (k: typeof apiKeys.$inferSelect) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  created_by: k.createdBy,
  created_at: k.createdAt.toISOString(),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

/** Returns the secret once; only its SHA-256 is stored (the secret has 256 bits of entropy). */
export async function createApiKey({ ctx, input }: { ctx: TenantContext; input: { name: string; role: StaffRole } }) {
  if (!ctx.principal || !mayGrantRole(ctx.principal.role, input.role)) throw new AppError('forbidden', `your role cannot grant the ${input.role} role`);
  const id = uuidv7();
  const secret = randomToken(32);
  const key = formatApiKey(ctx.tenant.slug, id, secret);
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({ id, name: input.name, role: input.role, secretHash: await sha256Hex(secret), prefix: key.slice(0, 16), createdBy: ctx.actor.id, createdAt: now })
      .returning();
    await appendAuditEvent(tx, ctx, { action: 'api_key.created', resource: 'api_key', resourceId: id, changes: { name: input.name, role: input.role } });
    return { ...presentApiKey(row!), secret: key };
  });
}

export async function listApiKeys({ ctx, input }: { ctx: TenantContext; input: { limit: number; cursor?: string | undefined; include_revoked?: boolean | undefined } }) {
  const rows = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(input.include_revoked ? undefined : isNull(apiKeys.revokedAt), input.cursor ? gt(apiKeys.id, input.cursor) : undefined))
    .orderBy(asc(apiKeys.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentApiKey, (row) => row.id);
}

export async function revokeApiKey({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(apiKeys).where(and(eq(apiKeys.id, input.id), isNull(apiKeys.revokedAt)));
    if (!row) throw new AppError('not_found', `no active API key ${input.id}`);
    await tx.update(apiKeys).set({ revokedAt: new Date(ctx.platform.now()) }).where(eq(apiKeys.id, row.id));
    await appendAuditEvent(tx, ctx, { action: 'api_key.revoked', resource: 'api_key', resourceId: row.id });
  });
}
