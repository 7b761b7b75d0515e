import { and, eq, gte, inArray, isNotNull, isNull, lte, or } from 'drizzle-orm';
import { domainEvents, subscriptions } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { periodContaining } from '../billing/periods.ts';
import { prorate, serviceEndFor } from '../billing/proration.ts';
import { taxLine } from '../billing/tax.ts';
import { insertCreditNote } from '../credit-notes/manage-credit-notes.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { applyAccountCredit } from '../invoices/apply-account-credit.ts';
import { actionTime } from './action-time.ts';
import { loadBillingCatalog, type BillingCatalog } from './billing-catalog.ts';
import { dropScheduledChange } from './change-plan.ts';
import { findSubscription, presentSubscriptionDetail } from './present-subscription.ts';
import { assertStatus, transition } from './subscription-lifecycle.ts';
import { anchorOf, periodLabel, type SubscriptionRow } from './subscription-pricing.ts';

/**
 * The unused, already billed part [ends_at, next_billing_at) given back as an issued
 * credit note (account credit) when the policy refunds by credit: credit_basis (what was
 * paid per cycle) × unused / cycle, taxed as the offer. Returns the note's id, if any.
 */
async function creditUnusedService(tx: TenantTx, sub: SubscriptionRow, catalog: BillingCatalog, endsAt: number, timeZone: string, now: Date): Promise<string | null> {
  const billedTo = sub.nextBillingAt!.getTime();
  const offer = catalog.offer(sub.offerId);
  if (catalog.policyFor(offer).refundPolicy !== 'credit') return null;
  const cycle = periodContaining(billedTo - 1, anchorOf(sub), timeZone);
  const amount = prorate(sub.creditBasis, billedTo - endsAt, cycle.end - cycle.start);
  if (amount <= 0) return null;
  await catalog.loadJurisdictions(tx, [sub.subscriberId]);
  const taxed = taxLine(amount, catalog.taxRatesFor(offer.taxRateId, sub.subscriberId));
  const line = { description: `Unused ${offer.name}, ${periodLabel(endsAt, billedTo, timeZone)}`, amount: taxed.net, tax_amount: taxed.tax, taxes: taxed.taxes };
  const note = await insertCreditNote(tx, { subscriberId: sub.subscriberId, invoiceId: null, currency: sub.currency, reason: `Cancellation of subscription ${sub.id}`, lines: [line] }, true, now);
  await applyAccountCredit(tx, sub.subscriberId, sub.currency, now);
  return note.id;
}

/**
 * Cancels at `at`. A pending subscription (never billed) is canceled at once. A live one
 * keeps service to the end of the local day of `at` (the termination day counts as used,
 * business-rules.md "Billing test vectors"): ends_at; billing stops there
 * (next_billing_at = ends_at, the billed part after it credited by policy), and the
 * status becomes canceled now if ends_at has passed and everything before it was billed,
 * else when the billing run finishes it.
 */
export async function cancelSubscription({ ctx, input }: { ctx: TenantContext; input: { id: string; at?: string | undefined; reason: string } }) {
  const now = new Date(ctx.platform.now());
  const at = actionTime(now.getTime(), input.at, 'year');
  const timeZone = ctx.tenant.timezone;
  return ctx.db.transaction(async (tx) => {
    const row = await findSubscription(tx, input.id);
    assertStatus(row, ['pending', 'active', 'suspended'], 'canceled');
    if (row.endsAt) throw new AppError('invalid_state', `the subscription is already canceled, ending at ${row.endsAt.toISOString()}`);
    await dropScheduledChange(tx, row.id, now);
    let updated: SubscriptionRow;
    let creditNoteId: string | null = null;
    if (row.status === 'pending') {
      updated = await transition(tx, row, { status: 'canceled', canceledAt: at, endsAt: at, cancelReason: input.reason }, now);
    } else {
      const endsAt = serviceEndFor(at.getTime(), timeZone);
      if (row.nextBillingAt && row.nextBillingAt.getTime() > endsAt) creditNoteId = await creditUnusedService(tx, row, await loadBillingCatalog(tx, now), endsAt, timeZone, now);
      const nextBillingAt = row.nextBillingAt && row.nextBillingAt.getTime() > endsAt ? new Date(endsAt) : row.nextBillingAt;
      // Service used before ends_at but not billed yet is left for the billing run, which
      // bills it up to ends_at and then finishes the cancellation.
      const billedThrough = nextBillingAt === null || nextBillingAt.getTime() >= endsAt;
      const status = endsAt <= now.getTime() && billedThrough ? 'canceled' : row.status;
      updated = await transition(tx, row, { status, canceledAt: at, endsAt: new Date(endsAt), cancelReason: input.reason, nextBillingAt }, now);
    }
    const payload = { reason: input.reason, canceled_at: at.toISOString(), ends_at: updated.endsAt!.toISOString(), credit_note_id: creditNoteId };
    await recordDomainEvent(tx, { type: updated.status === 'canceled' ? 'subscription.canceled' : 'subscription.cancel_scheduled', subjectType: 'subscription', subjectId: row.id, payload }, now);
    await appendAuditEvent(tx, ctx, { action: 'subscription.canceled', resource: 'subscription', resourceId: row.id, changes: { ...payload, status: updated.status } });
    return presentSubscriptionDetail(tx, updated);
  });
}

/**
 * The billing run's last step: subscriptions whose ends_at has come by `asOf` become
 * canceled, each with `subscription.canceled` unless it was recorded already. One still
 * owing its last stub (next_billing_at before ends_at) waits until that stub is billed,
 * so calling this before billing loses nothing either. Returns how many.
 */
export async function finishEndedSubscriptions(tx: TenantTx, asOf: Date): Promise<number> {
  const ended = await tx
    .update(subscriptions)
    .set({ status: 'canceled', scheduledOfferId: null, scheduledChangeAt: null, updatedAt: asOf })
    .where(
      and(
        inArray(subscriptions.status, ['pending', 'active', 'suspended']),
        isNotNull(subscriptions.endsAt),
        lte(subscriptions.endsAt, asOf),
        or(isNull(subscriptions.nextBillingAt), gte(subscriptions.nextBillingAt, subscriptions.endsAt)),
      ),
    )
    .returning();
  for (const sub of ended) {
    const [recorded] = await tx
      .select({ id: domainEvents.id })
      .from(domainEvents)
      .where(and(eq(domainEvents.subjectType, 'subscription'), eq(domainEvents.subjectId, sub.id), eq(domainEvents.type, 'subscription.canceled')));
    if (!recorded) {
      await recordDomainEvent(tx, { type: 'subscription.canceled', subjectType: 'subscription', subjectId: sub.id, payload: { reason: sub.cancelReason, canceled_at: sub.canceledAt?.toISOString() ?? null, ends_at: sub.endsAt!.toISOString() } }, sub.endsAt!);
    }
  }
  return ended.length;
}
