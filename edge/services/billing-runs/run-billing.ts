import { desc, eq } from 'drizzle-orm';
import { billingRuns } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { loadBillingCatalog } from '../subscriptions/billing-catalog.ts';
import { finishEndedSubscriptions } from '../subscriptions/cancel-subscription.ts';
import { applyDueScheduledChanges } from '../subscriptions/change-plan.ts';
import { billChunk, type BillingCursor, type ChunkResult } from './bill-subscriptions.ts';

type BillingRunRow = typeof billingRuns.$inferSelect;

// Subscriptions per transaction: big enough that statements stay multi-row, small enough
// that other writers wait well under a second for the database.
const chunkSize = 2_000;
// Billing in advance is fine; a run far in the future is a typo.
const maxAheadMs = 366 * 86_400_000;

export const presentBillingRun = (row: BillingRunRow, failures: ChunkResult['failures'] = []) => ({
  id: row.id,
  as_of: row.asOf.toISOString(),
  status: row.status,
  invoices_created: row.invoicesCreated,
  lines_created: row.linesCreated,
  failures,
  created_by: row.createdBy,
  started_at: row.startedAt.toISOString(),
  finished_at: row.finishedAt?.toISOString() ?? null,
});

/**
 * Bills everything due up to `as_of` (business-rules.md "Billing run"), chunk by chunk,
 * each chunk its own transaction: a crash loses at most the chunk in flight, and a new
 * run picks up where it stopped. Running again for the same instant, or two runs at once,
 * creates nothing more: each chunk re-reads what is due under the write lock, and
 * (subscription, period) is unique. A subscription that cannot be priced is reported in
 * `failures` and left for the next run instead of stopping everyone's billing.
 */
export async function runBilling({ ctx, input }: { ctx: TenantContext; input: { as_of: string } }) {
  const asOf = new Date(input.as_of);
  const now = new Date(ctx.platform.now());
  if (asOf.getTime() > now.getTime() + maxAheadMs) throw new AppError('unprocessable', 'as_of may be at most a year ahead', { errors: [{ path: 'as_of', message: 'more than a year from now' }] });
  const id = uuidv7(now.getTime());
  await ctx.db.insert(billingRuns).values({ id, asOf, status: 'running', invoicesCreated: 0, linesCreated: 0, createdBy: ctx.actor.id, startedAt: now });
  let invoices = 0;
  let lines = 0;
  const failures: ChunkResult['failures'] = [];
  try {
    await ctx.db.transaction(async (tx) => applyDueScheduledChanges(tx, ctx, await loadBillingCatalog(tx, now), asOf));
    let cursor: BillingCursor = null;
    for (;;) {
      const chunk = await ctx.db.transaction(async (tx) =>
        billChunk(tx, { catalog: await loadBillingCatalog(tx, now), timeZone: ctx.tenant.timezone, runId: id, asOf, now, cursor, limit: chunkSize }),
      );
      invoices += chunk.invoices;
      lines += chunk.lines;
      failures.push(...chunk.failures);
      cursor = chunk.cursor;
      if (chunk.seen < chunkSize) break;
    }
    // After billing, so the last stub before a cancellation's end is billed in this run.
    await ctx.db.transaction(async (tx) => finishEndedSubscriptions(tx, asOf));
  } catch (error) {
    await ctx.db.update(billingRuns).set({ status: 'failed', invoicesCreated: invoices, linesCreated: lines, finishedAt: new Date(ctx.platform.now()) }).where(eq(billingRuns.id, id));
    throw error;
  }
  const finishedAt = new Date(ctx.platform.now());
  const [row] = await ctx.db.transaction(async (tx) => {
    const updated = await tx.update(billingRuns).set({ status: 'completed', invoicesCreated: invoices, linesCreated: lines, finishedAt }).where(eq(billingRuns.id, id)).returning();
    await appendAuditEvent(tx, ctx, { action: 'billing_run.completed', resource: 'billing_run', resourceId: id, changes: { as_of: asOf.toISOString(), invoices_created: invoices, lines_created: lines, failures: failures.length } });
    return updated;
  });
  if (failures.length) ctx.log.warn('billing run left subscriptions unbilled', { run_id: id, failures: failures.length, first: failures[0] });
  return presentBillingRun(row!, failures);
}

export async function getBillingRun({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const [row] = await ctx.db.select().from(billingRuns).where(eq(billingRuns.id, input.id));
  if (!row) throw new AppError('not_found', `no billing run ${input.id}`);
  return presentBillingRun(row);
}

export async function listBillingRuns({ ctx, input }: { ctx: TenantContext; input: { limit: number } }) {
  const rows = await ctx.db.select().from(billingRuns).orderBy(desc(billingRuns.id)).limit(input.limit);
  return { data: rows.map((row) => presentBillingRun(row)), next_cursor: null };
}
