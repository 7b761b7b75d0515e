import { eq } from 'drizzle-orm';
import { offers } from '../../../db/tenant/index.ts';
import { AppError } from '../../errors.ts';
import type { OfferRow } from './present.ts';
import type { TenantReader } from '../../context.ts';

/** An offer, archived or not (existing subscriptions keep archived offers), or a 404. */
export async function findOffer(db: TenantReader, id: string): Promise<OfferRow> {
  const [row] = await db.select().from(offers).where(eq(offers.id, id));
  if (!row) throw new AppError('not_found', `no offer ${id}`);
  return row;
}

/** The offer's price in `currency` (minor units), or null when it has none in that currency. */
export const offerPrice = (offer: Pick<OfferRow, 'prices'>, currency: string): number | null =>
  offer.prices.find((p) => p.currency === currency)?.amount ?? null;
