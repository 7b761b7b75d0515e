import { and, eq, gt } from 'drizzle-orm';
import { invoices, subscribers } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { subscriberBalance } from '../ledger/subscriber-balance.ts';
import { closeCase, findOpenCase, restoreHolds } from './manage-cases.ts';

/** Closes the subscriber's open case of `kind` (if any) and lifts that reason's holds, each once. */
async function settle(
  tx: TenantTx,
  subscriberId: string,
  kind: 'overdue' | 'prepaid',
  reason: string,
  by: string,
  at: Date,
) {
  const open = await findOpenCase(tx, subscriberId, kind);
  if (open) await closeCase(tx, open, reason, at, at);
  await restoreHolds(tx, subscriberId, kind, by, at);
}

/**
 * Restores that money or credit earns (business-rules.md, "Restore is reason-scoped"): `overdue`
 * lifts only when no overdue balance is left (not on any payment), `prepaid` when the
 * available balance is back at or above the subscriber's minimum. Each hold lifts once.
 */
export async function restoreIfSettled(
  tx: TenantTx,
  ctx: TenantContext,
  subscriberId: string,
  currency: string,
  at: Date,
): Promise<void> {
  const by = `${ctx.actor.type}:${ctx.actor.id ?? 'system'}`;
  const [stillOverdue] = await tx
    .select({ id: invoices.id })
    .from(invoices)
    .where(and(eq(invoices.subscriberId, subscriberId), eq(invoices.status, 'overdue'), gt(invoices.balanceDue, 0)))
    .limit(1);
  if (!stillOverdue) await settle(tx, subscriberId, 'overdue', 'paid', by, at);
  const [subscriber] = await tx
    .select({ minBalance: subscribers.minBalance })
    .from(subscribers)
    .where(eq(subscribers.id, subscriberId));
  const balance = await subscriberBalance(tx, subscriberId, currency);
  if (balance.credit - balance.outstanding >= BigInt(subscriber?.minBalance ?? 0))
    await settle(tx, subscriberId, 'prepaid', 'topped_up', by, at);
}
