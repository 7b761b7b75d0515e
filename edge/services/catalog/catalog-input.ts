// The catalog's input schemas: the HTTP API validates with them and they produce its
// OpenAPI. Money is integer minor units per ISO 4217 currency; rates and percentages are
// decimal strings (never floats), canonicalised so "7.50" and "7.5" are the same rate.
import { z } from '@hono/zod-openapi';
import {
  accessTypes,
  addonCharges,
  billingCycles,
  billingModes,
  changeInvoiceTimings,
  discountKinds,
  dunningActions,
  refundPolicies,
  serviceTypes,
  taxModes,
} from '../../../db/tenant/index.ts';
import { canonicalDecimal, defaultDunningSteps, dunningStepErrors } from './catalog-rules.ts';
import { NonNegativeMinorUnits } from '../billing/minor-units.ts';

export const Name = z.string().trim().min(1).max(200);

/** A decimal string with at most 4 decimals in [min, max] (exclusive of min when `aboveMin`), canonicalised. */
const Decimal = (min: number, max: number, aboveMin: boolean, example: string) =>
  z
    .string()
    .trim()
    .max(20)
    .transform((value, ctx) => {
      const result = canonicalDecimal(value, min, max, aboveMin);
      if (result === null) {
        ctx.addIssue({
          code: 'custom',
          message:
            `must be a decimal string ${aboveMin ? '>' : '≥'} ${min} and ≤ ${max} with at most 4 decimals, ` +
            `such as "${example}"`,
        });
        return z.NEVER;
      }
      return result;
    })
    .openapi({ example });

export const TaxRateValue = Decimal(0, 100, false, '7.5').openapi({ description: 'Percent, e.g. "7.5" for 7.5 %' });
export const Percent = Decimal(0, 100, true, '10').openapi({ description: 'Percent off, e.g. "10" for 10 %' });

export const Code = z
  .string()
  .trim()
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit')
  .openapi({ example: 'FIBER-100', description: 'Unique within its kind in the tenant' });

export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case, such as USD')
  .openapi({ example: 'USD' });
const Price = z.strictObject({ currency: Currency, amount: NonNegativeMinorUnits }).openapi('Price');

/** At most one amount per currency; the second of a pair is the field reported. */
export const Prices = z
  .array(Price)
  .max(50)
  .superRefine((prices, ctx) => {
    const seen = new Set<string>();
    prices.forEach((price, i) => {
      if (seen.has(price.currency))
        ctx.addIssue({ code: 'custom', path: [i, 'currency'], message: `${price.currency} appears more than once` });
      seen.add(price.currency);
    });
  });

const Mbps = z.number().int().min(1).max(1_000_000);
const Days = (max: number) => z.number().int().min(0).max(max);
const Ref = z.uuid();

export const TaxRateCreate = z
  .strictObject({ name: Name, rate: TaxRateValue, mode: z.enum(taxModes), compound: z.boolean().default(false) })
  .openapi('TaxRateCreate', { example: { name: 'State sales tax', rate: '7.5', mode: 'exclusive', compound: false } });
export const TaxRatePatch = z
  .strictObject({
    name: Name.optional(),
    rate: TaxRateValue.optional().openapi({ description: 'Immutable: archive the rate and create a new one' }),
    mode: z.enum(taxModes).optional().openapi({ description: 'Immutable' }),
    compound: z.boolean().optional().openapi({ description: 'Immutable' }),
  })
  .openapi('TaxRatePatch', { example: { name: 'State sales tax (2031)' } });

const offerFields = {
  code: Code,
  name: Name,
  service_type: z.enum(serviceTypes),
  access_type: z.enum(accessTypes),
  billing_cycle: z.enum(billingCycles),
  billing_mode: z.enum(billingModes),
  prices: Prices.min(1),
  tax_rate_id: Ref.nullish(),
  download_mbps: Mbps,
  upload_mbps: Mbps,
  included_gb: z
    .number()
    .int()
    .min(0)
    .max(1_000_000_000)
    .nullish()
    .openapi({ description: 'Whole GB (10^9 bytes) per period; null is unmetered' }),
  overage_per_gb: Prices.nullish().openapi({ description: 'Needs included_gb' }),
  setup_fee: Prices.nullish(),
  policy_set_id: Ref.nullish(),
};

const overageNeedsVolume = (
  offer: { included_gb?: number | null | undefined; overage_per_gb?: unknown },
  ctx: z.RefinementCtx,
) => {
  if (offer.overage_per_gb != null && offer.included_gb == null)
    ctx.addIssue({ code: 'custom', path: ['overage_per_gb'], message: 'overage_per_gb needs included_gb' });
};

/** The offer of the OpenAPI example; the tests and the billing bench create it too. */
export const offerExample = {
  code: 'FIBER-100',
  name: 'Fiber 100',
  service_type: 'residential',
  access_type: 'fiber',
  billing_cycle: 'monthly',
  billing_mode: 'postpaid',
  prices: [{ currency: 'USD', amount: 4999 }],
  download_mbps: 100,
  upload_mbps: 50,
} satisfies z.input<z.ZodObject<typeof offerFields>>;

export const OfferCreate = z
  .strictObject(offerFields)
  .superRefine(overageNeedsVolume)
  .openapi('OfferCreate', { example: offerExample });
export const OfferPatch = z
  .strictObject({
    ...Object.fromEntries(Object.entries(offerFields).map(([k, v]) => [k, v.optional()])),
    billing_cycle: offerFields.billing_cycle
      .optional()
      .openapi({ description: 'Immutable: a different cycle is a different offer' }),
    billing_mode: offerFields.billing_mode.optional().openapi({ description: 'Immutable' }),
  } as { [K in keyof typeof offerFields]: z.ZodOptional<(typeof offerFields)[K]> })
  .openapi('OfferPatch', { example: { name: 'Fiber 100 (2031)' } });

export const AddonCreate = z
  .strictObject({
    code: Code,
    name: Name,
    charge: z.enum(addonCharges),
    prices: Prices.min(1),
    tax_rate_id: Ref.nullish(),
  })
  .openapi('AddonCreate', {
    example: {
      code: 'STATIC-IP',
      name: 'Static IPv4',
      charge: 'recurring',
      prices: [{ currency: 'USD', amount: 500 }],
    },
  });
export const AddonPatch = z
  .strictObject({
    code: Code.optional(),
    name: Name.optional(),
    charge: z.enum(addonCharges).optional(),
    prices: Prices.min(1).optional(),
    tax_rate_id: Ref.nullish(),
  })
  .openapi('AddonPatch', { example: { name: 'Static IPv4 address' } });

export const Instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

const discountFields = {
  code: Code,
  name: Name,
  kind: z.enum(discountKinds),
  percent: Percent.nullish().openapi({ description: 'Required for kind percent, absent otherwise' }),
  amounts: Prices.min(1).nullish().openapi({ description: 'Required for kind fixed, absent otherwise' }),
  valid_from: Instant.nullish(),
  valid_until: Instant.nullish().openapi({ description: 'Exclusive; after valid_from' }),
  max_cycles: z.number().int().min(1).max(10_000).nullish(),
};
export type DiscountShape = {
  kind: (typeof discountKinds)[number];
  percent?: string | null | undefined;
  amounts?: unknown;
  valid_from?: Date | null | undefined;
  valid_until?: Date | null | undefined;
};

/** percent iff kind percent, amounts iff kind fixed; the window half-open and not empty. */
export function discountErrors(d: DiscountShape) {
  const errors: { path: string; message: string }[] = [];
  if (d.kind === 'percent' && d.percent == null)
    errors.push({ path: 'percent', message: 'a percent discount needs percent' });
  if (d.kind === 'percent' && d.amounts != null)
    errors.push({ path: 'amounts', message: 'a percent discount has no amounts' });
  if (d.kind === 'fixed' && d.amounts == null)
    errors.push({ path: 'amounts', message: 'a fixed discount needs amounts' });
  if (d.kind === 'fixed' && d.percent != null)
    errors.push({ path: 'percent', message: 'a fixed discount has no percent' });
  // Refinements also run over fields that failed their own checks: compare only real instants.
  if (
    d.valid_from instanceof Date &&
    d.valid_until instanceof Date &&
    d.valid_until.getTime() <= d.valid_from.getTime()
  )
    errors.push({ path: 'valid_until', message: 'must be after valid_from' });
  return errors;
}

export const DiscountCreate = z
  .strictObject(discountFields)
  .superRefine((d, ctx) => {
    for (const e of discountErrors(d)) ctx.addIssue({ code: 'custom', path: [e.path], message: e.message });
  })
  .openapi('DiscountCreate', {
    example: { code: 'WELCOME10', name: 'Welcome 10 %', kind: 'percent', percent: '10', max_cycles: 3 },
  });
export const DiscountPatch = z
  .strictObject(
    Object.fromEntries(Object.entries(discountFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof discountFields]: z.ZodOptional<(typeof discountFields)[K]>;
    },
  )
  .openapi('DiscountPatch', { example: { name: 'Welcome 10 % (spring)' } });

const DunningStep = z
  .strictObject({ day_offset: z.number().int().min(0).max(365), action: z.enum(dunningActions) })
  .openapi('DunningStep');
export const DunningSteps = z
  .array(DunningStep)
  .max(20)
  .superRefine((steps, ctx) => {
    for (const e of dunningStepErrors(steps)) ctx.addIssue({ code: 'custom', path: e.path, message: e.message });
  });

const policyFields = {
  name: Name,
  proration: z.boolean(),
  refund_policy: z.enum(refundPolicies),
  change_invoice_timing: z.enum(changeInvoiceTimings),
  upgrade_fees: Prices,
  downgrade_fees: Prices,
  min_invoice_amount: NonNegativeMinorUnits,
  dunning_steps: DunningSteps.openapi({
    description:
      'day_offset strictly increasing; actions never milder after a harsher one (notify < throttle < suspend < reject)',
  }),
  grace_days: Days(365),
  prepaid_grace_days: Days(365),
  prepaid_deactivation_days: Days(3650),
};

export const PolicySetCreate = z
  .strictObject({
    name: policyFields.name,
    proration: policyFields.proration.default(true),
    refund_policy: policyFields.refund_policy.default('credit'),
    change_invoice_timing: policyFields.change_invoice_timing.default('immediate'),
    upgrade_fees: policyFields.upgrade_fees.default([]),
    downgrade_fees: policyFields.downgrade_fees.default([]),
    min_invoice_amount: policyFields.min_invoice_amount.default(0),
    dunning_steps: policyFields.dunning_steps.default(() => defaultDunningSteps.map((s) => ({ ...s }))),
    grace_days: policyFields.grace_days.default(0),
    prepaid_grace_days: policyFields.prepaid_grace_days.default(3),
    prepaid_deactivation_days: policyFields.prepaid_deactivation_days.default(30),
  })
  .openapi('PolicySetCreate', { example: { name: 'Residential standard' } });
export const PolicySetPatch = z
  .strictObject(
    Object.fromEntries(Object.entries(policyFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof policyFields]: z.ZodOptional<(typeof policyFields)[K]>;
    },
  )
  .openapi('PolicySetPatch', { example: { grace_days: 2 } });

export const BillingSettingsPatch = z
  .strictObject({
    default_tax_rate_ids: z
      .array(Ref)
      .max(5)
      .superRefine((ids, ctx) => {
        ids.forEach((id, i) => {
          if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i], message: 'listed more than once' });
        });
      })
      .optional(),
    default_policy_set_id: Ref.nullish(),
    throttle_profile: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: 'RADIUS profile applied on throttle' }),
    suspended_profile: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .nullish()
      .openapi({ description: 'RADIUS profile applied on suspension; null rejects instead' }),
    enforcement_start_hour: z.number().int().min(0).max(23).optional(),
    enforcement_end_hour: z
      .number()
      .int()
      .min(1)
      .max(24)
      .optional()
      .openapi({ description: 'Exclusive; after enforcement_start_hour' }),
  })
  .openapi('BillingSettingsPatch', { example: { enforcement_start_hour: 9, enforcement_end_hour: 17 } });

export type TaxRateCreateInput = z.output<typeof TaxRateCreate>;
export type TaxRatePatchInput = z.output<typeof TaxRatePatch>;
export type OfferCreateInput = z.output<typeof OfferCreate>;
export type OfferPatchInput = z.output<typeof OfferPatch>;
export type AddonCreateInput = z.output<typeof AddonCreate>;
export type AddonPatchInput = z.output<typeof AddonPatch>;
export type DiscountCreateInput = z.output<typeof DiscountCreate>;
export type DiscountPatchInput = z.output<typeof DiscountPatch>;
export type PolicySetCreateInput = z.output<typeof PolicySetCreate>;
export type PolicySetPatchInput = z.output<typeof PolicySetPatch>;
export type BillingSettingsPatchInput = z.output<typeof BillingSettingsPatch>;
