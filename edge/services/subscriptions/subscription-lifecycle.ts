// Subscription state machine (business-rules.md "State machines"): pending → active →
// suspended ⇄ active. Every transition is a conditional update on the status read, so a
// retried or concurrent request finds nothing to do and fails with 409.
import { and, eq, isNull } from 'drizzle-orm';
import {
  holdReasons,
  pendingCharges,
  subscriptionAddons,
  subscriptions,
  type SubscriptionStatus,
} from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { startOfLocalDay } from '../billing/calendar.ts';
import { taxLine } from '../billing/tax.ts';
import { offerPrice } from '../catalog/find-offer.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { lineValues, type InvoiceLineDraft } from '../invoices/issue-invoices.ts';
import { actionTime } from './action-time.ts';
import { loadBillingCatalog, type BillingCatalog } from './billing-catalog.ts';
import { findSubscription, presentSubscriptionDetail } from './present-subscription.ts';
import { liftHolds, placeHold } from './service-holds.ts';
import type { SubscriptionRow } from './subscription-pricing.ts';

/** Throws a 409 unless the subscription is in one of `from`. */
export function assertStatus(row: SubscriptionRow, from: readonly SubscriptionStatus[], action: string) {
  if (!from.includes(row.status))
    throw new AppError('invalid_state', `a ${row.status} subscription cannot be ${action} (only ${from.join(' or ')})`);
}

/** Moves the status from what was read, or 409 when a concurrent request moved it first. */
export async function transition(
  tx: TenantTx,
  row: SubscriptionRow,
  set: Partial<SubscriptionRow>,
  now: Date,
): Promise<SubscriptionRow> {
  const [updated] = await tx
    .update(subscriptions)
    .set({ ...set, updatedAt: now })
    .where(and(eq(subscriptions.id, row.id), eq(subscriptions.status, row.status)))
    .returning();
  if (!updated) throw new AppError('invalid_state', `subscription ${row.id} changed meanwhile; reload it`);
  return updated;
}

/** Lines waiting for the subscriber's next invoice (the billing run picks them up). */
export async function addPendingCharges(
  tx: TenantTx,
  sub: SubscriptionRow,
  lines: readonly InvoiceLineDraft[],
  at: Date,
) {
  if (lines.length === 0) return;
  await tx.insert(pendingCharges).values(
    lines.map((line) => ({
      id: uuidv7(at.getTime()),
      subscriberId: sub.subscriberId,
      subscriptionId: sub.id,
      currency: sub.currency,
      ...lineValues(line),
      createdAt: at,
    })),
  );
}

/** The offer's setup fee and the one-time add-ons, each taxed as its item. */
async function activationCharges(
  tx: TenantTx,
  sub: SubscriptionRow,
  catalog: BillingCatalog,
): Promise<InvoiceLineDraft[]> {
  const offer = catalog.offer(sub.offerId);
  await catalog.loadJurisdictions(tx, [sub.subscriberId]);
  const lines: InvoiceLineDraft[] = [];
  const setupFee = offerPrice({ prices: offer.setupFee ?? [] }, sub.currency);
  if (setupFee) {
    const taxed = taxLine(setupFee, catalog.taxRatesFor(offer.taxRateId, sub.subscriberId));
    lines.push({
      kind: 'setup_fee',
      subscriptionId: sub.id,
      sourceId: offer.id,
      description: `Setup fee, ${offer.name}`,
      amount: taxed.net,
      taxAmount: taxed.tax,
      taxes: taxed.taxes,
    });
  }
  const items = await tx
    .select()
    .from(subscriptionAddons)
    .where(and(eq(subscriptionAddons.subscriptionId, sub.id), isNull(subscriptionAddons.endedAt)));
  for (const item of items) {
    const addon = catalog.addon(item.addonId);
    const price = offerPrice(addon, sub.currency);
    if (addon.charge !== 'one_time' || !price) continue;
    const taxed = taxLine(price * item.quantity, catalog.taxRatesFor(addon.taxRateId, sub.subscriberId));
    const label = item.quantity > 1 ? `${addon.name} × ${item.quantity}` : addon.name;
    lines.push({
      kind: 'one_time',
      subscriptionId: sub.id,
      sourceId: item.id,
      description: label,
      quantity: item.quantity,
      amount: taxed.net,
      taxAmount: taxed.tax,
      taxes: taxed.taxes,
    });
  }
  return lines;
}

/**
 * pending → active at `at`. Billing starts at the start of that local day (the activation
 * day counts in full, as the termination day does: business-rules.md vectors, "weekly
 * plan starting on a Wednesday … 5/7"), and the billing run bills the first (prorated)
 * stub from there up to the next anchor boundary. The setup fee and
 * one-time add-ons wait as pending charges for that first invoice.
 */
export async function activateSubscription({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; at?: string | undefined };
}) {
  const now = ctx.platform.now();
  const at = actionTime(now, input.at, 'year');
  return ctx.db.transaction(async (tx) => {
    const row = await findSubscription(tx, input.id);
    assertStatus(row, ['pending'], 'activated');
    const catalog = await loadBillingCatalog(tx, new Date(now));
    const updated = await transition(
      tx,
      row,
      {
        status: 'active',
        activatedAt: at,
        nextBillingAt: new Date(startOfLocalDay(at.getTime(), ctx.tenant.timezone)),
      },
      new Date(now),
    );
    const charges = await activationCharges(tx, updated, catalog);
    await addPendingCharges(tx, updated, charges, at);
    const payload = {
      activated_at: at.toISOString(),
      offer_id: row.offerId,
      username: row.username,
      pending_charges: charges.map((c) => ({ kind: c.kind, amount: c.amount, tax_amount: c.taxAmount })),
    };
    await recordDomainEvent(
      tx,
      { type: 'subscription.activated', subjectType: 'subscription', subjectId: row.id, payload },
      at,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'subscription.activated',
      resource: 'subscription',
      resourceId: row.id,
      changes: payload,
    });
    return presentSubscriptionDetail(tx, updated);
  });
}

/** An admin suspension: an `admin` hold that suspends (placeHold records `subscription.suspended`). */
export async function suspendSubscription({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; at?: string | undefined; reason: string };
}) {
  const now = ctx.platform.now();
  const at = actionTime(now, input.at, 'none');
  return ctx.db.transaction(async (tx) => {
    const row = await findSubscription(tx, input.id);
    assertStatus(row, ['active'], 'suspended');
    await placeHold(tx, { subscriptionId: row.id, reason: 'admin', action: 'suspend', note: input.reason }, at);
    await appendAuditEvent(tx, ctx, {
      action: 'subscription.suspended',
      resource: 'subscription',
      resourceId: row.id,
      changes: { reason: input.reason, at: at.toISOString() },
    });
    return presentSubscriptionDetail(tx, await findSubscription(tx, row.id));
  });
}

/**
 * suspended → active: an admin may lift holds of every reason (business-rules.md
 * "Collections": restore by reason, "any of them by an admin"); liftHolds records one
 * `subscription.restored` per lifted hold.
 */
export async function resumeSubscription({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; at?: string | undefined };
}) {
  const now = ctx.platform.now();
  const at = actionTime(now, input.at, 'none');
  return ctx.db.transaction(async (tx) => {
    const row = await findSubscription(tx, input.id);
    assertStatus(row, ['suspended'], 'resumed');
    const lifted = await liftHolds(
      tx,
      { subscriptionIds: [row.id], reasons: holdReasons, by: ctx.actor.id ?? ctx.actor.type },
      at,
    );
    let updated = await findSubscription(tx, row.id);
    // A suspension without an open hold (legacy data) still resumes.
    if (updated.status === 'suspended')
      updated = await transition(tx, updated, { status: 'active', suspendedAt: null }, new Date(now));
    await appendAuditEvent(tx, ctx, {
      action: 'subscription.resumed',
      resource: 'subscription',
      resourceId: row.id,
      changes: { lifted_holds: lifted, at: at.toISOString() },
    });
    return presentSubscriptionDetail(tx, updated);
  });
}
