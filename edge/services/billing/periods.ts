// Billing periods (business-rules.md "Billing periods"): half-open [start, end) in UTC
// ms, boundaries at local midnight on the anchor's dates. Every boundary is computed
// from the anchor itself, never from the previous boundary, so a month-end anchor clamps
// and then returns (31: Jan 31 → Feb 28/29 → Mar 31 → Apr 30).
import type { BillingCycle } from '../../../db/tenant/catalog.ts';
import { daysInMonth, localParts, zonedInstant } from './calendar.ts';

/**
 * day: 1–31 for monthly, quarterly and annual; ISO weekday 1–7 for weekly; null for daily.
 * month: 1–12 for quarterly (any month of the quarter phase) and annual; null otherwise.
 */
export type BillingAnchor = { cycle: BillingCycle; day: number | null; month: number | null };
export type Period = { start: number; end: number };

const monthsPerCycle = { monthly: 1, quarterly: 3, annual: 12 } as const;

function checkRange(value: number | null, min: number, max: number, what: string): number {
  if (value === null || !Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${what} must be an integer ${min}–${max}, got ${value}`);
  return value;
}

/**
 * The anchor a subscription starting at `startAt` gets: the requested billing day, or
 * the start's own local day (weekday for weekly). A billing day means nothing to a daily
 * cycle, so it is ignored there.
 */
export function defaultAnchor(
  cycle: BillingCycle,
  startAt: number,
  timeZone: string,
  requestedDay?: number | null,
): BillingAnchor {
  const start = localParts(startAt, timeZone);
  const day = (fallback: number, max: number) => checkRange(requestedDay ?? fallback, 1, max, 'billing day');
  switch (cycle) {
    case 'daily':
      return { cycle, day: null, month: null };
    case 'weekly':
      return { cycle, day: day(start.weekday, 7), month: null };
    case 'monthly':
      return { cycle, day: day(start.day, 31), month: null };
    case 'quarterly':
    case 'annual':
      return { cycle, day: day(start.day, 31), month: start.month };
  }
}

/**
 * Boundaries of one anchor as an integer grid: boundary `k` is at `at(k)`, consecutive
 * boundaries are `step` apart, and `floor` is a k whose local date is on or before the
 * given local date. k counts days since 1970-01-01 for daily and weekly cycles and
 * months since year 0 for the others.
 */
type Grid = { step: number; at: (k: number) => number; floor: (year: number, month: number, day: number) => number };

const epochDay = (year: number, month: number, day: number): number =>
  Math.round(Date.UTC(year, month - 1, day) / 86_400_000);
const mod = (a: number, n: number): number => ((a % n) + n) % n;

function gridFor(anchor: BillingAnchor, timeZone: string): Grid {
  const midnightOfEpochDay = (k: number) => zonedInstant(timeZone, 1970, 1, 1 + k);
  switch (anchor.cycle) {
    case 'daily':
      return { step: 1, at: midnightOfEpochDay, floor: epochDay };
    case 'weekly': {
      const weekday = checkRange(anchor.day, 1, 7, 'weekly anchor day');
      // 1970-01-01 was a Thursday (ISO weekday 4).
      return {
        step: 7,
        at: midnightOfEpochDay,
        floor: (y, m, d) => epochDay(y, m, d) - mod(epochDay(y, m, d) + 4 - weekday, 7),
      };
    }
    case 'monthly':
    case 'quarterly':
    case 'annual': {
      const step = monthsPerCycle[anchor.cycle];
      const anchorDay = checkRange(anchor.day, 1, 31, `${anchor.cycle} anchor day`);
      const phase =
        anchor.cycle === 'monthly' ? 0 : checkRange(anchor.month, 1, 12, `${anchor.cycle} anchor month`) - 1;
      const dateOf = (k: number) => ({ year: Math.floor(k / 12), month: mod(k, 12) + 1 });
      const dayIn = (k: number) => Math.min(anchorDay, daysInMonth(dateOf(k).year, dateOf(k).month));
      return {
        step,
        at: (k) => zonedInstant(timeZone, dateOf(k).year, dateOf(k).month, dayIn(k)),
        floor: (y, m, d) => {
          const k = y * 12 + m - 1 - mod(y * 12 + m - 1 - phase, step);
          return k === y * 12 + m - 1 && d < dayIn(k) ? k - step : k;
        },
      };
    }
  }
}

/** The billing period of `anchor` that contains `instant`. */
export function periodContaining(instant: number, anchor: BillingAnchor, timeZone: string): Period {
  const grid = gridFor(anchor, timeZone);
  const local = localParts(instant, timeZone);
  let k = grid.floor(local.year, local.month, local.day);
  let start = grid.at(k);
  // Local dates are not monotonic in time where clocks go back across midnight, and a
  // skipped day (Samoa, 2011-12-30) gives an empty period: settle on instants instead.
  while (start > instant) start = grid.at((k -= grid.step));
  let end = grid.at(k + grid.step);
  while (end <= instant) {
    k += grid.step;
    start = end;
    end = grid.at(k + grid.step);
  }
  return { start, end };
}

/** The period that starts when `period` ends. */
export function nextPeriod(period: Period, anchor: BillingAnchor, timeZone: string): Period {
  return periodContaining(period.end, anchor, timeZone);
}

/**
 * The start of the full period ending at `boundary` (plan changes: cycle_start =
 * next_billing_at − one cycle). Throws if `boundary` is not a boundary of `anchor`, as a
 * misaligned next_billing_at would otherwise prorate against the wrong cycle.
 */
export function previousBoundary(boundary: number, anchor: BillingAnchor, timeZone: string): number {
  const period = periodContaining(boundary - 1, anchor, timeZone);
  if (period.end !== boundary)
    throw new RangeError(`${new Date(boundary).toISOString()} is not a ${anchor.cycle} period boundary`);
  return period.start;
}
