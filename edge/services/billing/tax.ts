// Per-line tax (business-rules.md "Tax"): exclusive adds tax to the price, inclusive
// carves it out of the price, exempt charges none; compound rates apply after simple
// ones. All arithmetic is on exact fractions with one half-up rounding per tax amount.
import type { LineTax } from '../../../db/tenant/invoices.ts';
import { assertMinorUnits, parseDecimal, roundHalfUp } from './money.ts';

export type TaxRateSpec = {
  id: string;
  name: string;
  rate: string;
  mode: 'exclusive' | 'inclusive' | 'exempt';
  compound: boolean;
};
export type TaxedLine = { net: number; tax: number; gross: number; taxes: LineTax[] };

// A percentage with at most 6 decimals is an integer number of 10^-8 parts of the base.
const scale = 10n ** 8n;

const sum = (values: readonly bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

type Rate = { part: bigint; compound: boolean };

function parseRate(spec: TaxRateSpec): Rate {
  const { num, den } = parseDecimal(spec.rate);
  return { part: (num * scale) / (den * 100n), compound: spec.compound };
}

/**
 * Taxes on an exclusive `net`, in the order given: simple rates on the net, each compound
 * rate on the net plus the simple taxes plus the compound taxes listed before it (our
 * choice for several compound rates; each base is what the invoice shows, so every
 * amount can be checked by hand as round(base × rate)).
 */
function taxesOnNet(net: bigint, rates: readonly Rate[]): bigint[] {
  const simple = rates.map((r) => (r.compound ? 0n : BigInt(roundHalfUp(net * r.part, scale))));
  let base = net + sum(simple);
  return rates.map((r, i) => {
    if (!r.compound) return simple[i] ?? 0n;
    const amount = BigInt(roundHalfUp(base * r.part, scale));
    base += amount;
    return amount;
  });
}

/** gross / net as a fraction: (1 + Σ simple) × Π (1 + compound). */
function grossFactor(rates: readonly Rate[]): { num: bigint; den: bigint } {
  let num = scale + sum(rates.filter((r) => !r.compound).map((r) => r.part));
  let den = scale;
  for (const r of rates.filter((r) => r.compound)) {
    num *= scale + r.part;
    den *= scale;
  }
  return { num, den };
}

function taxMagnitude(amount: bigint, rates: readonly Rate[], inclusive: boolean): { net: bigint; amounts: bigint[] } {
  if (!inclusive) return { net: amount, amounts: taxesOnNet(amount, rates) };
  const factor = grossFactor(rates);
  const net = BigInt(roundHalfUp(amount * factor.den, factor.num));
  const amounts = taxesOnNet(net, rates);
  // The price already contains the tax: the last amount absorbs the rounding so that
  // net + taxes is the price exactly (the original added inclusive tax on top again).
  const residual = amount - net - sum(amounts);
  amounts[amounts.length - 1] = (amounts.at(-1) ?? 0n) + residual;
  return { net, amounts };
}

/**
 * Net, tax and gross of one line charged `amount` minor units (net for exclusive rates,
 * gross for inclusive ones). A negative amount (credit) mirrors its positive charge.
 */
export function taxLine(amount: number, rates: readonly TaxRateSpec[]): TaxedLine {
  assertMinorUnits(amount);
  const taxed = rates.filter((r) => r.mode !== 'exempt');
  const modes = new Set(taxed.map((r) => r.mode));
  if (modes.size > 1) throw new Error('one line cannot mix exclusive and inclusive tax rates');
  const inclusive = modes.has('inclusive');
  const sign = amount < 0 ? -1n : 1n;
  const { net, amounts } = taxMagnitude(sign * BigInt(amount), taxed.map(parseRate), inclusive);
  const tax = sum(amounts);
  const gross = Number(sign * (net + tax));
  assertMinorUnits(gross);
  return {
    net: Number(sign * net),
    tax: Number(sign * tax),
    gross,
    taxes: taxed.map((r, i) => ({
      tax_rate_id: r.id,
      name: r.name,
      rate: r.rate,
      mode: inclusive ? 'inclusive' : 'exclusive',
      compound: r.compound,
      amount: Number(sign * (amounts[i] ?? 0n)),
    })),
  };
}
