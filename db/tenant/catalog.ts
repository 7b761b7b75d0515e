import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { taxRates } from './tax-rates.ts';

export const serviceTypes = ['residential', 'business'] as const;
export const accessTypes = ['fiber', 'fixed_wireless', 'dsl', 'cable'] as const;
export const billingCycles = ['daily', 'weekly', 'monthly', 'quarterly', 'annual'] as const;
export const billingModes = ['prepaid', 'postpaid'] as const;
export const dunningActions = ['notify', 'throttle', 'suspend', 'reject'] as const;
export const refundPolicies = ['none', 'credit'] as const;
export const changeInvoiceTimings = ['immediate', 'next_cycle'] as const;
export const discountKinds = ['percent', 'fixed'] as const;
export const addonCharges = ['recurring', 'one_time'] as const;
export type ServiceType = (typeof serviceTypes)[number];
export type AccessType = (typeof accessTypes)[number];
export type BillingCycle = (typeof billingCycles)[number];
export type BillingMode = (typeof billingModes)[number];
export type DunningAction = (typeof dunningActions)[number];
export type RefundPolicy = (typeof refundPolicies)[number];
export type DiscountKind = (typeof discountKinds)[number];
export type AddonCharge = (typeof addonCharges)[number];

/** A price in one currency, in that currency's minor units. */
export type Price = { currency: string; amount: number };
export type DunningStep = { day_offset: number; action: DunningAction };

// The rules a subscription is billed and collected under. Offers name one; the tenant's
// default (billing_settings) applies otherwise.
export const policySets = sqliteTable('policy_sets', {
  id: id(),
  name: text('name').notNull().unique(),
  // Plan changes and first/last periods are prorated by seconds when true.
  proration: integer('proration', { mode: 'boolean' }).notNull(),
  // `none` clamps a negative plan-change net to 0; `credit` keeps it on the account.
  refundPolicy: text('refund_policy', { enum: refundPolicies }).notNull(),
  // Invoice a plan change at once, or add its lines to the next cycle's invoice.
  changeInvoiceTiming: text('change_invoice_timing', { enum: changeInvoiceTimings }).notNull(),
  // Fees per currency for an upgrade / a downgrade (taxed like the offer).
  upgradeFees: text('upgrade_fees', { mode: 'json' }).$type<Price[]>().notNull(),
  downgradeFees: text('downgrade_fees', { mode: 'json' }).$type<Price[]>().notNull(),
  // A plan-change invoice below this (minor units) is carried to the next cycle instead.
  minInvoiceAmount: integer('min_invoice_amount').notNull(),
  dunningSteps: text('dunning_steps', { mode: 'json' }).$type<DunningStep[]>().notNull(),
  graceDays: integer('grace_days').notNull(),
  // Prepaid: days warned below the minimum balance before suspension, and days suspended before cancellation.
  prepaidGraceDays: integer('prepaid_grace_days').notNull(),
  prepaidDeactivationDays: integer('prepaid_deactivation_days').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const offers = sqliteTable('offers', {
  id: id(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  serviceType: text('service_type', { enum: serviceTypes }).notNull(),
  accessType: text('access_type', { enum: accessTypes }).notNull(),
  billingCycle: text('billing_cycle', { enum: billingCycles }).notNull(),
  billingMode: text('billing_mode', { enum: billingModes }).notNull(),
  prices: text('prices', { mode: 'json' }).$type<Price[]>().notNull(),
  taxRateId: text('tax_rate_id').references(() => taxRates.id),
  downloadMbps: integer('download_mbps').notNull(),
  uploadMbps: integer('upload_mbps').notNull(),
  // Included volume per period in whole GB (10^9 bytes); null means unmetered.
  includedGb: integer('included_gb'),
  overagePerGb: text('overage_per_gb', { mode: 'json' }).$type<Price[]>(),
  setupFee: text('setup_fee', { mode: 'json' }).$type<Price[]>(),
  policySetId: text('policy_set_id').references(() => policySets.id),
  archivedAt: instant('archived_at'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

// Extras sold with a subscription (static IP, TV box rental, …): recurring ones are billed
// each period beside the offer, one-time ones on the next invoice.
export const addons = sqliteTable('addons', {
  id: id(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  charge: text('charge', { enum: addonCharges }).notNull(),
  prices: text('prices', { mode: 'json' }).$type<Price[]>().notNull(),
  taxRateId: text('tax_rate_id').references(() => taxRates.id),
  archivedAt: instant('archived_at'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

// Percent (decimal string, "10" = 10 %) or fixed amounts per currency, valid in a
// half-open window [valid_from, valid_until) and optionally for a number of cycles.
export const discounts = sqliteTable('discounts', {
  id: id(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  kind: text('kind', { enum: discountKinds }).notNull(),
  percent: text('percent'),
  amounts: text('amounts', { mode: 'json' }).$type<Price[]>(),
  validFrom: instant('valid_from'),
  validUntil: instant('valid_until'),
  maxCycles: integer('max_cycles'),
  archivedAt: instant('archived_at'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

// The tenant's billing defaults: one row, id 'default'.
export const billingSettings = sqliteTable('billing_settings', {
  id: text('id').primaryKey(),
  defaultTaxRateIds: text('default_tax_rate_ids', { mode: 'json' }).$type<string[]>().notNull(),
  defaultPolicySetId: text('default_policy_set_id').references(() => policySets.id),
  // RADIUS profile names the network side switches to on throttle and suspension.
  throttleProfile: text('throttle_profile').notNull(),
  suspendedProfile: text('suspended_profile'),
  // Prepaid enforcement only between these local hours [start, end), e.g. 9–17.
  enforcementStartHour: integer('enforcement_start_hour').notNull(),
  enforcementEndHour: integer('enforcement_end_hour').notNull(),
  updatedAt: updatedAt(),
});
