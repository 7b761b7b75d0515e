import type { addons, billingSettings, discounts, offers, policySets, taxRates } from '../../../db/tenant/index.ts';
import { isoOrNull } from '../../lib/instants.ts';

export type TaxRateRow = typeof taxRates.$inferSelect;
export type OfferRow = typeof offers.$inferSelect;
export type AddonRow = typeof addons.$inferSelect;
export type DiscountRow = typeof discounts.$inferSelect;
export type PolicySetRow = typeof policySets.$inferSelect;
export type BillingSettingsRow = typeof billingSettings.$inferSelect;

export const presentTaxRate = (row: TaxRateRow) => ({
  id: row.id,
  name: row.name,
  rate: row.rate,
  mode: row.mode,
  compound: row.compound,
  archived_at: isoOrNull(row.archivedAt),
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const presentOffer = (row: OfferRow) => ({
  id: row.id,
  code: row.code,
  name: row.name,
  service_type: row.serviceType,
  access_type: row.accessType,
  billing_cycle: row.billingCycle,
  billing_mode: row.billingMode,
  prices: row.prices,
  tax_rate_id: row.taxRateId,
  download_mbps: row.downloadMbps,
  upload_mbps: row.uploadMbps,
  included_gb: row.includedGb,
  overage_per_gb: row.overagePerGb,
  setup_fee: row.setupFee,
  policy_set_id: row.policySetId,
  archived_at: isoOrNull(row.archivedAt),
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const presentAddon = (row: AddonRow) => ({
  id: row.id,
  code: row.code,
  name: row.name,
  charge: row.charge,
  prices: row.prices,
  tax_rate_id: row.taxRateId,
  archived_at: isoOrNull(row.archivedAt),
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const presentDiscount = (row: DiscountRow) => ({
  id: row.id,
  code: row.code,
  name: row.name,
  kind: row.kind,
  percent: row.percent,
  amounts: row.amounts,
  valid_from: isoOrNull(row.validFrom),
  valid_until: isoOrNull(row.validUntil),
  max_cycles: row.maxCycles,
  archived_at: isoOrNull(row.archivedAt),
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const presentPolicySet = (row: PolicySetRow) => ({
  id: row.id,
  name: row.name,
  proration: row.proration,
  refund_policy: row.refundPolicy,
  change_invoice_timing: row.changeInvoiceTiming,
  upgrade_fees: row.upgradeFees,
  downgrade_fees: row.downgradeFees,
  min_invoice_amount: row.minInvoiceAmount,
  dunning_steps: row.dunningSteps,
  grace_days: row.graceDays,
  prepaid_grace_days: row.prepaidGraceDays,
  prepaid_deactivation_days: row.prepaidDeactivationDays,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export const presentBillingSettings = (row: BillingSettingsRow) => ({
  default_tax_rate_ids: row.defaultTaxRateIds,
  default_policy_set_id: row.defaultPolicySetId,
  throttle_profile: row.throttleProfile,
  suspended_profile: row.suspendedProfile,
  enforcement_start_hour: row.enforcementStartHour,
  enforcement_end_hour: row.enforcementEndHour,
  updated_at: row.updatedAt.toISOString(),
});

/** Prices as one CSV cell: "USD 4999; EUR 4500" (minor units). */
export const pricesCell = (prices: readonly { currency: string; amount: number }[] | null) =>
  prices ? prices.map((p) => `${p.currency} ${p.amount}`).join('; ') : null;
