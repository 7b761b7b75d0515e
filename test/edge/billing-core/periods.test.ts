import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BillingCycle } from '../../../db/tenant/catalog.ts';
import { daysInMonth, localParts, startOfLocalDay, zonedInstant } from '../../../edge/services/billing/calendar.ts';
import {
  type BillingAnchor,
  defaultAnchor,
  nextPeriod,
  periodContaining,
  previousBoundary,
} from '../../../edge/services/billing/periods.ts';

const utc = (iso: string) => Date.parse(iso);
const day = (tz: string, y: number, m: number, d: number) => zonedInstant(tz, y, m, d);
const monthly = (d: number): BillingAnchor => ({ cycle: 'monthly', day: d, month: null });

/** `count` consecutive periods from the one containing `from`. */
function periods(from: number, anchor: BillingAnchor, tz: string, count: number) {
  const out = [periodContaining(from, anchor, tz)];
  while (out.length < count) out.push(nextPeriod(out.at(-1)!, anchor, tz));
  return out;
}

const localDates = (list: { start: number; end: number }[], tz: string) =>
  list.map(({ start }) => {
    const p = localParts(start, tz);
    return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  });

describe('Jan 31 anchor clamps and returns (business-rules.md vectors)', () => {
  it('non-leap year: Jan 31 → Feb 28 → Mar 31 → Apr 30 → May 31', () => {
    const list = periods(utc('2023-02-10T00:00:00Z'), monthly(31), 'UTC', 4);
    expect(list[0]).toEqual({ start: utc('2023-01-31T00:00:00Z'), end: utc('2023-02-28T00:00:00Z') });
    expect(localDates(list, 'UTC')).toEqual(['2023-01-31', '2023-02-28', '2023-03-31', '2023-04-30']);
    expect(list.at(-1)!.end).toBe(utc('2023-05-31T00:00:00Z'));
  });

  it('leap year: Jan 31 → Feb 29 → Mar 31 → Apr 30', () => {
    expect(localDates(periods(utc('2024-01-31T00:00:00Z'), monthly(31), 'UTC', 4), 'UTC')).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
    ]);
  });

  it('previousBoundary walks back the same grid, and refuses a non-boundary', () => {
    expect(previousBoundary(utc('2024-03-31T00:00:00Z'), monthly(31), 'UTC')).toBe(utc('2024-02-29T00:00:00Z'));
    expect(previousBoundary(utc('2024-02-29T00:00:00Z'), monthly(31), 'UTC')).toBe(utc('2024-01-31T00:00:00Z'));
    expect(() => previousBoundary(utc('2024-03-30T00:00:00Z'), monthly(31), 'UTC')).toThrow(RangeError);
  });
});

describe('annual and quarterly anchors', () => {
  it('an annual plan anchored Feb 29 bills Feb 28 in non-leap years', () => {
    const anchor = defaultAnchor('annual', utc('2024-02-29T10:00:00Z'), 'UTC');
    expect(anchor).toEqual({ cycle: 'annual', day: 29, month: 2 });
    expect(localDates(periods(utc('2024-03-01T00:00:00Z'), anchor, 'UTC', 5), 'UTC')).toEqual([
      '2024-02-29',
      '2025-02-28',
      '2026-02-28',
      '2027-02-28',
      '2028-02-29',
    ]);
  });

  it('quarterly boundaries fall every third month from the anchor month, clamped', () => {
    const anchor: BillingAnchor = { cycle: 'quarterly', day: 31, month: 5 };
    expect(localDates(periods(utc('2024-01-15T00:00:00Z'), anchor, 'UTC', 5), 'UTC')).toEqual([
      '2023-11-30',
      '2024-02-29',
      '2024-05-31',
      '2024-08-31',
      '2024-11-30',
    ]);
  });
});

describe('weekly and daily', () => {
  it('weekly anchored Monday: the period is Monday midnight to Monday midnight', () => {
    const wednesday = utc('2024-05-15T09:00:00Z');
    expect(periodContaining(wednesday, { cycle: 'weekly', day: 1, month: null }, 'UTC')).toEqual({
      start: utc('2024-05-13T00:00:00Z'),
      end: utc('2024-05-20T00:00:00Z'),
    });
    expect(defaultAnchor('weekly', wednesday, 'UTC')).toEqual({ cycle: 'weekly', day: 3, month: null });
  });

  it('daily periods are local days: 23 h and 25 h across New York DST', () => {
    const tz = 'America/New_York';
    const daily: BillingAnchor = { cycle: 'daily', day: null, month: null };
    expect(periodContaining(utc('2024-03-10T12:00:00Z'), daily, tz)).toEqual({
      start: utc('2024-03-10T05:00:00Z'),
      end: utc('2024-03-11T04:00:00Z'),
    });
    expect(periodContaining(utc('2024-11-03T12:00:00Z'), daily, tz)).toEqual({
      start: utc('2024-11-03T04:00:00Z'),
      end: utc('2024-11-04T05:00:00Z'),
    });
  });

  it('Samoa skipped 2011-12-30: the daily grid steps over the missing day', () => {
    const tz = 'Pacific/Apia';
    const daily: BillingAnchor = { cycle: 'daily', day: null, month: null };
    const dec29 = periodContaining(day(tz, 2011, 12, 29) + 3_600_000, daily, tz);
    expect(dec29).toEqual({ start: day(tz, 2011, 12, 29), end: day(tz, 2011, 12, 31) });
    expect(nextPeriod(dec29, daily, tz)).toEqual({ start: day(tz, 2011, 12, 31), end: day(tz, 2012, 1, 1) });
  });
});

describe('boundaries are local midnight in every zone', () => {
  it('New York monthly across both DST changes', () => {
    const tz = 'America/New_York';
    const list = periods(utc('2024-02-15T12:00:00Z'), monthly(1), tz, 10);
    expect(list[1]).toEqual({ start: utc('2024-03-01T05:00:00Z'), end: utc('2024-04-01T04:00:00Z') }); // EST → EDT
    expect(list[9]).toEqual({ start: utc('2024-11-01T04:00:00Z'), end: utc('2024-12-01T05:00:00Z') }); // EDT → EST
  });

  it('Kathmandu (+05:45) and Chatham (+12:45/+13:45)', () => {
    expect(periodContaining(utc('2024-01-10T00:00:00Z'), monthly(1), 'Asia/Kathmandu')).toEqual({
      start: utc('2023-12-31T18:15:00Z'),
      end: utc('2024-01-31T18:15:00Z'),
    });
    // Chatham leaves DST on 2024-04-07: the April period starts at +13:45 and ends at +12:45.
    expect(periodContaining(utc('2024-04-10T00:00:00Z'), monthly(1), 'Pacific/Chatham')).toEqual({
      start: utc('2024-03-31T10:15:00Z'),
      end: utc('2024-04-30T11:15:00Z'),
    });
  });

  it('Lord Howe (30-minute DST): a weekly period spanning the change is 7 days less 30 minutes', () => {
    const tz = 'Australia/Lord_Howe';
    const p = periodContaining(utc('2024-10-05T00:00:00Z'), { cycle: 'weekly', day: 1, month: null }, tz);
    // Mon 30 Sep → Mon 7 Oct local
    expect(p).toEqual({ start: utc('2024-09-29T13:30:00Z'), end: utc('2024-10-06T13:00:00Z') });
    expect(p.end - p.start).toBe(7 * 86_400_000 - 1_800_000);
  });
});

describe('defaultAnchor', () => {
  it('takes the requested day or the start day, in the tenant zone', () => {
    const start = utc('2024-01-31T20:00:00Z'); // Feb 1 in Kathmandu
    expect(defaultAnchor('monthly', start, 'UTC')).toEqual(monthly(31));
    expect(defaultAnchor('monthly', start, 'Asia/Kathmandu')).toEqual(monthly(1));
    expect(defaultAnchor('monthly', start, 'UTC', 13)).toEqual(monthly(13));
    expect(defaultAnchor('quarterly', start, 'UTC', 15)).toEqual({ cycle: 'quarterly', day: 15, month: 1 });
    expect(defaultAnchor('daily', start, 'UTC')).toEqual({ cycle: 'daily', day: null, month: null });
  });

  it('refuses billing days out of range', () => {
    expect(() => defaultAnchor('monthly', 0, 'UTC', 32)).toThrow(RangeError);
    expect(() => defaultAnchor('monthly', 0, 'UTC', 0)).toThrow(RangeError);
    expect(() => defaultAnchor('weekly', 0, 'UTC', 8)).toThrow(RangeError);
    expect(() => defaultAnchor('annual', 0, 'UTC', 1.5)).toThrow(RangeError);
    expect(() => periodContaining(0, { cycle: 'quarterly', day: 1, month: null }, 'UTC')).toThrow(RangeError);
  });
});

describe('period properties', () => {
  const zones = [
    'UTC',
    'America/New_York',
    'Asia/Kathmandu',
    'Pacific/Chatham',
    'Australia/Lord_Howe',
    'America/Santiago',
  ];
  const instant = fc.integer({ min: 0, max: utc('2100-01-01T00:00:00Z') });
  const anchor: fc.Arbitrary<BillingAnchor> = fc.oneof(
    fc.constant<BillingAnchor>({ cycle: 'daily', day: null, month: null }),
    fc.integer({ min: 1, max: 7 }).map((d): BillingAnchor => ({ cycle: 'weekly', day: d, month: null })),
    fc
      .tuple(
        fc.constantFrom<BillingCycle>('monthly', 'quarterly', 'annual'),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 1, max: 12 }),
      )
      .map(([cycle, d, m]): BillingAnchor => ({ cycle, day: d, month: cycle === 'monthly' ? null : m })),
  );

  it('contain the instant, are contiguous and increasing, start at a local midnight on the anchor date', () => {
    fc.assert(
      fc.property(instant, anchor, fc.constantFrom(...zones), (t, a, tz) => {
        const p = periodContaining(t, a, tz);
        expect(p.start <= t && t < p.end).toBe(true);
        const next = nextPeriod(p, a, tz);
        expect(next.start).toBe(p.end);
        expect(next.end).toBeGreaterThan(next.start);
        expect(previousBoundary(p.end, a, tz)).toBe(p.start);
        expect(periodContaining(p.start - 1, a, tz).end).toBe(p.start);
        expect(startOfLocalDay(p.start, tz)).toBe(p.start);
        const local = localParts(p.start, tz);
        if (a.cycle === 'weekly') expect(local.weekday).toBe(a.day);
        if (a.cycle !== 'daily' && a.cycle !== 'weekly')
          expect(local.day).toBe(Math.min(a.day!, daysInMonth(local.year, local.month)));
        if (a.cycle === 'annual') expect(local.month).toBe(a.month);
        if (a.cycle === 'quarterly') expect((local.month - a.month! + 12) % 3).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('monthly anchors 29–31 return to the anchor day in every month long enough', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 29, max: 31 }), fc.constantFrom(...zones), (t, anchorDay, tz) => {
        for (const p of periods(t, monthly(anchorDay), tz, 14)) {
          const local = localParts(p.start, tz);
          const length = daysInMonth(local.year, local.month);
          expect(local.day).toBe(length >= anchorDay ? anchorDay : length);
        }
      }),
      { numRuns: 60 },
    );
  });
});
