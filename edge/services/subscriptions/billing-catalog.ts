import { and, eq, isNotNull } from 'drizzle-orm';
import {
  addons,
  discounts,
  offers,
  policySets,
  subscriberAddresses,
  subscribers,
  taxRates,
} from '../../../db/tenant/index.ts';
import { inList } from '../bulk-rows.ts';
import type { TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { TaxRateSpec } from '../billing/tax.ts';
import { readBillingSettings } from '../catalog/billing-settings.ts';
import type { AddonRow, BillingSettingsRow, DiscountRow, OfferRow, PolicySetRow } from '../catalog/present.ts';
import { builtInPolicySet } from '../catalog/built-in-policy.ts';

/** The catalog as billing reads it: loaded once per transaction (it is small), looked up by id. */
export type BillingCatalog = {
  settings: BillingSettingsRow;
  offer(id: string): OfferRow;
  addon(id: string): AddonRow;
  discount(id: string): DiscountRow;
  /**
   * The one policy resolver: the offer's policy set, else the billing settings' default,
   * else the built-in defaults (id `built-in`); null asks for the default.
   */
  policyFor(offer: Pick<OfferRow, 'policySetId'> | null): PolicySetRow;
  /** Reads the tax jurisdictions of these subscribers, which taxRatesFor needs (ids already read are skipped). */
  loadJurisdictions(tx: TenantTx, subscriberIds: readonly string[]): Promise<void>;
  /**
   * Tax resolution (business-rules.md "Tax"): the subscriber's primary service address's
   * rate, else the subscriber's own, else the item's (offer, add-on), else the tenant's
   * defaults. The subscriber's jurisdiction must have been loaded in this transaction.
   */
  taxRatesFor(itemTaxRateId: string | null, subscriberId: string): TaxRateSpec[];
};

const byId = <T extends { id: string }>(rows: readonly T[]) => new Map(rows.map((row) => [row.id, row]));

function lookup<T>(map: Map<string, T>, id: string, what: string): T {
  const row = map.get(id);
  if (!row) throw new AppError('not_found', `no ${what} ${id}`);
  return row;
}

export async function loadBillingCatalog(tx: TenantTx, now: Date): Promise<BillingCatalog> {
  const settings = await readBillingSettings(tx, now);
  const [offerRows, addonRows, discountRows, policyRows, rateRows] = [
    await tx.select().from(offers),
    await tx.select().from(addons),
    await tx.select().from(discounts),
    await tx.select().from(policySets),
    await tx.select().from(taxRates),
  ];
  const offerMap = byId(offerRows);
  const addonMap = byId(addonRows);
  const discountMap = byId(discountRows);
  const policyMap = byId(policyRows);
  const rateMap = byId(rateRows);
  const builtIn = builtInPolicySet();
  const rates = (ids: readonly string[]) => ids.map((id) => lookup(rateMap, id, 'tax rate'));
  const jurisdictions = new Map<string, string | null>();
  return {
    settings,
    offer: (id) => lookup(offerMap, id, 'offer'),
    addon: (id) => lookup(addonMap, id, 'add-on'),
    discount: (id) => lookup(discountMap, id, 'discount'),
    policyFor: (offer) => {
      const id = offer?.policySetId ?? settings.defaultPolicySetId;
      return id ? lookup(policyMap, id, 'policy set') : builtIn;
    },
    async loadJurisdictions(db, subscriberIds) {
      const wanted = [...new Set(subscriberIds)].filter((id) => !jurisdictions.has(id));
      for (let k = 0; k < wanted.length; k += 500) {
        const chunk = wanted.slice(k, k + 500);
        for (const id of chunk) jurisdictions.set(id, null);
        // Only the few with a rate of their own come back; an address's wins over the subscriber's.
        const own = await db
          .select({ id: subscribers.id, rate: subscribers.taxRateId })
          .from(subscribers)
          .where(and(inList(subscribers.id, chunk), isNotNull(subscribers.taxRateId)));
        const served = await db
          .select({ id: subscriberAddresses.subscriberId, rate: subscriberAddresses.taxRateId })
          .from(subscriberAddresses)
          .where(
            and(
              inList(subscriberAddresses.subscriberId, chunk),
              eq(subscriberAddresses.kind, 'service'),
              eq(subscriberAddresses.isPrimary, true),
              isNotNull(subscriberAddresses.taxRateId),
            ),
          );
        for (const row of [...own, ...served]) jurisdictions.set(row.id, row.rate);
      }
    },
    taxRatesFor(itemTaxRateId, subscriberId) {
      const jurisdiction = jurisdictions.get(subscriberId);
      if (jurisdiction === undefined)
        throw new Error(`the tax jurisdiction of subscriber ${subscriberId} was not loaded`);
      const own = jurisdiction ?? itemTaxRateId;
      return rates(own ? [own] : settings.defaultTaxRateIds);
    },
  };
}
