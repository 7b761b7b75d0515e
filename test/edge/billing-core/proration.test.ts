import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zonedInstant } from '../../../edge/services/billing/calendar.ts';
import { defaultAnchor, periodContaining } from '../../../edge/services/billing/periods.ts';
import { planChangeAmounts, prorate, serviceEndFor } from '../../../edge/services/billing/proration.ts';

const utc = (iso: string) => Date.parse(iso);
const dayMs = 86_400_000;

describe('prorate: business-rules.md vectors', () => {
  it('weekly plan starting Wednesday, week anchored Monday: first stub 5/7 of 100,000 = 71,429', () => {
    const tz = 'America/New_York';
    const wednesday = zonedInstant(tz, 2024, 5, 15, 14, 20);
    const anchor = { cycle: 'weekly', day: 1, month: null } as const;
    const period = periodContaining(wednesday, anchor, tz);
    expect(period).toEqual({ start: zonedInstant(tz, 2024, 5, 13), end: zonedInstant(tz, 2024, 5, 20) });
    // Service starts on the local day of activation: that day counts in full.
    const serviceStart = zonedInstant(tz, 2024, 5, 15);
    expect(prorate(100_000, period.end - serviceStart, period.end - period.start)).toBe(71_429);
  });

  it('termination on a Thursday of a Monday-anchored week counts Thursday: 4/7 of 100,000 = 57,143', () => {
    const tz = 'Europe/Berlin';
    const thursdayEvening = zonedInstant(tz, 2024, 5, 16, 21, 45);
    const period = periodContaining(thursdayEvening, { cycle: 'weekly', day: 1, month: null }, tz);
    const end = serviceEndFor(thursdayEvening, tz);
    expect(end).toBe(zonedInstant(tz, 2024, 5, 17));
    expect(prorate(100_000, end - period.start, period.end - period.start)).toBe(57_143);
  });

  it('start Feb 1 with billing day 13: stub 12/31 of the price, over the full period Jan 13–Feb 13', () => {
    const tz = 'UTC';
    const start = utc('2024-02-01T00:00:00Z');
    const period = periodContaining(start, defaultAnchor('monthly', start, tz, 13), tz);
    expect(period).toEqual({ start: utc('2024-01-13T00:00:00Z'), end: utc('2024-02-13T00:00:00Z') });
    expect(prorate(31_000, period.end - start, period.end - period.start)).toBe(12_000);
    expect(prorate(100_000, period.end - start, period.end - period.start)).toBe(38_710); // 38,709.68
  });

  it('zero-decimal and three-decimal currencies round to their own minor unit', () => {
    expect(prorate(4_980, 5 * dayMs, 7 * dayMs)).toBe(3_557); // ¥4,980 × 5/7 = ¥3,557.14
    expect(prorate(12_500, 12 * dayMs, 31 * dayMs)).toBe(4_839); // 12.500 KWD × 12/31 = 4.83870…
  });

  it('clamps used time to the period and refuses bad inputs', () => {
    expect(prorate(1_000, 2 * dayMs, dayMs)).toBe(1_000);
    expect(prorate(1_000, -5, dayMs)).toBe(0);
    expect(prorate(-1_000, dayMs / 2, dayMs)).toBe(-500);
    expect(() => prorate(1_000, 1, 0)).toThrow(RangeError);
    expect(() => prorate(10.5, 1, 2)).toThrow(RangeError);
    expect(() => prorate(1_000, 0.5, 2)).toThrow(RangeError);
  });
});

describe('planChangeAmounts', () => {
  it('100 → 200 on May 16 12:00 in a May cycle: credit 50, charge 100, net 50', () => {
    const amounts = planChangeAmounts({
      oldPrice: 100,
      newPrice: 200,
      effectiveAt: utc('2024-05-16T12:00:00Z'),
      cycleStart: utc('2024-05-01T00:00:00Z'),
      cycleEnd: utc('2024-06-01T00:00:00Z'),
    });
    expect(amounts).toEqual({ remainingMs: 15.5 * dayMs, cycleMs: 31 * dayMs, credit: 50, charge: 100, net: 50 });
  });

  it('Stripe: 10 → 20 USD half-way nets +5.00; a downgrade nets the mirror', () => {
    const cycle = { cycleStart: 0, cycleEnd: 30 * dayMs, effectiveAt: 15 * dayMs };
    expect(planChangeAmounts({ ...cycle, oldPrice: 1_000, newPrice: 2_000 }).net).toBe(500);
    expect(planChangeAmounts({ ...cycle, oldPrice: 2_000, newPrice: 1_000 }).net).toBe(-500);
  });

  it('clamps the effective time into the cycle', () => {
    const cycle = { oldPrice: 100, newPrice: 300, cycleStart: 0, cycleEnd: 10 * dayMs };
    expect(planChangeAmounts({ ...cycle, effectiveAt: -dayMs })).toMatchObject({
      remainingMs: 10 * dayMs,
      credit: 100,
      charge: 300,
      net: 200,
    });
    expect(planChangeAmounts({ ...cycle, effectiveAt: 11 * dayMs })).toMatchObject({
      remainingMs: 0,
      credit: 0,
      charge: 0,
      net: 0,
    });
  });
});

describe('serviceEndFor', () => {
  it('is the next local midnight, also across DST', () => {
    expect(serviceEndFor(utc('2024-03-10T15:00:00Z'), 'America/New_York')).toBe(utc('2024-03-11T04:00:00Z'));
    expect(serviceEndFor(utc('2024-10-05T14:00:00Z'), 'Australia/Lord_Howe')).toBe(utc('2024-10-06T13:00:00Z'));
    // Santiago's Sep 8 has no midnight: Sep 7's service runs until clocks resume at 01:00.
    expect(serviceEndFor(utc('2024-09-07T20:00:00Z'), 'America/Santiago')).toBe(utc('2024-09-08T04:00:00Z'));
  });
});

describe('proration properties', () => {
  const price = fc.integer({ min: -(10 ** 12), max: 10 ** 12 });
  const periodMs = fc.integer({ min: 1, max: 400 * dayMs });

  it('a full period prorates to the price', () => {
    fc.assert(
      fc.property(price, periodMs, (amount, length) => {
        expect(prorate(amount, length, length)).toBe(amount);
      }),
      { numRuns: 300 },
    );
  });

  it('a period split at any instant prorates to the price within ±1', () => {
    fc.assert(
      fc.property(price, periodMs, fc.double({ min: 0, max: 1, noNaN: true }), (amount, length, at) => {
        const split = Math.floor(length * at);
        const sum = prorate(amount, split, length) + prorate(amount, length - split, length);
        expect(Math.abs(sum - amount)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('a plan change nets charge − credit, and changing to the same price nets zero', () => {
    fc.assert(
      fc.property(
        fc.nat(10 ** 9),
        fc.nat(10 ** 9),
        periodMs,
        fc.integer({ min: -dayMs, max: 401 * dayMs }),
        (oldPrice, newPrice, length, offset) => {
          const change = planChangeAmounts({
            oldPrice,
            newPrice,
            effectiveAt: offset,
            cycleStart: 0,
            cycleEnd: length,
          });
          expect(change.net).toBe(change.charge - change.credit);
          expect(change.remainingMs).toBeGreaterThanOrEqual(0);
          expect(change.remainingMs).toBeLessThanOrEqual(length);
          expect(
            planChangeAmounts({ oldPrice, newPrice: oldPrice, effectiveAt: offset, cycleStart: 0, cycleEnd: length })
              .net,
          ).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
