import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { addons, billingCycles, discounts, dunningActions, offers } from './catalog.ts';
import { subscribers } from './subscribers.ts';

export const subscriptionStatuses = ['pending', 'active', 'suspended', 'canceled', 'expired'] as const;
export const holdReasons = ['overdue', 'prepaid', 'fup', 'admin'] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];
export type HoldReason = (typeof holdReasons)[number];

// A subscriber's contract for one offer on one service line (`username`, the RADIUS
// login). Billing is in advance: `next_billing_at` is the end of the last billed period,
// i.e. the start of the next period to bill (null until activated, and null again once
// the billing run has closed an ended subscription). Periods are computed
// from the cycle and anchor in the tenant's time zone, so month-end anchors clamp and
// return (31 → Feb 28 → Mar 31). `credit_basis` is the per-cycle amount the customer paid
// for the current period: what a plan change credits back, pro rata.
export const subscriptions = sqliteTable(
  'subscriptions',
  {
    id: id(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    offerId: text('offer_id')
      .notNull()
      .references(() => offers.id),
    status: text('status', { enum: subscriptionStatuses }).notNull(),
    username: text('username'),
    currency: text('currency').notNull(),
    // Replaces the offer's price when set (minor units).
    priceOverride: integer('price_override'),
    billingCycle: text('billing_cycle', { enum: billingCycles }).notNull(),
    // Day of month 1–31 (monthly, quarterly, annual), ISO weekday 1–7 (weekly); null for daily.
    billingAnchorDay: integer('billing_anchor_day'),
    // Month 1–12 the quarterly or annual cycle is anchored to; null otherwise.
    billingAnchorMonth: integer('billing_anchor_month'),
    discountId: text('discount_id').references(() => discounts.id),
    discountCyclesUsed: integer('discount_cycles_used').notNull(),
    startAt: instant('start_at').notNull(),
    activatedAt: instant('activated_at'),
    nextBillingAt: instant('next_billing_at'),
    creditBasis: integer('credit_basis').notNull(),
    scheduledOfferId: text('scheduled_offer_id').references(() => offers.id),
    scheduledChangeAt: instant('scheduled_change_at'),
    suspendedAt: instant('suspended_at'),
    canceledAt: instant('canceled_at'),
    // When service (and billing) ends: the end of the cancellation's local day.
    endsAt: instant('ends_at'),
    cancelReason: text('cancel_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('subscriptions_subscriber').on(t.subscriberId, t.id),
    // The billing run's scan: subscriptions due for their next period, or ended and not yet
    // closed (their last overage and pending charges), walked as a keyset.
    index('subscriptions_billing_due')
      .on(t.nextBillingAt, t.id)
      .where(sql`next_billing_at IS NOT NULL`),
    index('subscriptions_scheduled_change')
      .on(t.scheduledChangeAt)
      .where(sql`scheduled_change_at IS NOT NULL`),
    // One live subscription per service line.
    uniqueIndex('subscriptions_live_username')
      .on(t.username)
      .where(sql`username IS NOT NULL AND status NOT IN ('canceled', 'expired')`),
  ],
);

export const subscriptionAddons = sqliteTable(
  'subscription_addons',
  {
    id: id(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    addonId: text('addon_id')
      .notNull()
      .references(() => addons.id),
    quantity: integer('quantity').notNull(),
    startedAt: instant('started_at').notNull(),
    endedAt: instant('ended_at'),
    createdAt: createdAt(),
  },
  (t) => [index('subscription_addons_subscription').on(t.subscriptionId)],
);

// Why a subscription is throttled or suspended. Each reason is held and lifted on its
// own (a payment lifts `overdue`, a top-up `prepaid`, a cap reset `fup`; an admin any):
// lifting is a conditional update of the open hold, so a restore happens exactly once.
// The subscription is suspended while any open hold suspends or rejects.
export const serviceHolds = sqliteTable(
  'service_holds',
  {
    id: id(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    reason: text('reason', { enum: holdReasons }).notNull(),
    action: text('action', { enum: dunningActions }).notNull(),
    note: text('note'),
    placedAt: instant('placed_at').notNull(),
    liftedAt: instant('lifted_at'),
    liftedBy: text('lifted_by'),
  },
  (t) => [
    uniqueIndex('service_holds_open')
      .on(t.subscriptionId, t.reason)
      .where(sql`lifted_at IS NULL`),
    index('service_holds_subscription').on(t.subscriptionId, t.placedAt),
  ],
);

// Plan changes, applied or scheduled, with the money they moved (what the preview showed).
export const subscriptionChanges = sqliteTable(
  'subscription_changes',
  {
    id: id(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    fromOfferId: text('from_offer_id').notNull(),
    toOfferId: text('to_offer_id').notNull(),
    effectiveAt: instant('effective_at').notNull(),
    status: text('status', { enum: ['scheduled', 'applied', 'canceled'] }).notNull(),
    currency: text('currency').notNull(),
    credit: integer('credit').notNull(),
    charge: integer('charge').notNull(),
    net: integer('net').notNull(),
    invoiceId: text('invoice_id'),
    creditNoteId: text('credit_note_id'),
    createdAt: createdAt(),
  },
  (t) => [index('subscription_changes_subscription').on(t.subscriptionId, t.effectiveAt)],
);
