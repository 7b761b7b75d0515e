import { and, eq, gt, sql } from 'drizzle-orm';
import { collectionCases, invoices, subscribers, subscriptions } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { subscriberBalance } from '../ledger/subscriber-balance.ts';
import { liftHolds } from '../subscriptions/service-holds.ts';

async function closeCase(tx: TenantTx, subscriberId: string, kind: 'overdue' | 'prepaid', reason: string, at: Date) {
  await tx
    .update(collectionCases)
    .set({ status: 'closed', closedAt: at, closeReason: reason, updatedAt: at })
    .where(and(eq(collectionCases.subscriberId, subscriberId), eq(collectionCases.kind, kind), eq(collectionCases.status, 'open')));
}

/**
 * Restores that money or credit earns (business-rules.md, "Restore is reason-scoped"): `overdue`
 * lifts only when no overdue balance is left (not on any payment), `prepaid` when the
 * available balance is back at or above the subscriber's minimum. Each hold lifts once.
 */
export async function restoreIfSettled(tx: TenantTx, ctx: TenantContext, subscriberId: string, currency: string, at: Date): Promise<void> {
  const live = await tx
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(and(eq(subscriptions.subscriberId, subscriberId), sql`${subscriptions.status} IN ('active', 'suspended')`));
  const ids = live.map((s) => s.id);
  const by = `${ctx.actor.type}:${ctx.actor.id ?? 'system'}`;
  const [stillOverdue] = await tx
    .select({ id: invoices.id })
    .from(invoices)
    .where(and(eq(invoices.subscriberId, subscriberId), eq(invoices.status, 'overdue'), gt(invoices.balanceDue, 0)))
    .limit(1);
  if (!stillOverdue) {
    await closeCase(tx, subscriberId, 'overdue', 'paid', at);
    await liftHolds(tx, { subscriptionIds: ids, reasons: ['overdue'], by }, at);
  }
  const [subscriber] = await tx.select({ minBalance: subscribers.minBalance }).from(subscribers).where(eq(subscribers.id, subscriberId));
  const balance = await subscriberBalance(tx, subscriberId, currency);
  if (balance.credit - balance.outstanding >= (subscriber?.minBalance ?? 0)) {
    await closeCase(tx, subscriberId, 'prepaid', 'topped_up', at);
    await liftHolds(tx, { subscriptionIds: ids, reasons: ['prepaid'], by }, at);
  }
}
