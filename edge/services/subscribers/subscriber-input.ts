// The subscriber record's input schemas: the HTTP API validates with them (and they
// produce its OpenAPI), and the CSV import and lead conversion validate rows with them.
import { z } from '@hono/zod-openapi';
import { addressKinds, contactChannels, customFieldTypes, subscriberKinds } from '../../../db/tenant/index.ts';
import { canonicalLocale, canonicalTimeZone, countryCode, normalizePhone } from './field-formats.ts';
import { defaultMoneyTerms } from './money-terms.ts';
import { MinorUnits } from '../billing/minor-units.ts';

/** A string checked and canonicalised by `check` (null = invalid), without a regex pattern in the OpenAPI. */
const canonical = (check: (value: string) => string | null, message: string, example: string, max = 100) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((value, ctx) => {
      const result = check(value);
      if (result === null) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return result;
    })
    .openapi({ example });

export const Phone = canonical(normalizePhone, 'must be an E.164 number such as +15551234567', '+15551234567', 40);
export const Locale = canonical(canonicalLocale, 'must be a BCP 47 language tag such as en-US', 'en-US', 35);
export const TimeZone = canonical(
  canonicalTimeZone,
  'must be an IANA time zone such as Europe/Berlin',
  'Europe/Berlin',
  64,
);
export const Country = canonical(countryCode, 'must be an ISO 3166-1 alpha-2 country code such as US', 'US', 2);
export const SubscriberEmail = z
  .email()
  .max(254)
  .transform((value) => value.toLowerCase());

const Name = z.string().trim().min(1).max(200);
const Text = (max: number) => z.string().trim().max(max);

export const BillingDay = z
  .number()
  .int()
  .min(1)
  .max(28)
  .openapi({
    description:
      'Day of the month (1–28, so every month has it) new monthly, quarterly and annual subscriptions are anchored ' +
      'to unless they name one; null: their start day',
  });

// business-rules.md "State machines": account status is derived from the subscriptions and
// collections state, so no request sets it (issue 13 D7). It is not in the request schemas;
// a body that sends it gets this message rather than zod's bare "Unrecognized key".
const statusIsReadOnly = {
  error: (issue: { code?: string; keys?: string[] }) => {
    if (issue.code !== 'unrecognized_keys' || !issue.keys?.includes('status')) return undefined;
    const others = issue.keys.filter((k) => k !== 'status');
    return (
      'status is read-only: derived from the subscriptions (active, suspended, canceled) and open overdue ' +
      `collections (delinquent)${others.length > 0 ? `; also unrecognized: ${others.join(', ')}` : ''}`
    );
  },
};
export const PaymentDueDays = z.number().int().min(0).max(365);
export const GraceDays = z.number().int().min(0).max(365);
export const MinBalance = MinorUnits.openapi({ description: 'Integer minor units of the tenant currency' });
export const CustomFieldValues = z
  .record(z.string(), z.unknown())
  .openapi({ description: 'Values by custom field key; null removes a value' });

const addressFields = {
  kind: z.enum(addressKinds),
  is_primary: z.boolean(),
  line1: Name,
  line2: Text(200).nullish(),
  city: Text(100).min(1),
  region: Text(100).nullish(),
  postal_code: Text(20).nullish(),
  country: Country,
  latitude: z.number().min(-90).max(90).nullish(),
  longitude: z.number().min(-180).max(180).nullish(),
  tax_rate_id: z
    .uuid()
    .nullish()
    .openapi({
      description:
        "The tax rate of this address's jurisdiction: billing uses the primary service address's, else the " +
        "subscriber's, else the offer's, else the tenant default",
      example: null,
    }),
};

export const AddressCreate = z
  .strictObject({
    ...addressFields,
    kind: addressFields.kind.default('service'),
    is_primary: addressFields.is_primary.default(false),
  })
  .superRefine((a, ctx) => {
    if ((a.latitude == null) !== (a.longitude == null))
      ctx.addIssue({
        code: 'custom',
        path: [a.latitude == null ? 'latitude' : 'longitude'],
        message: 'latitude and longitude come together',
      });
  })
  .openapi('AddressCreate');
export type AddressCreateInput = z.output<typeof AddressCreate>;

export const AddressPatch = z
  .strictObject({
    kind: addressFields.kind.optional(),
    is_primary: addressFields.is_primary.optional(),
    line1: addressFields.line1.optional(),
    line2: addressFields.line2,
    city: addressFields.city.optional(),
    region: addressFields.region,
    postal_code: addressFields.postal_code,
    country: addressFields.country.optional(),
    latitude: addressFields.latitude,
    longitude: addressFields.longitude,
    tax_rate_id: addressFields.tax_rate_id,
  })
  .openapi('AddressPatch');
export type AddressPatchInput = z.output<typeof AddressPatch>;

const subscriberFields = {
  first_name: Name.nullish(),
  last_name: Name.nullish(),
  organization_name: Name.nullish(),
  display_name: Name.nullish(),
  email: SubscriberEmail.nullish(),
  phone: Phone.nullish(),
  locale: Locale.nullish(),
  timezone: TimeZone.nullish(),
  organization_id: z.uuid().nullish().openapi({
    description: 'The organization (a subscriber of kind organization) this person belongs to',
    example: null,
  }),
  notes: Text(10_000).nullish(),
  tax_rate_id: z
    .uuid()
    .nullish()
    .openapi({
      description:
        "The tax rate of this subscriber's jurisdiction: billing uses the primary service address's, else the " +
        "subscriber's, else the offer's, else the tenant default",
      example: null,
    }),
};

/** A new subscriber. Persons need a first or last name, organizations an organization_name. */
export const SubscriberCreate = z
  .strictObject(
    {
      kind: z.enum(subscriberKinds).default('person'),
      ...subscriberFields,
      billing_day: BillingDay.nullish(),
      payment_due_days: PaymentDueDays.default(defaultMoneyTerms.payment_due_days),
      grace_days: GraceDays.default(defaultMoneyTerms.grace_days),
      min_balance: MinBalance.default(defaultMoneyTerms.min_balance),
      marketing_opt_in: z.boolean().default(false),
      custom_fields: CustomFieldValues.default({}),
      addresses: z.array(AddressCreate).max(20).default([]),
    },
    statusIsReadOnly,
  )
  .superRefine((s, ctx) => {
    for (const issue of nameIssues(s)) ctx.addIssue({ code: 'custom', ...issue });
    s.addresses.forEach((a, i) => {
      if (a.is_primary && s.addresses.some((b, j) => j < i && b.is_primary && b.kind === a.kind)) {
        ctx.addIssue({
          code: 'custom',
          path: ['addresses', i, 'is_primary'],
          message: `only one primary ${a.kind} address`,
        });
      }
    });
  })
  .openapi('SubscriberCreate');
export type SubscriberCreateInput = z.output<typeof SubscriberCreate>;

/** Changes to a subscriber; kind is fixed at creation, number and timestamps are the system's. */
export const SubscriberPatch = z
  .strictObject(
    {
      ...subscriberFields,
      billing_day: BillingDay.nullish(),
      payment_due_days: PaymentDueDays.optional(),
      grace_days: GraceDays.optional(),
      min_balance: MinBalance.optional(),
      marketing_opt_in: z.boolean().optional(),
      custom_fields: CustomFieldValues.optional(),
    },
    statusIsReadOnly,
  )
  .openapi('SubscriberPatch');
export type SubscriberPatchInput = z.output<typeof SubscriberPatch>;

type Names = {
  kind: (typeof subscriberKinds)[number];
  first_name?: string | null | undefined;
  last_name?: string | null | undefined;
  organization_name?: string | null | undefined;
};

/** The name rule, for a new record and for a record after a patch. */
export function nameIssues(s: Names): { path: string[]; message: string }[] {
  if (s.kind === 'organization' && !s.organization_name)
    return [{ path: ['organization_name'], message: 'an organization needs organization_name' }];
  if (s.kind === 'person' && !s.first_name && !s.last_name)
    return [{ path: ['last_name'], message: 'a person needs a first_name or last_name' }];
  return [];
}

export const ContactCreate = z
  .strictObject({
    channel: z.enum(contactChannels),
    value: z.string().trim().min(1).max(254).openapi({
      description: 'An email address for the email channel, an E.164 number for the others',
      example: 'someone@example.com',
    }),
    label: Text(100).nullish(),
    opt_in: z.boolean().default(false),
    verified: z.boolean().default(false),
  })
  .transform((c, ctx) => {
    const value =
      c.channel === 'email'
        ? z.email().safeParse(c.value).success
          ? c.value.toLowerCase()
          : null
        : normalizePhone(c.value);
    if (value === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: c.channel === 'email' ? 'must be an email address' : 'must be an E.164 number such as +15551234567',
      });
      return z.NEVER;
    }
    return { ...c, value };
  })
  .openapi('ContactCreate');
export type ContactCreateInput = z.output<typeof ContactCreate>;

export const ContactPatch = z
  .strictObject({ label: Text(100).nullish(), opt_in: z.boolean().optional(), verified: z.boolean().optional() })
  .openapi('ContactPatch');
export type ContactPatchInput = z.output<typeof ContactPatch>;

const FieldKey = z
  .string()
  .refine(
    (k) => /^[a-z][a-z0-9_]{0,49}$/.test(k),
    'must be lower-case letters, digits and _, starting with a letter, at most 50',
  )
  .openapi({ example: 'contract_ref' });
const Options = z.array(z.string().trim().min(1).max(100)).min(1).max(100);

export const CustomFieldCreate = z
  .strictObject({
    key: FieldKey,
    label: Name,
    type: z.enum(customFieldTypes),
    options: Options.nullish().openapi({
      description: 'The allowed values; required for select fields, refused for others',
    }),
    required: z.boolean().default(false),
  })
  .superRefine((f, ctx) => {
    if (f.type === 'select' && !f.options)
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'a select field needs options' });
    if (f.type !== 'select' && f.options)
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'only select fields have options' });
    if (f.options && new Set(f.options).size !== f.options.length)
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'options must be distinct' });
  })
  .openapi('CustomFieldCreate');
export type CustomFieldCreateInput = z.output<typeof CustomFieldCreate>;

export const CustomFieldPatch = z
  .strictObject({ label: Name.optional(), options: Options.optional(), required: z.boolean().optional() })
  .refine((f) => !f.options || new Set(f.options).size === f.options.length, {
    path: ['options'],
    message: 'options must be distinct',
  })
  .openapi('CustomFieldPatch');
export type CustomFieldPatchInput = z.output<typeof CustomFieldPatch>;

export const TagCreate = z
  .strictObject({
    name: z.string().trim().min(1).max(50),
    color: z
      .string()
      .refine((c) => /^#[0-9a-fA-F]{6}$/.test(c), 'must be a #rrggbb colour')
      .nullish()
      .openapi({ example: '#3366ff' }),
  })
  .openapi('TagCreate');
export type TagCreateInput = z.output<typeof TagCreate>;
export const TagPatch = TagCreate.partial().openapi('TagPatch');
export type TagPatchInput = z.output<typeof TagPatch>;
