import { and, asc, desc, eq, gt, gte, lt, type SQL } from 'drizzle-orm';
import { auditEvents } from '../../../db/shared/audit-events.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { pageOf } from '../page-of.ts';

export type AuditFilter = {
  actor_id?: string | undefined;
  action?: string | undefined;
  resource?: string | undefined;
  resource_id?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
};

export const presentAuditEvent = (e: typeof auditEvents.$inferSelect) => ({
  seq: e.seq,
  id: e.id,
  at: e.at.toISOString(),
  actor_type: e.actorType,
  actor_id: e.actorId,
  action: e.action,
  resource: e.resource,
  resource_id: e.resourceId,
  changes: e.changes ? (JSON.parse(e.changes) as Record<string, unknown>) : null,
  request_id: e.requestId,
  ip: e.ip,
  prev_hash: e.prevHash,
  hash: e.hash,
});

const conditions = (f: AuditFilter, seek: SQL | undefined): SQL | undefined =>
  and(
    f.actor_id ? eq(auditEvents.actorId, f.actor_id) : undefined,
    f.action ? eq(auditEvents.action, f.action) : undefined,
    f.resource ? eq(auditEvents.resource, f.resource) : undefined,
    f.resource_id ? eq(auditEvents.resourceId, f.resource_id) : undefined,
    f.from ? gte(auditEvents.at, new Date(f.from)) : undefined,
    f.to ? lt(auditEvents.at, new Date(f.to)) : undefined,
    seek,
  );

type AuditPageInput = AuditFilter & { limit: number; cursor?: string | undefined };

/** The sequence number inside a cursor (the route decoded it from the opaque form). */
function seqOf(cursor: string | undefined): number | undefined {
  const seq = cursor === undefined ? undefined : Number(cursor);
  if (seq !== undefined && !Number.isSafeInteger(seq)) {
    throw new AppError('validation_failed', 'cursor is not one this API returned', {
      errors: [{ path: 'cursor', message: 'not a cursor this API returned' }],
    });
  }
  return seq;
}

/** Newest first; the cursor is the sequence number of the last entry returned. */
export async function listAuditEvents({ ctx, input }: { ctx: TenantContext; input: AuditPageInput }) {
  const before = seqOf(input.cursor);
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(conditions(input, before === undefined ? undefined : lt(auditEvents.seq, before)))
    .orderBy(desc(auditEvents.seq))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentAuditEvent, (row) => String(row.seq));
}

/**
 * Oldest first, the order the hash chain links them in (GET /audit-events/export, for
 * checking or archiving the chain); the cursor is the sequence number of the last entry.
 */
export async function listAuditEventsInChainOrder({ ctx, input }: { ctx: TenantContext; input: AuditPageInput }) {
  const after = seqOf(input.cursor);
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(conditions(input, after === undefined ? undefined : gt(auditEvents.seq, after)))
    .orderBy(asc(auditEvents.seq))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentAuditEvent, (row) => String(row.seq));
}

export const csvColumns = [
  'seq',
  'id',
  'at',
  'actor_type',
  'actor_id',
  'action',
  'resource',
  'resource_id',
  'changes',
  'request_id',
  'ip',
  'prev_hash',
  'hash',
] as const;
