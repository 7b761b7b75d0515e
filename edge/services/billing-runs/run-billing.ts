import { and, asc, desc, eq, gt, lt, lte, sql } from 'drizzle-orm';
import { billingRunFailures, billingRuns } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { inList, insertFromJson } from '../bulk-rows.ts';
import { pageOf } from '../page-of.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { loadBillingCatalog } from '../subscriptions/billing-catalog.ts';
import { applyDueScheduledChanges } from '../subscriptions/change-plan.ts';
import { billChunk, type BillingCursor, type ChunkResult } from './bill-subscriptions.ts';
import { billWaitingCharges } from './bill-waiting-charges.ts';

type BillingRunRow = typeof billingRuns.$inferSelect;

// Subscriptions per transaction: big enough that statements stay multi-row, small enough
// that other writers wait well under a second for the database.
const chunkSize = 2_000;
// Billing in advance is fine; a run far in the future is a typo.
const maxAheadMs = 366 * 86_400_000;

type Failure = ChunkResult['failures'][number];
// The event names at most this many of a run's failures; the run lists them all.
const failuresInEvent = 100;

const presentBillingRun = (row: BillingRunRow, { failures, next_cursor }: EmbeddedFailures) => ({
  id: row.id,
  as_of: row.asOf.toISOString(),
  status: row.status,
  invoices_created: row.invoicesCreated,
  lines_created: row.linesCreated,
  failures,
  failures_next_cursor: next_cursor,
  created_by: row.createdBy,
  started_at: row.startedAt.toISOString(),
  finished_at: row.finishedAt?.toISOString() ?? null,
});

/**
 * Bills everything due up to `as_of` (business-rules.md "Billing run"), chunk by chunk,
 * each chunk its own transaction: a crash loses at most the chunk in flight, and a new
 * run picks up where it stopped. Running again for the same instant, or two runs at once,
 * creates nothing more: each chunk re-reads what is due under the write lock, and
 * (subscription, period) is unique. A subscription that cannot be priced is left for the
 * next run instead of stopping everyone's billing: it is kept on the run
 * (billing_run_failures, written with its chunk) and announced by one
 * `billing_run.items_failed` event, so an operator or a webhook consumer hears of it.
 */
export async function runBilling({ ctx, input }: { ctx: TenantContext; input: { as_of: string } }) {
  const asOf = new Date(input.as_of);
  const now = new Date(ctx.platform.now());
  if (asOf.getTime() > now.getTime() + maxAheadMs)
    throw new AppError('unprocessable', 'as_of may be at most a year ahead', {
      errors: [{ path: 'as_of', message: 'more than a year from now' }],
    });
  const id = uuidv7(now.getTime());
  await ctx.db.transaction(async (tx) => {
    await tx.insert(billingRuns).values({
      id,
      asOf,
      status: 'running',
      invoicesCreated: 0,
      linesCreated: 0,
      createdBy: ctx.actor.id,
      startedAt: now,
    });
    await ctx.keyResource?.(tx, id);
  });
  let invoices = 0;
  let lines = 0;
  const failures: Failure[] = [];
  const failed = new Set<string>();
  // A subscriber's other subscriptions are pulled into the chunk that meets the first one,
  // so a failing one can be met again by a later chunk: it is kept once.
  const keepFailures = async (tx: TenantTx, chunk: ChunkResult) => {
    const fresh = chunk.failures.filter((f) => !failed.has(f.subscription_id));
    for (const f of fresh) failed.add(f.subscription_id);
    const rows = fresh.map((f) => [uuidv7(now.getTime()), id, f.subscription_id, f.message, now.getTime()]);
    await insertFromJson(
      tx,
      'billing_run_failures',
      ['id', 'run_id', 'subscription_id', 'message', 'created_at'],
      rows,
    );
    failures.push(...fresh);
  };
  try {
    await ctx.db.transaction(async (tx) => applyDueScheduledChanges(tx, ctx, await loadBillingCatalog(tx, now), asOf));
    let cursor: BillingCursor = null;
    for (;;) {
      const chunk = await ctx.db.transaction(async (tx) => {
        const catalog = await loadBillingCatalog(tx, now);
        const done = await billChunk(tx, {
          catalog,
          timeZone: ctx.tenant.timezone,
          runId: id,
          asOf,
          now,
          cursor,
          limit: chunkSize,
        });
        await keepFailures(tx, done);
        return done;
      });
      invoices += chunk.invoices;
      lines += chunk.lines;
      cursor = chunk.cursor;
      if (chunk.seen < chunkSize) break;
    }
    // After the chunks, which rated the last overage of ended subscriptions and closed them.
    for (let waiting: string | null = null; ;) {
      const chunk = await ctx.db.transaction(async (tx) =>
        billWaitingCharges(tx, {
          timeZone: ctx.tenant.timezone,
          runId: id,
          asOf,
          now,
          cursor: waiting,
          limit: chunkSize,
        }),
      );
      invoices += chunk.invoices;
      lines += chunk.lines;
      waiting = chunk.cursor;
      if (chunk.seen < chunkSize) break;
    }
  } catch (error) {
    await ctx.db
      .update(billingRuns)
      .set({
        status: 'failed',
        invoicesCreated: invoices,
        linesCreated: lines,
        finishedAt: new Date(ctx.platform.now()),
      })
      .where(eq(billingRuns.id, id));
    throw error;
  }
  const finishedAt = new Date(ctx.platform.now());
  const [row] = await ctx.db.transaction(async (tx) => {
    const updated = await tx
      .update(billingRuns)
      .set({ status: 'completed', invoicesCreated: invoices, linesCreated: lines, finishedAt })
      .where(eq(billingRuns.id, id))
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'billing_run.completed',
      resource: 'billing_run',
      resourceId: id,
      changes: {
        as_of: asOf.toISOString(),
        invoices_created: invoices,
        lines_created: lines,
        failures: failures.length,
      },
    });
    if (failures.length) {
      const payload = {
        as_of: asOf.toISOString(),
        failed: failures.length,
        failures: failures.slice(0, failuresInEvent),
      };
      await recordDomainEvent(
        tx,
        { type: 'billing_run.items_failed', subjectType: 'billing_run', subjectId: id, payload },
        finishedAt,
      );
    }
    return updated;
  });
  if (failures.length)
    ctx.log.warn('billing run left subscriptions unbilled', {
      run_id: id,
      failures: failures.length,
      first: failures[0],
    });
  return presentBillingRun(row!, (await failuresOf(ctx.db, [id])).get(id) ?? noFailures);
}

/**
 * At most this many failures ride on a run (issue 13 "nested lists paged": a run can fail
 * thousands); `failures_next_cursor` continues them on GET /billing-runs/{id}/failures.
 */
export const embeddedFailures = 100;
type EmbeddedFailures = { failures: Failure[]; next_cursor: string | null };

/** The first embeddedFailures failures of each of these runs, in the order they were met. */
async function failuresOf(db: TenantReader, runIds: readonly string[]): Promise<Map<string, EmbeddedFailures>> {
  const ranked = db
    .select({
      id: billingRunFailures.id,
      runId: billingRunFailures.runId,
      subscriptionId: billingRunFailures.subscriptionId,
      message: billingRunFailures.message,
      n: sql<number>`row_number() OVER (PARTITION BY ${billingRunFailures.runId} ORDER BY ${billingRunFailures.id})`.as(
        'n',
      ),
    })
    .from(billingRunFailures)
    .where(inList(billingRunFailures.runId, runIds))
    .as('ranked');
  const rows = runIds.length
    ? await db
        .select()
        .from(ranked)
        .where(lte(ranked.n, embeddedFailures + 1))
        .orderBy(asc(ranked.runId), asc(ranked.id))
    : [];
  const byRun = new Map<string, typeof rows>();
  for (const row of rows) byRun.set(row.runId, [...(byRun.get(row.runId) ?? []), row]);
  return new Map(
    runIds.map((runId) => {
      const { data, next_cursor } = pageOf(byRun.get(runId) ?? [], embeddedFailures, presentFailure, (f) => f.id);
      return [runId, { failures: data, next_cursor }];
    }),
  );
}

const presentFailure = (row: { subscriptionId: string; message: string }): Failure => ({
  subscription_id: row.subscriptionId,
  message: row.message,
});
const noFailures: EmbeddedFailures = { failures: [], next_cursor: null };

/** A page of a run's failures in the order they were met; the cursor is the last one's id. */
export async function listBillingRunFailures({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  const [run] = await ctx.db.select({ id: billingRuns.id }).from(billingRuns).where(eq(billingRuns.id, input.id));
  if (!run) throw new AppError('not_found', `no billing run ${input.id}`);
  const rows = await ctx.db
    .select()
    .from(billingRunFailures)
    .where(
      and(
        eq(billingRunFailures.runId, run.id),
        input.cursor === undefined ? undefined : gt(billingRunFailures.id, input.cursor),
      ),
    )
    .orderBy(asc(billingRunFailures.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentFailure, (row) => row.id);
}

export async function getBillingRun({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const [row] = await ctx.db.select().from(billingRuns).where(eq(billingRuns.id, input.id));
  if (!row) throw new AppError('not_found', `no billing run ${input.id}`);
  return presentBillingRun(row, (await failuresOf(ctx.db, [row.id])).get(row.id) ?? noFailures);
}

/** Newest first: ids are UUIDv7 of the start, so id order is start order; the cursor is the last id. */
export async function listBillingRuns({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(billingRuns)
    .where(input.cursor ? lt(billingRuns.id, input.cursor) : undefined)
    .orderBy(desc(billingRuns.id))
    .limit(input.limit + 1);
  const page = pageOf(
    rows,
    input.limit,
    (row) => row,
    (row) => row.id,
  );
  const failures = await failuresOf(
    ctx.db,
    page.data.map((row) => row.id),
  );
  return { ...page, data: page.data.map((row) => presentBillingRun(row, failures.get(row.id) ?? noFailures)) };
}
