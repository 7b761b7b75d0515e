// Proration (business-rules.md "Billing periods" and "Plan change (proration)"):
// price × used / period, capped at the whole period, rounded once, half-up.
import { localParts, zonedInstant } from './calendar.ts';
import { assertMinorUnits, roundHalfUp, type Fraction } from './money.ts';

function assertDuration(ms: number, what: string): void {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`${what} must be a whole number of ms, got ${ms}`);
}

/**
 * `amount` × used / period, with used clamped to [0, period], rounded once. `amount` may
 * be an exact fraction (a discounted price), so a discount and a proration on one line
 * are rounded together, once.
 */
export function prorate(amount: number | Fraction, usedMs: number, periodMs: number): number {
  const price = typeof amount === 'number' ? { num: BigInt(amount), den: 1n } : amount;
  if (typeof amount === 'number') assertMinorUnits(amount);
  assertDuration(usedMs, 'used time');
  assertDuration(periodMs, 'period length');
  if (periodMs <= 0) throw new RangeError(`period length must be positive, got ${periodMs}`);
  const used = Math.min(Math.max(usedMs, 0), periodMs);
  return roundHalfUp(price.num * BigInt(used), price.den * BigInt(periodMs));
}

export type PlanChangeAmounts = { remainingMs: number; cycleMs: number; credit: number; charge: number; net: number };

/**
 * Credit for the unused part of the old price and charge for the new price over the rest
 * of the cycle, each rounded once; `net` is what the change costs (negative: owed back).
 * `oldPrice` is the old effective price (override, discount) as the caller resolved it.
 */
export function planChangeAmounts(input: {
  oldPrice: number;
  newPrice: number | Fraction;
  effectiveAt: number;
  cycleStart: number;
  cycleEnd: number;
}): PlanChangeAmounts {
  const { oldPrice, newPrice, effectiveAt, cycleStart, cycleEnd } = input;
  const cycleMs = cycleEnd - cycleStart;
  const remainingMs = cycleEnd - Math.min(Math.max(effectiveAt, cycleStart), cycleEnd);
  const credit = prorate(oldPrice, remainingMs, cycleMs);
  const charge = prorate(newPrice, remainingMs, cycleMs);
  return { remainingMs, cycleMs, credit, charge, net: charge - credit };
}

/**
 * Service is paid up to the start of the local day after termination: the termination
 * day counts as used (business-rules.md "Billing test vectors").
 */
export function serviceEndFor(canceledAt: number, timeZone: string): number {
  const day = localParts(canceledAt, timeZone);
  return zonedInstant(timeZone, day.year, day.month, day.day + 1);
}
