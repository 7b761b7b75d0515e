import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { auditEvents } from '../../../db/shared/audit-events.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { toCsv } from '../../lib/csv.ts';
import { decodeCursor, pageOf } from '../page-of.ts';

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

const conditions = (f: AuditFilter, beforeSeq: number | undefined): SQL | undefined =>
  and(
    f.actor_id ? eq(auditEvents.actorId, f.actor_id) : undefined,
    f.action ? eq(auditEvents.action, f.action) : undefined,
    f.resource ? eq(auditEvents.resource, f.resource) : undefined,
    f.resource_id ? eq(auditEvents.resourceId, f.resource_id) : undefined,
    f.from ? gte(auditEvents.at, new Date(f.from)) : undefined,
    f.to ? lt(auditEvents.at, new Date(f.to)) : undefined,
    beforeSeq !== undefined ? lt(auditEvents.seq, beforeSeq) : undefined,
  );

/** Newest first; the cursor is the sequence number of the last entry returned. */
export async function listAuditEvents({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: AuditFilter & { limit: number; cursor?: string | undefined };
}) {
  const before = input.cursor === undefined ? undefined : Number(input.cursor);
  if (before !== undefined && !Number.isSafeInteger(before)) {
    throw new AppError('validation_failed', 'cursor is not one this API returned', {
      errors: [{ path: 'cursor', message: 'invalid cursor' }],
    });
  }
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(conditions(input, before))
    .orderBy(desc(auditEvents.seq))
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

/** Every matching entry as CSV, oldest first, read in pages. */
export async function exportAuditEventsCsv({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: AuditFilter;
}): Promise<string> {
  let cursor: string | undefined;
  const pages: ReturnType<typeof presentAuditEvent>[][] = [];
  do {
    const page = await listAuditEvents({ ctx, input: { ...input, limit: 1000, cursor } });
    pages.push(page.data);
    cursor = page.next_cursor === null ? undefined : (decodeCursor(page.next_cursor) ?? undefined);
  } while (cursor);
  return toCsv(csvColumns, pages.flat().reverse());
}
