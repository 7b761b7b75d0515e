import { defaultDunningSteps } from './catalog-rules.ts';
import { readBillingSettings } from './billing-settings.ts';
import type { TenantTx } from '../../context.ts';
import { findPolicySet } from './manage-policy-sets.ts';
import type { OfferRow, PolicySetRow } from './present.ts';

/** The rules billing uses when neither the offer nor the billing settings name a policy set. */
export const builtInPolicySet = (): PolicySetRow => ({
  id: 'built-in',
  name: 'Built-in defaults',
  proration: true,
  refundPolicy: 'credit',
  changeInvoiceTiming: 'immediate',
  upgradeFees: [],
  downgradeFees: [],
  minInvoiceAmount: 0,
  dunningSteps: defaultDunningSteps.map((step) => ({ ...step })),
  graceDays: 0,
  prepaidGraceDays: 3,
  prepaidDeactivationDays: 30,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

/**
 * The policy set a subscription on `offer` is billed under: the offer's own, else the
 * billing settings' default, else the built-in defaults (id `built-in`).
 */
export async function resolvePolicySet(db: Pick<TenantTx, 'select' | 'insert'>, offer: Pick<OfferRow, 'policySetId'>): Promise<PolicySetRow> {
  if (offer.policySetId) return findPolicySet(db, offer.policySetId);
  const settings = await readBillingSettings(db);
  if (settings.defaultPolicySetId) return findPolicySet(db, settings.defaultPolicySetId);
  return builtInPolicySet();
}
