import { z } from '@hono/zod-openapi';

/** An amount in a currency's minor units (cents, yen, fils): a safe integer, never a float. */
export const MinorUnits = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).openapi({ description: 'Integer minor units of the currency', example: 1999 });
export const PositiveMinorUnits = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).openapi({ description: 'Integer minor units, at least 1', example: 1999 });
// One currency rule for the whole API: the catalog's.
export { Currency } from '../services/catalog/catalog-input.ts';
export const Instant = z.iso.datetime({ offset: true }).openapi({ example: '2031-01-15T09:00:00Z' });

export const LineTax = z.object({ tax_rate_id: z.string(), name: z.string(), rate: z.string(), mode: z.enum(['exclusive', 'inclusive']), compound: z.boolean(), amount: z.number().int() }).openapi('LineTax');
