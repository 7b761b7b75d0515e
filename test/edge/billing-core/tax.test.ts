import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minorDigits, roundHalfUp } from '../../../edge/services/billing/money.ts';
import { type TaxRateSpec, taxLine } from '../../../edge/services/billing/tax.ts';

const rate = (
  value: string,
  mode: TaxRateSpec['mode'] = 'exclusive',
  compound = false,
  id = `tax-${value}`,
): TaxRateSpec => ({ id, name: `Tax ${value}%`, rate: value, mode, compound });

/** Random rate strings with up to 6 decimals, 0–100 %. */
const rateText = fc
  .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([whole, frac]) => (whole === 100 ? '100' : `${whole}.${String(frac).padStart(6, '0')}`));
const amount = fc.integer({ min: -(10 ** 12), max: 10 ** 12 });

describe('taxLine vectors (business-rules.md "Tax")', () => {
  it('17,500.00 exclusive at 7.5 % = 18,812.50', () => {
    const line = taxLine(1_750_000, [rate('7.5')]);
    expect(line).toEqual({
      net: 1_750_000,
      tax: 131_250,
      gross: 1_881_250,
      taxes: [
        { tax_rate_id: 'tax-7.5', name: 'Tax 7.5%', rate: '7.5', mode: 'exclusive', compound: false, amount: 131_250 },
      ],
    });
  });

  it('inclusive never double-counts: 18,812.50 inclusive at 7.5 % is 17,500.00 net', () => {
    const line = taxLine(1_881_250, [rate('7.5', 'inclusive')]);
    expect(line).toMatchObject({ net: 1_750_000, tax: 131_250, gross: 1_881_250 });
    expect(line.taxes[0]).toMatchObject({ mode: 'inclusive', amount: 131_250 });
    expect(line.net + line.tax).toBe(1_881_250);
  });

  it('zero-decimal JPY: ¥10,000 at 10 % exclusive; ¥1,000 at 8 % inclusive rounds once', () => {
    expect(minorDigits('JPY')).toBe(0);
    expect(taxLine(10_000, [rate('10')])).toMatchObject({ net: 10_000, tax: 1_000, gross: 11_000 });
    // 1000 / 1.08 = 925.9… → 926 net, 74 tax.
    expect(taxLine(1_000, [rate('8', 'inclusive')])).toMatchObject({ net: 926, tax: 74, gross: 1_000 });
  });

  it('three-decimal KWD: 12.345 KWD at 5 % exclusive = 0.617 (0.61725 rounds once)', () => {
    expect(minorDigits('KWD')).toBe(3);
    expect(taxLine(12_345, [rate('5')])).toMatchObject({ net: 12_345, tax: 617, gross: 12_962 });
  });

  it('compound rates apply to the net plus the simple taxes, whatever the list order', () => {
    // Quebec-style: GST 5 % simple, QST 9.975 % compound on (net + GST).
    const line = taxLine(10_000, [rate('9.975', 'exclusive', true), rate('5')]);
    expect(line.taxes.map((t) => t.amount)).toEqual([1_047, 500]); // 10,500 × 9.975 % = 1,047.375
    expect(line).toMatchObject({ net: 10_000, tax: 1_547, gross: 11_547 });
  });

  it('compound inclusive carves both taxes out of the price', () => {
    const line = taxLine(11_547, [rate('5', 'inclusive'), rate('9.975', 'inclusive', true)]);
    expect(line).toMatchObject({ net: 10_000, tax: 1_547, gross: 11_547 });
    expect(line.taxes.map((t) => t.amount)).toEqual([500, 1_047]);
  });

  it('exempt rates and no rates charge no tax', () => {
    expect(taxLine(5_000, [])).toEqual({ net: 5_000, tax: 0, gross: 5_000, taxes: [] });
    expect(taxLine(5_000, [rate('0', 'exempt')])).toEqual({ net: 5_000, tax: 0, gross: 5_000, taxes: [] });
    expect(taxLine(5_000, [rate('0', 'exempt'), rate('10', 'inclusive')]).taxes).toHaveLength(1);
  });

  it('refuses a line mixing exclusive and inclusive rates, bad rates and fractional amounts', () => {
    expect(() => taxLine(100, [rate('5'), rate('7', 'inclusive')])).toThrow(/mix exclusive and inclusive/);
    expect(() => taxLine(100, [rate('-5')])).toThrow(RangeError);
    expect(() => taxLine(100, [rate('1e2')])).toThrow(RangeError);
    expect(() => taxLine(10.5, [rate('5')])).toThrow(RangeError);
  });

  it('a credit line mirrors its charge, without negative zeros', () => {
    expect(taxLine(-1_750_000, [rate('7.5')])).toMatchObject({ net: -1_750_000, tax: -131_250, gross: -1_881_250 });
    const zero = taxLine(0, [rate('7.5')]);
    expect(Object.is(zero.tax, 0) && Object.is(zero.taxes[0]?.amount, 0)).toBe(true);
  });
});

describe('taxLine properties', () => {
  const rateList = (mode: 'exclusive' | 'inclusive') =>
    fc
      .array(fc.tuple(rateText, fc.boolean()), { minLength: 1, maxLength: 3 })
      .map((rs) => rs.map(([value, compound], i) => rate(value, mode, compound, `r${i}`)));

  it('inclusive: net + tax = gross = the price, exactly', () => {
    fc.assert(
      fc.property(amount, rateList('inclusive'), (price, rates) => {
        const line = taxLine(price, rates);
        expect(line.gross).toBe(price);
        expect(line.net + line.tax).toBe(price);
        expect(line.taxes.reduce((s, t) => s + t.amount, 0)).toBe(line.tax);
      }),
      { numRuns: 300 },
    );
  });

  it('exclusive: net is the price and gross = net + Σ taxes', () => {
    fc.assert(
      fc.property(amount, rateList('exclusive'), (price, rates) => {
        const line = taxLine(price, rates);
        expect(line.net).toBe(price);
        expect(line.gross).toBe(price + line.tax);
        expect(line.taxes.reduce((s, t) => s + t.amount, 0)).toBe(line.tax);
      }),
      { numRuns: 300 },
    );
  });

  it('exclusive tax is round(net × rate), rounded once', () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 100_000_000 }), (price, ppm) => {
        // ppm = rate in millionths of a percent, so the text has exactly 6 decimals.
        const text = `${Math.floor(ppm / 1e6)}.${String(ppm % 1e6).padStart(6, '0')}`;
        expect(taxLine(price, [rate(text)]).tax).toBe(roundHalfUp(BigInt(price) * BigInt(ppm), 100_000_000n));
      }),
      { numRuns: 300 },
    );
  });

  it('taxLine(−x) is the negation of taxLine(x), for both modes', () => {
    const neg = (n: number) => (n === 0 ? 0 : -n);
    fc.assert(
      fc.property(amount, fc.oneof(rateList('exclusive'), rateList('inclusive')), (price, rates) => {
        const pos = taxLine(price, rates);
        expect(taxLine(-price || 0, rates)).toEqual({
          net: neg(pos.net),
          tax: neg(pos.tax),
          gross: neg(pos.gross),
          taxes: pos.taxes.map((t) => ({ ...t, amount: neg(t.amount) })),
        });
      }),
      { numRuns: 300 },
    );
  });
});
