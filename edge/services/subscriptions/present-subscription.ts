import { and, asc, eq, isNull } from 'drizzle-orm';
import { serviceHolds, subscriptionAddons, subscriptionChanges, subscriptions } from '../../../db/tenant/index.ts';
import { AppError } from '../../errors.ts';
import type { SubscriptionRow } from './subscription-pricing.ts';
import { isoOrNull } from '../../lib/instants.ts';
import type { TenantReader } from '../../context.ts';

export const presentSubscription = (row: SubscriptionRow) => ({
  id: row.id,
  subscriber_id: row.subscriberId,
  offer_id: row.offerId,
  status: row.status,
  username: row.username,
  currency: row.currency,
  price_override: row.priceOverride,
  discount_id: row.discountId,
  discount_cycles_used: row.discountCyclesUsed,
  billing_cycle: row.billingCycle,
  billing_anchor_day: row.billingAnchorDay,
  billing_anchor_month: row.billingAnchorMonth,
  start_at: row.startAt.toISOString(),
  activated_at: isoOrNull(row.activatedAt),
  next_billing_at: isoOrNull(row.nextBillingAt),
  credit_basis: row.creditBasis,
  scheduled_change:
    row.scheduledOfferId && row.scheduledChangeAt
      ? { offer_id: row.scheduledOfferId, effective_at: row.scheduledChangeAt.toISOString() }
      : null,
  suspended_at: isoOrNull(row.suspendedAt),
  canceled_at: isoOrNull(row.canceledAt),
  ends_at: isoOrNull(row.endsAt),
  cancel_reason: row.cancelReason,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export type ChangeRow = typeof subscriptionChanges.$inferSelect;

export const presentChange = (row: ChangeRow) => ({
  id: row.id,
  status: row.status,
  from_offer_id: row.fromOfferId,
  to_offer_id: row.toOfferId,
  effective_at: row.effectiveAt.toISOString(),
  currency: row.currency,
  credit: row.credit,
  charge: row.charge,
  net: row.net,
  invoice_id: row.invoiceId,
  credit_note_id: row.creditNoteId,
  created_at: row.createdAt.toISOString(),
});

export async function findSubscription(db: TenantReader, id: string): Promise<SubscriptionRow> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
  if (!row) throw new AppError('not_found', `no subscription ${id}`);
  return row;
}

/** The subscription with what a detail view needs: open holds, add-ons, the scheduled change. */
export async function presentSubscriptionDetail(db: TenantReader, row: SubscriptionRow) {
  const holds = await db
    .select()
    .from(serviceHolds)
    .where(and(eq(serviceHolds.subscriptionId, row.id), isNull(serviceHolds.liftedAt)))
    .orderBy(asc(serviceHolds.placedAt));
  const addonRows = await db
    .select()
    .from(subscriptionAddons)
    .where(eq(subscriptionAddons.subscriptionId, row.id))
    .orderBy(asc(subscriptionAddons.id));
  const [scheduled] = await db
    .select()
    .from(subscriptionChanges)
    .where(and(eq(subscriptionChanges.subscriptionId, row.id), eq(subscriptionChanges.status, 'scheduled')));
  return {
    ...presentSubscription(row),
    scheduled_change: scheduled
      ? {
          id: scheduled.id,
          offer_id: scheduled.toOfferId,
          effective_at: scheduled.effectiveAt.toISOString(),
          currency: scheduled.currency,
          credit: scheduled.credit,
          charge: scheduled.charge,
          net: scheduled.net,
        }
      : null,
    open_holds: holds.map((h) => ({
      id: h.id,
      reason: h.reason,
      action: h.action,
      note: h.note,
      placed_at: h.placedAt.toISOString(),
    })),
    addons: addonRows.map((a) => ({
      id: a.id,
      addon_id: a.addonId,
      quantity: a.quantity,
      started_at: a.startedAt.toISOString(),
      ended_at: isoOrNull(a.endedAt),
    })),
  };
}
