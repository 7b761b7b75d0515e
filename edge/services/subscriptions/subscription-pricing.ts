import type { subscriptions } from '../../../db/tenant/index.ts';
import { localParts } from '../billing/calendar.ts';
import { parseDecimal, roundHalfUp, type Fraction } from '../billing/money.ts';
import type { BillingAnchor, Period } from '../billing/periods.ts';
import { prorate } from '../billing/proration.ts';
import { taxLine } from '../billing/tax.ts';
import { offerPrice } from '../catalog/find-offer.ts';
import type { DiscountRow } from '../catalog/present.ts';
import type { InvoiceLineDraft } from '../invoices/issue-invoices.ts';
import type { BillingCatalog } from './billing-catalog.ts';
import { AppError } from '../../errors.ts';

export type SubscriptionRow = typeof subscriptions.$inferSelect;
/** What pricing reads of a subscription (the billing run selects just these). */
export type PricedSubscription = Pick<
  SubscriptionRow,
  | 'id'
  | 'subscriberId'
  | 'offerId'
  | 'currency'
  | 'priceOverride'
  | 'billingCycle'
  | 'billingAnchorDay'
  | 'billingAnchorMonth'
  | 'discountId'
  | 'discountCyclesUsed'
>;

export const anchorOf = (
  sub: Pick<SubscriptionRow, 'billingCycle' | 'billingAnchorDay' | 'billingAnchorMonth'>,
): BillingAnchor => ({
  cycle: sub.billingCycle,
  day: sub.billingAnchorDay,
  month: sub.billingAnchorMonth,
});

/** Whether the discount applies to a period starting at `at`: inside its window and its cycles. */
function discountApplies(discount: DiscountRow, cyclesUsed: number, at: number): boolean {
  if (discount.validFrom && at < discount.validFrom.getTime()) return false;
  if (discount.validUntil && at >= discount.validUntil.getTime()) return false;
  return discount.maxCycles === null || cyclesUsed < discount.maxCycles;
}

/**
 * `exact`: the price as a fraction (a percent discount leaves one); `amount`: it rounded, the price of a whole period.
 */
export type EffectivePrice = { amount: number; exact: Fraction; discount: DiscountRow | null };

/**
 * The per-cycle price a subscription pays for a period starting at `at`
 * (business-rules.md "Plan change"): the override if set, else the offer's price in the
 * subscription's currency, minus an applicable discount, never below 0.
 */
export function effectivePrice(
  sub: PricedSubscription,
  offerId: string,
  catalog: BillingCatalog,
  at: number,
): EffectivePrice {
  const offer = catalog.offer(offerId);
  const base =
    offerId === sub.offerId && sub.priceOverride !== null ? sub.priceOverride : offerPrice(offer, sub.currency);
  if (base === null) throw new AppError('unprocessable', `offer ${offer.code} has no price in ${sub.currency}`);
  const discount = sub.discountId ? catalog.discount(sub.discountId) : null;
  if (!discount || !discountApplies(discount, sub.discountCyclesUsed, at))
    return { amount: base, exact: { num: BigInt(base), den: 1n }, discount: null };
  let exact: Fraction;
  if (discount.kind === 'percent') {
    // base × (100 − percent) / 100, unrounded: the line that charges it rounds once.
    const percent = parseDecimal(discount.percent ?? '0');
    const kept = 100n * percent.den - percent.num;
    exact = { num: BigInt(base) * (kept > 0n ? kept : 0n), den: 100n * percent.den };
  } else {
    const off = discount.amounts?.find((a) => a.currency === sub.currency)?.amount ?? 0;
    exact = { num: BigInt(Math.max(0, base - off)), den: 1n };
  }
  return { amount: roundHalfUp(exact.num, exact.den), exact, discount };
}

/** A local date for line descriptions: 2031-01-31. */
export function localDate(instant: number, timeZone: string): string {
  const d = localParts(instant, timeZone);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** "2031-01-31 – 2031-02-27": the last day shown is the day before the exclusive end. */
export const periodLabel = (from: number, to: number, timeZone: string) =>
  `${localDate(from, timeZone)} – ${localDate(to - 1, timeZone)}`;

/**
 * The recurring line for [from, to) inside `period`: the effective price prorated by
 * seconds over the whole period when it covers only part of it (business-rules.md:
 * "Prorated amount = price × used_seconds / period_seconds, rounded once"), taxed per line.
 */
export function recurringLine(
  sub: PricedSubscription,
  catalog: BillingCatalog,
  timeZone: string,
  period: Period,
  from: number,
  to: number,
): { line: InvoiceLineDraft; price: EffectivePrice } {
  const offer = catalog.offer(sub.offerId);
  const policy = catalog.policyFor(offer);
  const price = effectivePrice(sub, sub.offerId, catalog, from);
  const partial = from > period.start || to < period.end;
  const charged =
    partial && policy.proration ? prorate(price.exact, to - from, period.end - period.start) : price.amount;
  const taxed = taxLine(charged, catalog.taxRatesFor(offer.taxRateId, sub.subscriberId));
  const discountNote = price.discount ? ` (${price.discount.name})` : '';
  return {
    price,
    line: {
      kind: 'recurring',
      subscriptionId: sub.id,
      description:
        `${offer.name}${discountNote}, ` +
        `${periodLabel(from, to, timeZone)}${partial && policy.proration ? ' (prorated)' : ''}`,
      amount: taxed.net,
      taxAmount: taxed.tax,
      taxes: taxed.taxes,
      periodStart: new Date(from),
      periodEnd: new Date(to),
    },
  };
}
