// Plan change, planned (business-rules.md "Plan change (proration)"). One pure function
// computes what a change moves; the preview shows it and the apply writes exactly it.
//
// - cycle_start = the boundary one cycle before next_billing_at (anchor-aware);
//   ratio = remaining / cycle; credit = round(credit_basis × ratio), where credit_basis
//   is what the customer paid for this cycle (not the old offer's list price: after an
//   upgrade it is the dearer price already charged, so a same-day change back credits
//   exactly what was charged and nothing is billed twice); charge = round(new price ×
//   ratio); net = charge − credit.
// - A change to an offer with another billing cycle cannot be prorated against the old
//   cycle: it takes effect at the next boundary of the billed cycle (scheduled), with no
//   money moved, and the subscription is re-anchored there to the new cycle.
// - Before the period holding effective_at is billed nothing is prorated: the billing run
//   bills the new offer from next_billing_at.
import type { OfferRow } from '../catalog/present.ts';
import type { SubscriptionRow } from './subscription-pricing.ts';
import type { BillingCatalog } from './billing-catalog.ts';
import type { InvoiceLineDraft } from '../invoices/issue-invoices.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { defaultAnchor, periodContaining, type BillingAnchor, type Period } from '../billing/periods.ts';
import { planChangeAmounts } from '../billing/proration.ts';
import { taxLine, type TaxRateSpec } from '../billing/tax.ts';
import { offerPrice } from '../catalog/find-offer.ts';
import { anchorOf, effectivePrice, localDate, periodLabel } from './subscription-pricing.ts';
import type { BillingCycle } from '../../../db/tenant/index.ts';

/**
 * What applying writes: an invoice, pending charges (under `next_cycle` timing or the
 * minimum invoice amount), a credit note (refund_policy `credit`), nothing because the
 * refund policy `none` clamped a negative total to 0, or nothing because nothing is owed.
 */
export type ChangeOutcome = 'invoice' | 'pending_charges' | 'credit_note' | 'clamped' | 'none';

export type PlannedChange = {
  fromOfferId: string;
  toOfferId: string;
  currency: string;
  /** When the change takes effect: as asked, or the next cycle boundary for a cycle change. */
  effectiveAt: number;
  /** Takes effect after `now`: written as a scheduled change, applied by the billing run. */
  scheduled: boolean;
  /** The subscription's anchor after the change. */
  anchor: BillingAnchor;
  /** The billed cycle the change is prorated in, or null when no money moves. */
  cycle: Period | null;
  credit: number;
  charge: number;
  /** charge − credit; 0 when clamped. */
  net: number;
  fee: number;
  lines: InvoiceLineDraft[];
  /** Σ net + tax of the lines: what the customer pays (negative: what is credited). */
  total: number;
  outcome: ChangeOutcome;
  /** credit_basis after the change. */
  creditBasis: number;
};

export type PlanChangeRequest = {
  sub: SubscriptionRow;
  catalog: BillingCatalog;
  timeZone: string;
  toOfferId: string;
  effectiveAt: number;
  now: number;
  /** A scheduled change keeps its offer even if the offer was archived since. */
  allowArchived?: boolean;
};

const unprocessable = (error: FieldError) =>
  new AppError('unprocessable', `${error.path} ${error.message}`, { errors: [error] });
const monthFamily = (cycle: BillingCycle) => cycle === 'monthly' || cycle === 'quarterly' || cycle === 'annual';
const iso = (at: number) => new Date(at).toISOString();

function targetOffer(req: PlanChangeRequest): OfferRow {
  const { sub, catalog, toOfferId } = req;
  if (toOfferId === sub.offerId)
    throw unprocessable({ path: 'offer_id', message: 'is the subscription’s current offer' });
  let to: OfferRow;
  try {
    to = catalog.offer(toOfferId);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found')
      throw unprocessable({ path: 'offer_id', message: 'does not exist' });
    throw error;
  }
  if (to.archivedAt && !req.allowArchived) throw unprocessable({ path: 'offer_id', message: 'is archived' });
  if (offerPrice(to, sub.currency) === null)
    throw unprocessable({ path: 'offer_id', message: `has no price in ${sub.currency}` });
  return to;
}

/** The anchor on `to`'s cycle from `at`, keeping the billing day where it still means a day of the month. */
function anchorFor(sub: SubscriptionRow, to: OfferRow, at: number, timeZone: string): BillingAnchor {
  if (to.billingCycle === sub.billingCycle) return anchorOf(sub);
  const day = monthFamily(sub.billingCycle) && monthFamily(to.billingCycle) ? sub.billingAnchorDay : undefined;
  return defaultAnchor(to.billingCycle, at, timeZone, day);
}

/** The billed cycle ending at next_billing_at, or null when next_billing_at is not a boundary (nothing billed yet). */
function billedCycle(nextBillingAt: number, anchor: BillingAnchor, timeZone: string): Period | null {
  const period = periodContaining(nextBillingAt - 1, anchor, timeZone);
  return period.end === nextBillingAt ? period : null;
}

function line(
  kind: InvoiceLineDraft['kind'],
  sub: SubscriptionRow,
  sourceId: string,
  description: string,
  amount: number,
  rates: readonly TaxRateSpec[],
  period: Period | null,
): InvoiceLineDraft {
  const taxed = taxLine(amount, rates);
  return {
    kind,
    subscriptionId: sub.id,
    sourceId,
    description,
    amount: taxed.net,
    taxAmount: taxed.tax,
    taxes: taxed.taxes,
    periodStart: period ? new Date(period.start) : null,
    periodEnd: period ? new Date(period.end) : null,
  };
}

/** Plans changing `sub` to `toOfferId` at `effectiveAt`; throws 409/422 for changes not allowed. */
export function planChange(req: PlanChangeRequest): PlannedChange {
  const { sub, catalog, timeZone, now } = req;
  if (sub.status !== 'pending' && sub.status !== 'active' && sub.status !== 'suspended')
    throw new AppError('invalid_state', `a ${sub.status} subscription cannot change plan`);
  if (sub.endsAt)
    throw new AppError(
      'invalid_state',
      `the subscription ends at ${sub.endsAt.toISOString()}; a canceled subscription cannot change plan`,
    );
  const from = catalog.offer(sub.offerId);
  const to = targetOffer(req);
  const none = {
    fromOfferId: sub.offerId,
    toOfferId: to.id,
    currency: sub.currency,
    cycle: null,
    credit: 0,
    charge: 0,
    net: 0,
    fee: 0,
    lines: [],
    total: 0,
    outcome: 'none' as const,
    creditBasis: sub.creditBasis,
  };

  // Not yet active: nothing was billed, the offer is simply switched.
  if (sub.status === 'pending' || sub.nextBillingAt === null)
    return { ...none, effectiveAt: now, scheduled: false, anchor: anchorFor(sub, to, sub.startAt.getTime(), timeZone) };

  const anchor = anchorOf(sub);
  const nextBillingAt = sub.nextBillingAt.getTime();
  let effectiveAt = req.effectiveAt;
  if (effectiveAt < nextBillingAt) {
    const billed = billedCycle(nextBillingAt, anchor, timeZone);
    const earliest = Math.max(billed?.start ?? nextBillingAt, sub.activatedAt?.getTime() ?? nextBillingAt);
    if (effectiveAt < earliest)
      throw unprocessable({
        path: 'effective_at',
        message: `is before the current billed cycle (starting ${iso(earliest)})`,
      });
  }

  if (to.billingCycle !== sub.billingCycle) {
    // The first boundary at or after effective_at, and never inside the billed cycle.
    const period = periodContaining(effectiveAt, anchor, timeZone);
    effectiveAt =
      effectiveAt <= nextBillingAt ? nextBillingAt : period.start === effectiveAt ? effectiveAt : period.end;
    return { ...none, effectiveAt, scheduled: effectiveAt > now, anchor: anchorFor(sub, to, effectiveAt, timeZone) };
  }

  const scheduled = effectiveAt > now;
  let cycle: Period;
  let basis = sub.creditBasis;
  if (effectiveAt < nextBillingAt) {
    cycle = billedCycle(nextBillingAt, anchor, timeZone)!;
  } else if (scheduled) {
    // By effective_at the billing run will have billed its period at the price then in force.
    cycle = periodContaining(effectiveAt, anchor, timeZone);
    basis = effectivePrice(sub, sub.offerId, catalog, cycle.start).amount;
  } else {
    return { ...none, effectiveAt, scheduled, anchor };
  }

  const policy = catalog.policyFor(from);
  const newEffective = effectivePrice(sub, to.id, catalog, effectiveAt);
  const newPrice = newEffective.amount;
  const amounts = policy.proration
    ? planChangeAmounts({
        oldPrice: basis,
        newPrice: newEffective.exact,
        effectiveAt,
        cycleStart: cycle.start,
        cycleEnd: cycle.end,
      })
    : { credit: 0, charge: 0, net: 0 };
  const direction = policy.proration ? amounts.net : newPrice - basis;
  const fees = direction > 0 ? policy.upgradeFees : direction < 0 ? policy.downgradeFees : [];
  const fee = fees.find((f) => f.currency === sub.currency)?.amount ?? 0;
  const rest: Period = { start: effectiveAt, end: cycle.end };
  const label = periodLabel(rest.start, rest.end, timeZone);
  const lines: InvoiceLineDraft[] = [];
  if (amounts.credit > 0)
    lines.push(
      line(
        'proration_credit',
        sub,
        from.id,
        `Unused ${from.name}, ${label}`,
        -amounts.credit,
        catalog.taxRatesFor(from.taxRateId, sub.subscriberId),
        rest,
      ),
    );
  if (amounts.charge > 0)
    lines.push(
      line(
        'proration_charge',
        sub,
        to.id,
        `${to.name}, ${label} (prorated)`,
        amounts.charge,
        catalog.taxRatesFor(to.taxRateId, sub.subscriberId),
        rest,
      ),
    );
  if (fee > 0)
    lines.push(
      line(
        'change_fee',
        sub,
        to.id,
        `${direction > 0 ? 'Upgrade' : 'Downgrade'} fee, ${from.name} → ${to.name} on ` +
          `${localDate(effectiveAt, timeZone)}`,
        fee,
        catalog.taxRatesFor(to.taxRateId, sub.subscriberId),
        null,
      ),
    );
  const total = lines.reduce((sum, l) => sum + l.amount + l.taxAmount, 0);

  const base = { ...none, effectiveAt, scheduled, anchor, cycle, credit: amounts.credit, charge: amounts.charge, fee };
  // Without proration the customer keeps what they paid this cycle; the new price applies from the next.
  const basisAfter = policy.proration ? newPrice : basis;
  if (total < 0 && policy.refundPolicy === 'none') {
    // Nothing is given back, so the customer has paid for the dearer plan: a change back
    // the same day must not charge again (business-rules.md "Two changes on the same day").
    return { ...base, net: 0, outcome: 'clamped', creditBasis: Math.max(newPrice, basis) };
  }
  let outcome: ChangeOutcome = 'none';
  if (total > 0)
    outcome =
      policy.changeInvoiceTiming === 'immediate' && total >= policy.minInvoiceAmount ? 'invoice' : 'pending_charges';
  else if (total < 0) outcome = 'credit_note';
  return { ...base, net: amounts.net, lines, total, outcome, creditBasis: basisAfter };
}
