// The one schema of an amount of money at the API boundary (issue 13: "bound amounts to
// what money can be"). 12 digits of minor units: ten billion in a two-decimal currency,
// a trillion yen, a billion dinars; no ISP document comes near it, and each amount then
// stays far inside a JS number's exact range (2^53). Sums of many amounts can still pass
// that range: they are summed exactly (exact-sum.ts).
import { z } from '@hono/zod-openapi';

export const maxMinorUnits = 999_999_999_999;

// The bounds come first and stop the checks: an unsafe integer is one error, "too big".
const described = (min: number, description: string) =>
  z
    .number()
    .min(min, { abort: true })
    .max(maxMinorUnits, { abort: true })
    .int()
    .openapi({ description, example: 1999 });

/** A signed amount (a credit line, a minimum balance that may be negative). */
export const MinorUnits = described(
  -maxMinorUnits,
  `Integer minor units of the currency, at most ${maxMinorUnits} either way`,
);
/** A price, a fee, a minimum: zero or more. */
export const NonNegativeMinorUnits = described(0, `Integer minor units of the currency, 0 to ${maxMinorUnits}`);
/** Money that moves: a payment, a refund, an allocation, a credit. */
export const PositiveMinorUnits = described(1, `Integer minor units of the currency, 1 to ${maxMinorUnits}`);
