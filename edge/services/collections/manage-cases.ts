import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import {
  collectionCases,
  serviceHolds,
  subscriptions,
  type CollectionCaseKind,
  type HoldReason,
} from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx, TenantReader } from '../../context.ts';
import { pageOf } from '../page-of.ts';
import { liftHolds } from '../subscriptions/service-holds.ts';

export type CaseRow = typeof collectionCases.$inferSelect;
export type CaseAction = NonNullable<CaseRow['action']>;

/** One thing a collections run did, as the run reports and stores it. */
export type CollectionAction = {
  subscriber_id: string;
  subscription_id?: string;
  invoice_id?: string;
  action: 'mark_overdue' | 'notify' | 'throttle' | 'suspend' | 'reject' | 'low_balance' | 'cancel' | 'restore';
  reason: CollectionCaseKind;
  step?: number;
};

export const presentCase = (row: CaseRow) => ({
  id: row.id,
  subscriber_id: row.subscriberId,
  kind: row.kind,
  status: row.status,
  step: row.step,
  action: row.action,
  opened_at: row.openedAt.toISOString(),
  last_action_at: row.lastActionAt?.toISOString() ?? null,
  closed_at: row.closedAt?.toISOString() ?? null,
  close_reason: row.closeReason,
  updated_at: row.updatedAt.toISOString(),
});

export async function findOpenCase(
  tx: TenantReader,
  subscriberId: string,
  kind: CollectionCaseKind,
): Promise<CaseRow | undefined> {
  const [row] = await tx
    .select()
    .from(collectionCases)
    .where(
      and(
        eq(collectionCases.subscriberId, subscriberId),
        eq(collectionCases.kind, kind),
        eq(collectionCases.status, 'open'),
      ),
    );
  return row;
}

/**
 * Opens the subscriber's case of `kind` at `step`, or returns null when one is open
 * already (the partial unique index allows one open case per subscriber and kind, so a
 * concurrent opener loses here instead of opening a second).
 */
export async function openCase(
  tx: TenantTx,
  input: { subscriberId: string; kind: CollectionCaseKind; step: number; action: CaseAction; id: string },
  at: Date,
  now: Date,
): Promise<CaseRow | null> {
  const [row] = await tx
    .insert(collectionCases)
    .values({
      id: input.id,
      subscriberId: input.subscriberId,
      kind: input.kind,
      status: 'open',
      step: input.step,
      action: input.action,
      openedAt: at,
      lastActionAt: at,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  return row ?? null;
}

/**
 * Moves an open case up to `step`, conditional on it still being open and below `step`:
 * steps only move up, and of two runs reaching the same step only one moves it (and acts).
 */
export async function advanceCase(
  tx: TenantTx,
  row: CaseRow,
  step: number,
  action: CaseAction,
  at: Date,
  now: Date,
): Promise<CaseRow | null> {
  const [updated] = await tx
    .update(collectionCases)
    .set({ step, action, lastActionAt: at, updatedAt: now })
    .where(
      and(
        eq(collectionCases.id, row.id),
        eq(collectionCases.status, 'open'),
        or(isNull(collectionCases.step), lt(collectionCases.step, step)),
      ),
    )
    .returning();
  return updated ?? null;
}

export async function closeCase(tx: TenantTx, row: CaseRow, reason: string, at: Date, now: Date): Promise<boolean> {
  const closed = await tx
    .update(collectionCases)
    .set({ status: 'closed', closedAt: at, closeReason: reason, updatedAt: now })
    .where(and(eq(collectionCases.id, row.id), eq(collectionCases.status, 'open')))
    .returning({ id: collectionCases.id });
  return closed.length > 0;
}

/**
 * Lifts the subscriber's open holds for `reason` on its live subscriptions (each exactly
 * once, liftHolds records `subscription.restored`) and returns a `restore` action per
 * lifted hold.
 */
export async function restoreHolds(
  tx: TenantTx,
  subscriberId: string,
  reason: Extract<HoldReason, CollectionCaseKind>,
  by: string,
  at: Date,
): Promise<CollectionAction[]> {
  const held = await tx
    .select({ subscriptionId: serviceHolds.subscriptionId })
    .from(serviceHolds)
    .innerJoin(subscriptions, eq(subscriptions.id, serviceHolds.subscriptionId))
    .where(
      and(
        eq(subscriptions.subscriberId, subscriberId),
        sql`${subscriptions.status} IN ('active', 'suspended')`,
        eq(serviceHolds.reason, reason),
        isNull(serviceHolds.liftedAt),
      ),
    );
  const ids = held.map((h) => h.subscriptionId);
  if (ids.length === 0) return [];
  await liftHolds(tx, { subscriptionIds: ids, reasons: [reason], by }, at);
  return ids.map((id) => ({ subscriber_id: subscriberId, subscription_id: id, action: 'restore', reason }));
}

/** Ids present in any of the sorted lists, ascending, at most `limit`: a keyset walk over their union. */
export function unionPage(lists: readonly (readonly string[])[], limit: number): string[] {
  return [...new Set(lists.flat())].sort().slice(0, limit);
}

export type CaseFilter = {
  subscriber_id?: string | undefined;
  status?: 'open' | 'closed' | undefined;
  kind?: CollectionCaseKind | undefined;
};

/** Newest first; the cursor is the id of the last case returned. */
export async function listCases({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: CaseFilter & { limit: number; cursor?: string | undefined };
}) {
  const db: TenantTx = ctx.db;
  const rows = await db
    .select()
    .from(collectionCases)
    .where(
      and(
        input.subscriber_id ? eq(collectionCases.subscriberId, input.subscriber_id) : undefined,
        input.status ? eq(collectionCases.status, input.status) : undefined,
        input.kind ? eq(collectionCases.kind, input.kind) : undefined,
        input.cursor ? lt(collectionCases.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(collectionCases.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentCase, (row) => row.id);
}
