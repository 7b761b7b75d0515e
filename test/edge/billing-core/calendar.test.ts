import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addLocalDays,
  daysInMonth,
  localParts,
  startOfLocalDay,
  zonedInstant,
} from '../../../edge/services/billing/calendar.ts';

const utc = (iso: string) => Date.parse(iso);
const hours = (h: number) => h * 3_600_000;

describe('localParts', () => {
  it('reads the local date, time and ISO weekday', () => {
    expect(localParts(utc('2024-03-10T07:00:00Z'), 'America/New_York')).toEqual({
      year: 2024,
      month: 3,
      day: 10,
      hour: 3,
      minute: 0,
      second: 0,
      weekday: 7,
    });
    expect(localParts(utc('2023-12-31T18:15:00Z'), 'Asia/Kathmandu')).toEqual({
      year: 2024,
      month: 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      weekday: 1,
    });
    expect(localParts(utc('2024-05-16T12:34:56.789Z'), 'UTC')).toMatchObject({
      hour: 12,
      minute: 34,
      second: 56,
      weekday: 4,
    });
  });

  it('refuses an unknown zone', () => {
    expect(() => localParts(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('zonedInstant', () => {
  it('maps plain and odd-offset wall times', () => {
    expect(zonedInstant('UTC', 2024, 2, 29)).toBe(utc('2024-02-29T00:00:00Z'));
    expect(zonedInstant('Asia/Kathmandu', 2024, 1, 1)).toBe(utc('2023-12-31T18:15:00Z')); // +05:45
    expect(zonedInstant('Pacific/Chatham', 2024, 1, 1)).toBe(utc('2023-12-31T10:15:00Z')); // +13:45 (summer)
    expect(zonedInstant('Pacific/Chatham', 2024, 7, 1)).toBe(utc('2024-06-30T11:15:00Z')); // +12:45
  });

  it('normalises overflowing fields like Date.UTC', () => {
    expect(zonedInstant('UTC', 2024, 1, 32)).toBe(utc('2024-02-01T00:00:00Z'));
    expect(zonedInstant('UTC', 2024, 13, 1)).toBe(utc('2025-01-01T00:00:00Z'));
    expect(zonedInstant('America/New_York', 2024, 3, 0, 24)).toBe(utc('2024-03-01T05:00:00Z'));
  });

  it('takes the instant after a DST gap (New York 02:30 and Lord Howe 02:15 do not exist)', () => {
    expect(zonedInstant('America/New_York', 2024, 3, 10, 2, 30)).toBe(utc('2024-03-10T07:00:00Z'));
    expect(zonedInstant('Australia/Lord_Howe', 2024, 10, 6, 2, 15)).toBe(utc('2024-10-05T15:30:00Z'));
  });

  it('takes the earlier instant when a wall time happens twice', () => {
    expect(zonedInstant('America/New_York', 2024, 11, 3, 1, 30)).toBe(utc('2024-11-03T05:30:00Z'));
    expect(zonedInstant('Australia/Lord_Howe', 2024, 4, 7, 1, 45)).toBe(utc('2024-04-06T14:45:00Z'));
  });

  it('starts a day whose midnight was skipped when the clocks resume (Santiago, Samoa)', () => {
    expect(zonedInstant('America/Santiago', 2024, 9, 8)).toBe(utc('2024-09-08T04:00:00Z')); // 00:00 → 01:00
    expect(localParts(zonedInstant('America/Santiago', 2024, 9, 8), 'America/Santiago')).toMatchObject({
      day: 8,
      hour: 1,
    });
    // Samoa skipped 2011-12-30 entirely: it "starts" when Dec 31 does.
    expect(zonedInstant('Pacific/Apia', 2011, 12, 30)).toBe(zonedInstant('Pacific/Apia', 2011, 12, 31));
  });

  it('round-trips every instant through its local parts (to the second, earlier instant if repeated)', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Asia/Kathmandu',
      'Pacific/Chatham',
      'Australia/Lord_Howe',
      'America/Santiago',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: utc('2100-01-01T00:00:00Z') / 1000 }),
        fc.constantFrom(...zones),
        (seconds, zone) => {
          const instant = seconds * 1000;
          const p = localParts(instant, zone);
          const back = zonedInstant(zone, p.year, p.month, p.day, p.hour, p.minute, p.second);
          expect(back <= instant && instant - back <= hours(1)).toBe(true);
          expect(localParts(back, zone)).toEqual(p);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('startOfLocalDay and addLocalDays', () => {
  it('a New York day is 23 hours in March and 25 in November', () => {
    const march = startOfLocalDay(utc('2024-03-10T15:00:00Z'), 'America/New_York');
    expect(march).toBe(utc('2024-03-10T05:00:00Z'));
    expect(addLocalDays(march, 1, 'America/New_York') - march).toBe(hours(23));
    const november = startOfLocalDay(utc('2024-11-03T15:00:00Z'), 'America/New_York');
    expect(addLocalDays(november, 1, 'America/New_York') - november).toBe(hours(25));
  });

  it('a Lord Howe day is 23½ or 24½ hours across its 30-minute DST', () => {
    const october = zonedInstant('Australia/Lord_Howe', 2024, 10, 6);
    expect(addLocalDays(october, 1, 'Australia/Lord_Howe') - october).toBe(hours(23.5));
    const april = zonedInstant('Australia/Lord_Howe', 2024, 4, 7);
    expect(addLocalDays(april, 1, 'Australia/Lord_Howe') - april).toBe(hours(24.5));
  });

  it('keeps the local wall time across DST, backwards too', () => {
    const evening = utc('2024-03-09T23:30:15.250Z'); // 18:30:15.250 EST
    expect(addLocalDays(evening, 2, 'America/New_York')).toBe(utc('2024-03-11T22:30:15.250Z')); // 18:30:15.250 EDT
    expect(addLocalDays(utc('2024-03-11T22:30:15.250Z'), -2, 'America/New_York')).toBe(evening);
  });
});

describe('daysInMonth', () => {
  it('knows Gregorian leap years', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => daysInMonth(2023, m))).toEqual([
      31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
    ]);
    expect([2024, 2000, 1900, 2100].map((y) => daysInMonth(y, 2))).toEqual([29, 29, 28, 28]);
  });
});
