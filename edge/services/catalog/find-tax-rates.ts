import { inArray } from 'drizzle-orm';
import { taxRates } from '../../../db/tenant/index.ts';
import { AppError } from '../../errors.ts';
import type { TaxRateRow } from './present.ts';
import type { TenantReader } from '../../context.ts';

/**
 * The tax rates `ids` name, in that order (as an offer or the billing settings list them).
 * Archived rates are returned too: what already uses a rate keeps it. An unknown id is a 404.
 */
export async function findTaxRates(db: TenantReader, ids: readonly string[]): Promise<TaxRateRow[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(taxRates)
    .where(inArray(taxRates.id, [...new Set(ids)]));
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (!row) throw new AppError('not_found', `no tax rate ${id}`);
    return row;
  });
}
