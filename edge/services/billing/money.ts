// Money is integer minor units plus an ISO 4217 code; rounding is half-up, once per
// line, never on intermediate ratios (business-rules.md "Money and numbers"). Ratios are
// therefore kept as exact BigInt fractions until the single rounding step here.

const zeroDecimal = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'UYI',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const threeDecimal = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
const fourDecimal = new Set(['CLF', 'UYW']);

/** Digits after the decimal point in `currency`'s minor unit (the ISO 4217 exponent). */
export function minorDigits(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`not an ISO 4217 currency code: ${JSON.stringify(currency)}`);
  if (zeroDecimal.has(currency)) return 0;
  if (threeDecimal.has(currency)) return 3;
  if (fourDecimal.has(currency)) return 4;
  return 2;
}

/** Throws unless `amount` is a whole number of minor units that a JS number holds exactly. */
export function assertMinorUnits(amount: number): void {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`not a safe integer amount of minor units: ${amount}`);
}

/**
 * numerator / denominator rounded to the nearest integer, halves away from zero, so a
 * credit is the exact mirror of the charge it reverses.
 */
export function roundHalfUp(numerator: bigint, denominator: bigint): number {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const magnitude = numerator < 0n ? -numerator : numerator;
  let quotient = magnitude / denominator;
  if (2n * (magnitude % denominator) >= denominator) quotient += 1n;
  const result = Number(numerator < 0n ? -quotient : quotient);
  assertMinorUnits(result);
  return result;
}

/** An exact amount of minor units as a fraction, kept until the one rounding of a line. */
export type Fraction = { num: bigint; den: bigint };

/**
 * A non-negative decimal as an exact fraction: "7.5" → 75/10. Rates are stored as text
 * so they never pass through a float; exponents and more than 6 decimals are refused.
 */
export function parseDecimal(value: string): Fraction {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(value);
  if (!match)
    throw new RangeError(`not a plain non-negative decimal with at most 6 decimals: ${JSON.stringify(value)}`);
  const decimals = match[2] ?? '';
  return { num: BigInt(match[1] + decimals), den: 10n ** BigInt(decimals.length) };
}
