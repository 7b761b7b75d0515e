// Wall-clock arithmetic in an IANA time zone with Intl only (runs in workerd). Billing
// periods start at local midnight (business-rules.md "Billing periods"), so a DST change
// makes a day 23 or 25 hours long and odd offsets (+05:45, +12:45) must just work.

export type LocalParts = {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
};

const dayMs = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a proleptic Gregorian date. */
function isoWeekday(year: number, month: number, day: number): number {
  return ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1;
}

// Intl formatting is the slow part of billing arithmetic (≈ 8 calls per period
// computed), and a billing run asks about the same few instants over and over: the
// period boundaries of 28 anchors, today's midnight. Results are pure functions of their
// arguments, so a bounded memo is safe.
const memoLimit = 10_000;
const partsMemo = new Map<string, Readonly<LocalParts>>();
const instantMemo = new Map<string, number>();
function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= memoLimit) memo.clear();
  memo.set(key, value);
  return value;
}

/** The local calendar date and time of `instant` (UTC ms) in `timeZone`. */
export function localParts(instant: number, timeZone: string): LocalParts {
  const key = `${timeZone}|${instant}`;
  return partsMemo.get(key) ?? remember(partsMemo, key, Object.freeze(computeLocalParts(instant, timeZone)));
}

function computeLocalParts(instant: number, timeZone: string): LocalParts {
  const fields: Record<string, string> = {};
  for (const part of formatFor(timeZone).formatToParts(instant)) fields[part.type] = part.value;
  const yearOfEra = Number(fields.year);
  // Intl counts years before 1 as "BC" eras; astronomical years make arithmetic simple.
  const year = fields.era === 'BC' ? 1 - yearOfEra : yearOfEra;
  const month = Number(fields.month);
  const day = Number(fields.day);
  return {
    year,
    month,
    day,
    hour: Number(fields.hour),
    minute: Number(fields.minute),
    second: Number(fields.second),
    weekday: isoWeekday(year, month, day),
  };
}

/**
 * A wall time read as if it were UTC, in ms, overflowing fields normalised as Date.UTC
 * does (setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999).
 */
function wallMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.setUTCHours(hour, minute, second, 0);
}

/** The local wall time at `instant` (whole seconds) read as UTC ms. */
function wallAt(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  return wallMs(p.year, p.month, p.day, p.hour, p.minute, p.second);
}

/** UTC offset in ms in force at `instant`. */
const offsetAt = (instant: number, timeZone: string): number =>
  wallAt(instant, timeZone) - Math.floor(instant / 1000) * 1000;

/**
 * The UTC instant of a local wall time. Fields may overflow as with Date.UTC. When the
 * wall time occurs twice (clocks going back) the earlier instant is taken; when it does
 * not occur (clocks going forward) the first instant after the gap, so a day whose
 * midnight was skipped starts when the clocks resume.
 */
export function zonedInstant(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  const key = `${timeZone}|${year}|${month}|${day}|${hour}|${minute}|${second}`;
  return (
    instantMemo.get(key) ??
    remember(instantMemo, key, computeZonedInstant(timeZone, year, month, day, hour, minute, second))
  );
}

function computeZonedInstant(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const wall = wallMs(year, month, day, hour, minute, second);
  // Offsets a day either side bracket any transition near this wall time (as Temporal does).
  const offsets = [offsetAt(wall - dayMs, timeZone), offsetAt(wall + dayMs, timeZone)];
  const exact = offsets.map((o) => wall - o).filter((t) => wallAt(t, timeZone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the wall clock jumps past `wall` somewhere in (wall − later offset, wall − earlier offset].
  let lo = wall - Math.max(...offsets);
  let hi = wall - Math.min(...offsets);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallAt(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The instant the local day containing `instant` began. */
export function startOfLocalDay(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  return zonedInstant(timeZone, p.year, p.month, p.day);
}

/** The same local wall time `days` calendar days later (or earlier), whatever DST did between. */
export function addLocalDays(instant: number, days: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const subSecond = instant - Math.floor(instant / 1000) * 1000;
  return zonedInstant(timeZone, p.year, p.month, p.day + days, p.hour, p.minute, p.second) + subSecond;
}

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Days in `month` (1–12) of `year`, Gregorian. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
