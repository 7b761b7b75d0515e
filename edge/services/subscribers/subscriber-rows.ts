// The rows a new subscriber is written as, from its validated input: one mapping for
// insertSubscriber (one at a time) and the CSV import (multi-row INSERTs).
import type { subscriberAddresses, subscribers, SubscriberKind } from '../../../db/tenant/index.ts';
import type { AddressCreateInput, SubscriberCreateInput } from './subscriber-input.ts';

type Names = { firstName: string | null; lastName: string | null; organizationName: string | null };

/** What display_name is when nobody set it: the organization's name, or first and last name. */
export const derivedDisplayName = (kind: SubscriberKind, n: Names) =>
  kind === 'organization' ? (n.organizationName ?? '') : [n.firstName, n.lastName].filter(Boolean).join(' ');

/** The subscribers row; `number` is SUB-000042, whose numeric part is the row's seq. */
export function subscriberRow(
  input: SubscriberCreateInput,
  at: { id: string; number: string; customFields: Record<string, unknown>; now: Date },
) {
  const names: Names = {
    firstName: input.first_name ?? null,
    lastName: input.last_name ?? null,
    organizationName: input.organization_name ?? null,
  };
  return {
    id: at.id,
    seq: Number(at.number.slice('SUB-'.length)),
    number: at.number,
    kind: input.kind,
    // A new subscriber has no subscriptions yet; triggers derive it from then on.
    status: 'active',
    ...names,
    displayName: input.display_name ?? derivedDisplayName(input.kind, names),
    email: input.email ?? null,
    phone: input.phone ?? null,
    locale: input.locale ?? null,
    timezone: input.timezone ?? null,
    organizationId: input.organization_id ?? null,
    billingDay: input.billing_day ?? null,
    paymentDueDays: input.payment_due_days,
    graceDays: input.grace_days,
    minBalance: input.min_balance,
    taxRateId: input.tax_rate_id ?? null,
    marketingOptIn: input.marketing_opt_in,
    notes: input.notes ?? null,
    customFields: at.customFields,
    createdAt: at.now,
    updatedAt: at.now,
  } satisfies typeof subscribers.$inferInsert;
}

/** A subscriber_addresses row. */
export function addressRow(
  subscriberId: string,
  input: AddressCreateInput,
  at: { id: string; isPrimary: boolean; now: Date },
) {
  return {
    id: at.id,
    subscriberId,
    kind: input.kind,
    isPrimary: at.isPrimary,
    line1: input.line1,
    line2: input.line2 ?? null,
    city: input.city,
    region: input.region ?? null,
    postalCode: input.postal_code ?? null,
    country: input.country,
    latitude: input.latitude ?? null,
    longitude: input.longitude ?? null,
    taxRateId: input.tax_rate_id ?? null,
    createdAt: at.now,
    updatedAt: at.now,
  } satisfies typeof subscriberAddresses.$inferInsert;
}
