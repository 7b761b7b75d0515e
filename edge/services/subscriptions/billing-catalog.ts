import { addons, discounts, offers, policySets, taxRates } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { TaxRateSpec } from '../billing/tax.ts';
import { readBillingSettings } from '../catalog/billing-settings.ts';
import type { AddonRow, BillingSettingsRow, DiscountRow, OfferRow, PolicySetRow } from '../catalog/present.ts';
import { builtInPolicySet } from '../catalog/resolve-policy.ts';

/** The catalog as billing reads it: loaded once per transaction (it is small), looked up by id. */
export type BillingCatalog = {
  settings: BillingSettingsRow;
  offer(id: string): OfferRow;
  addon(id: string): AddonRow;
  discount(id: string): DiscountRow;
  policyFor(offer: OfferRow): PolicySetRow;
  /** Tax resolution (business-rules.md "Tax"): the item's own rate, else the tenant's defaults. */
  taxRatesFor(taxRateId: string | null): TaxRateSpec[];
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
  return {
    settings,
    offer: (id) => lookup(offerMap, id, 'offer'),
    addon: (id) => lookup(addonMap, id, 'add-on'),
    discount: (id) => lookup(discountMap, id, 'discount'),
    policyFor: (offer) => (offer.policySetId ? lookup(policyMap, offer.policySetId, 'policy set') : settings.defaultPolicySetId ? lookup(policyMap, settings.defaultPolicySetId, 'policy set') : builtIn),
    taxRatesFor: (taxRateId) => rates(taxRateId ? [taxRateId] : settings.defaultTaxRateIds),
  };
}
