import type {
  customFields,
  subscriberAddresses,
  subscriberContacts,
  subscribers,
  tags,
} from '../../../db/tenant/index.ts';
import { isoOrNull } from '../../lib/instants.ts';

export const presentSubscriber = (s: typeof subscribers.$inferSelect) => ({
  id: s.id,
  subscriber_number: s.number,
  kind: s.kind,
  status: s.status,
  display_name: s.displayName,
  first_name: s.firstName,
  last_name: s.lastName,
  organization_name: s.organizationName,
  email: s.email,
  phone: s.phone,
  locale: s.locale,
  timezone: s.timezone,
  organization_id: s.organizationId,
  billing_day: s.billingDay,
  payment_due_days: s.paymentDueDays,
  grace_days: s.graceDays,
  min_balance: s.minBalance,
  tax_rate_id: s.taxRateId,
  marketing_opt_in: s.marketingOptIn,
  notes: s.notes,
  custom_fields: s.customFields,
  created_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
  archived_at: isoOrNull(s.archivedAt),
  erased_at: isoOrNull(s.erasedAt),
});

export const presentAddress = (a: typeof subscriberAddresses.$inferSelect) => ({
  id: a.id,
  subscriber_id: a.subscriberId,
  kind: a.kind,
  is_primary: a.isPrimary,
  line1: a.line1,
  line2: a.line2,
  city: a.city,
  region: a.region,
  postal_code: a.postalCode,
  country: a.country,
  latitude: a.latitude,
  longitude: a.longitude,
  tax_rate_id: a.taxRateId,
  created_at: a.createdAt.toISOString(),
  updated_at: a.updatedAt.toISOString(),
});

export const presentContact = (c: typeof subscriberContacts.$inferSelect) => ({
  id: c.id,
  subscriber_id: c.subscriberId,
  channel: c.channel,
  value: c.value,
  label: c.label,
  opt_in: c.optIn,
  verified: c.verified,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});

export const presentTag = (t: typeof tags.$inferSelect) => ({
  id: t.id,
  name: t.name,
  color: t.color,
  created_at: t.createdAt.toISOString(),
});

export const presentCustomField = (f: typeof customFields.$inferSelect) => ({
  id: f.id,
  key: f.key,
  label: f.label,
  type: f.type,
  options: f.options,
  required: f.required,
  created_at: f.createdAt.toISOString(),
  updated_at: f.updatedAt.toISOString(),
});
