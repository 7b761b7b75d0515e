import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertMinorUnits, minorDigits, parseDecimal, roundHalfUp } from '../../../edge/services/billing/money.ts';

describe('minorDigits', () => {
  it('knows zero-, two-, three- and four-decimal currencies (ISO 4217)', () => {
    expect(['JPY', 'CLP', 'KRW', 'VND', 'XOF', 'UYI'].map(minorDigits)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(['KWD', 'BHD', 'JOD', 'OMR', 'TND', 'IQD', 'LYD'].map(minorDigits)).toEqual([3, 3, 3, 3, 3, 3, 3]);
    expect(['CLF', 'UYW'].map(minorDigits)).toEqual([4, 4]);
    expect(['USD', 'EUR', 'NGN', 'KES'].map(minorDigits)).toEqual([2, 2, 2, 2]);
  });

  it('refuses what is not a three-letter upper-case code', () => {
    for (const bad of ['usd', 'US', 'USDT', '', 'U$D']) expect(() => minorDigits(bad)).toThrow(RangeError);
  });
});

describe('roundHalfUp', () => {
  it('rounds halves away from zero and everything else to the nearest integer', () => {
    expect(roundHalfUp(5n, 2n)).toBe(3);
    expect(roundHalfUp(-5n, 2n)).toBe(-3);
    expect(roundHalfUp(7n, 3n)).toBe(2);
    expect(roundHalfUp(8n, 3n)).toBe(3);
    expect(roundHalfUp(-7n, 3n)).toBe(-2);
    expect(roundHalfUp(0n, 9n)).toBe(0);
    expect(Object.is(roundHalfUp(-1n, 3n), 0)).toBe(true);
  });

  it('prorates the business-rules vectors (5/7 and 4/7 of 100,000; 12/31)', () => {
    expect(roundHalfUp(100_000n * 5n, 7n)).toBe(71_429);
    expect(roundHalfUp(100_000n * 4n, 7n)).toBe(57_143);
    expect(roundHalfUp(31_000n * 12n, 31n)).toBe(12_000);
  });

  it('refuses a non-positive denominator and results beyond safe integers', () => {
    expect(() => roundHalfUp(1n, 0n)).toThrow(RangeError);
    expect(() => roundHalfUp(1n, -2n)).toThrow(RangeError);
    expect(() => roundHalfUp(2n ** 60n, 1n)).toThrow(RangeError);
  });

  it('a credit mirrors its charge: round(−x) = −round(x)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (n, d) => {
          expect(roundHalfUp(-n, d)).toBe(-roundHalfUp(n, d) || 0);
          const r = BigInt(roundHalfUp(n, d));
          // Within half a unit of the exact quotient.
          expect(2n * (r * d - n) <= d && 2n * (n - r * d) <= d).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseDecimal', () => {
  it('reads plain decimals exactly', () => {
    expect(parseDecimal('7.5')).toEqual({ num: 75n, den: 10n });
    expect(parseDecimal('0')).toEqual({ num: 0n, den: 1n });
    expect(parseDecimal('12.345')).toEqual({ num: 12345n, den: 1000n });
    expect(parseDecimal('0.000001')).toEqual({ num: 1n, den: 1_000_000n });
  });

  it('refuses negatives, exponents, too many decimals and junk', () => {
    for (const bad of ['-1', '1e3', '0.0000001', '', '.5', '5.', '1,5', ' 1', 'abc', '+1', 'NaN', 'Infinity']) {
      expect(() => parseDecimal(bad)).toThrow(RangeError);
    }
  });
});

describe('assertMinorUnits', () => {
  it('accepts safe integers only', () => {
    expect(() => assertMinorUnits(-12)).not.toThrow();
    for (const bad of [0.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, Infinity])
      expect(() => assertMinorUnits(bad)).toThrow(RangeError);
  });
});
