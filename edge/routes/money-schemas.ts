import { z } from '@hono/zod-openapi';

// One amount rule for the whole API: bounded minor units.
export { MinorUnits, NonNegativeMinorUnits, PositiveMinorUnits } from '../services/billing/minor-units.ts';
// One currency rule for the whole API: the catalog's.
export { Currency } from '../services/catalog/catalog-input.ts';
export const Instant = z.iso.datetime({ offset: true }).openapi({ example: '2031-01-15T09:00:00Z' });

export const LineTax = z
  .object({
    tax_rate_id: z.string(),
    name: z.string(),
    rate: z.string(),
    mode: z.enum(['exclusive', 'inclusive']),
    compound: z.boolean(),
    amount: z.number().int(),
  })
  .openapi('LineTax');
