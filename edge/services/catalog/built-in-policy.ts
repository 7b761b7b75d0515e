import { defaultDunningSteps } from './catalog-rules.ts';
import type { PolicySetRow } from './present.ts';

/**
 * The rules billing uses when neither the offer nor the billing settings name a policy set (BillingCatalog.policyFor).
 */
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
