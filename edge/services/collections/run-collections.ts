import { and, asc, count, desc, eq, gt, lt } from 'drizzle-orm';
import { collectionRunActions, collectionRuns } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { inList, insertFromJson } from '../bulk-rows.ts';
import { pageOf } from '../page-of.ts';
import { loadBillingCatalog } from '../subscriptions/billing-catalog.ts';
import type { CollectionAction } from './manage-cases.ts';
import { markOverdueChunk } from './mark-overdue.ts';
import { dunChunk } from './overdue-dunning.ts';
import { enforcePrepaidChunk, insideEnforcementWindow } from './prepaid-enforcement.ts';

type CollectionRunRow = typeof collectionRuns.$inferSelect;

// Invoices or subscribers per write transaction: other writers wait well under a second.
const chunkSize = 200;

type ActionRow = typeof collectionRunActions.$inferSelect;

const presentAction = (row: ActionRow): CollectionAction => ({
  subscriber_id: row.subscriberId,
  ...(row.subscriptionId === null ? {} : { subscription_id: row.subscriptionId }),
  ...(row.invoiceId === null ? {} : { invoice_id: row.invoiceId }),
  action: row.action as CollectionAction['action'],
  reason: row.reason as CollectionAction['reason'],
  ...(row.step === null ? {} : { step: row.step }),
});

/**
 * At most this many actions ride on a run (issue 13 "nested lists paged": a run acts on
 * every subscriber it dunned); `actions_next_cursor` continues on GET …/runs/{id}/actions.
 */
export const embeddedActions = 100;

/** A page of a run's actions in the order taken; the cursor is the last one's position. */
async function actionsOf(db: TenantReader, runId: string, limit: number, cursor?: string) {
  if (cursor !== undefined && !/^\d{1,9}$/.test(cursor)) {
    throw new AppError('validation_failed', 'not a cursor this API returned', {
      errors: [{ path: 'cursor', message: 'not a cursor this API returned' }],
    });
  }
  const rows = await db
    .select()
    .from(collectionRunActions)
    .where(
      and(
        eq(collectionRunActions.runId, runId),
        cursor === undefined ? undefined : gt(collectionRunActions.position, Number(cursor)),
      ),
    )
    .orderBy(asc(collectionRunActions.position))
    .limit(limit + 1);
  return pageOf(rows, limit, presentAction, (row) => String(row.position));
}

/** The run with its first embeddedActions actions in the order taken. */
async function presentCollectionRun(db: TenantReader, row: CollectionRunRow) {
  const actions = await actionsOf(db, row.id, embeddedActions);
  return {
    id: row.id,
    as_of: row.asOf.toISOString(),
    actions: actions.data,
    actions_next_cursor: actions.next_cursor,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * Collects up to `as_of` (business-rules.md "Collections (dunning) and prepaid"):
 * 1. unpaid invoices past due become overdue;
 * 2. dunning per subscriber with overdue invoices (the highest ladder step reached, one
 *    open case each), and the overdue restore for open cases with nothing overdue left;
 * 3. prepaid enforcement inside the tenant's enforcement window, and the prepaid restore
 *    for open cases back at the minimum (at any hour).
 * Each chunk is its own write transaction and appends its actions to the run's actions in
 * the same transaction, so the stored run never claims an action that did not commit. Every
 * action is a conditional update (status, case step), so repeating a run, or running two
 * at once, acts once.
 */
export async function runCollections({ ctx, input }: { ctx: TenantContext; input: { as_of: string } }) {
  const asOf = new Date(input.as_of);
  const now = new Date(ctx.platform.now());
  // Collecting ahead of time would suspend people for days that have not come yet.
  if (asOf.getTime() > now.getTime())
    throw new AppError('unprocessable', 'as_of must not be in the future', {
      errors: [{ path: 'as_of', message: 'is in the future' }],
    });
  const timeZone = ctx.tenant.timezone;
  const id = uuidv7(now.getTime());
  await ctx.db.transaction(async (tx) => {
    await tx.insert(collectionRuns).values({ id, asOf, createdBy: ctx.actor.id, createdAt: now });
    await ctx.keyResource?.(tx, id);
  });
  const counts: Record<string, number> = {};
  let recorded = 0;
  // Appends only this chunk's actions: a long run writes each action once.
  const record = async (tx: TenantTx, more: readonly CollectionAction[]) => {
    const rows = more.map((a, i) => [
      id,
      recorded + i,
      a.subscriber_id,
      a.subscription_id ?? null,
      a.invoice_id ?? null,
      a.action,
      a.reason,
      a.step ?? null,
    ]);
    await insertFromJson(
      tx,
      'collection_run_actions',
      ['run_id', 'position', 'subscriber_id', 'subscription_id', 'invoice_id', 'action', 'reason', 'step'],
      rows,
    );
  };
  const chunk = async <R extends { actions: CollectionAction[] }>(work: (tx: TenantTx) => Promise<R>): Promise<R> => {
    const result = await ctx.db.transaction(async (tx) => {
      const r = await work(tx);
      await record(tx, r.actions);
      return r;
    });
    recorded += result.actions.length;
    for (const a of result.actions) counts[a.action] = (counts[a.action] ?? 0) + 1;
    return result;
  };

  for (;;) {
    const marked = await chunk((tx) => markOverdueChunk(tx, { asOf, now, limit: chunkSize }));
    if (marked.seen < chunkSize) break;
  }
  let cursor: string | null = null;
  for (;;) {
    const step: { seen: string[] } = await chunk(async (tx) =>
      dunChunk(tx, {
        catalog: await loadBillingCatalog(tx, now),
        timeZone,
        asOf,
        now,
        runId: id,
        cursor,
        limit: chunkSize,
      }),
    );
    if (step.seen.length === 0) break;
    cursor = step.seen.at(-1)!;
  }
  cursor = null;
  for (;;) {
    const step: { seen: string[] } = await chunk(async (tx) => {
      const catalog = await loadBillingCatalog(tx, now);
      const enforce = insideEnforcementWindow(asOf, timeZone, catalog.settings);
      return enforcePrepaidChunk(tx, { catalog, timeZone, asOf, now, runId: id, enforce, cursor, limit: chunkSize });
    });
    if (step.seen.length === 0) break;
    cursor = step.seen.at(-1)!;
  }

  return ctx.db.transaction(async (tx) => {
    await appendAuditEvent(tx, ctx, {
      action: 'collection_run.completed',
      resource: 'collection_run',
      resourceId: id,
      changes: { as_of: asOf.toISOString(), actions: counts },
    });
    const [stored] = await tx.select().from(collectionRuns).where(eq(collectionRuns.id, id));
    return presentCollectionRun(tx, stored!);
  });
}

export async function getCollectionRun({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const [row] = await ctx.db.select().from(collectionRuns).where(eq(collectionRuns.id, input.id));
  if (!row) throw new AppError('not_found', `no collection run ${input.id}`);
  return presentCollectionRun(ctx.db, row);
}

export async function listCollectionRunActions({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  const [row] = await ctx.db
    .select({ id: collectionRuns.id })
    .from(collectionRuns)
    .where(eq(collectionRuns.id, input.id));
  if (!row) throw new AppError('not_found', `no collection run ${input.id}`);
  return actionsOf(ctx.db, row.id, input.limit, input.cursor);
}

/** Newest first, each with its action counts (the actions themselves: GET …/runs/{id}). */
export async function listCollectionRuns({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(collectionRuns)
    .where(input.cursor ? lt(collectionRuns.id, input.cursor) : undefined)
    .orderBy(desc(collectionRuns.id))
    .limit(input.limit + 1);
  const page = pageOf(
    rows,
    input.limit,
    (row) => row,
    (row) => row.id,
  );
  const counted = page.data.length
    ? await ctx.db
        .select({ runId: collectionRunActions.runId, action: collectionRunActions.action, n: count() })
        .from(collectionRunActions)
        .where(
          inList(
            collectionRunActions.runId,
            page.data.map((row) => row.id),
          ),
        )
        .groupBy(collectionRunActions.runId, collectionRunActions.action)
    : [];
  const countsOf = (runId: string) =>
    Object.fromEntries(counted.filter((c) => c.runId === runId).map((c) => [c.action, c.n]));
  return {
    ...page,
    data: page.data.map((row) => ({
      id: row.id,
      as_of: row.asOf.toISOString(),
      action_counts: countsOf(row.id),
      created_by: row.createdBy,
      created_at: row.createdAt.toISOString(),
    })),
  };
}
