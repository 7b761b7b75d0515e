import { sql } from 'drizzle-orm';
import { type AnySQLiteColumn, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';

export const subscriberKinds = ['person', 'organization'] as const;
export const subscriberStatuses = ['active', 'suspended', 'canceled', 'delinquent'] as const;
export type SubscriberKind = (typeof subscriberKinds)[number];
export type SubscriberStatus = (typeof subscriberStatuses)[number];

// The people and organizations an ISP serves. An organization is a subscriber of kind
// `organization`; persons belong to one through `organization_id`. Emails are stored
// lower-cased, so the unique index makes them unique per tenant case-insensitively.
// `seq` is the numeric part of `number` (SUB-000042 → 42): immutable and unique, it is
// the rowid of the subscriber's row in the `subscribers_fts` search index.
export const subscribers = sqliteTable(
  'subscribers',
  {
    id: id(),
    seq: integer('seq').notNull().unique(),
    number: text('number').notNull().unique(),
    kind: text('kind', { enum: subscriberKinds }).notNull(),
    // Derived, never written by the application: triggers on subscriptions and
    // collection_cases keep it (migration 0012_derived_account_status, business-rules.md
    // "Account status is derived from its subscriptions and collections state").
    status: text('status', { enum: subscriberStatuses }).notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    organizationName: text('organization_name'),
    displayName: text('display_name').notNull(),
    email: text('email').unique(),
    phone: text('phone'),
    locale: text('locale'),
    timezone: text('timezone'),
    organizationId: text('organization_id').references((): AnySQLiteColumn => subscribers.id),
    // The day of the month the subscriber's subscriptions are anchored to unless a
    // subscription names its own; null: each subscription's start day (anniversary billing).
    billingDay: integer('billing_day'),
    paymentDueDays: integer('payment_due_days').notNull(),
    graceDays: integer('grace_days').notNull(),
    // Integer minor units of the tenant's currency; may be negative (credit limit).
    minBalance: integer('min_balance').notNull(),
    // The subscriber's tax jurisdiction when it differs from the offer's (business-rules.md
    // "Tax": service address → subscriber → offer → tenant default). A tax_rates id.
    taxRateId: text('tax_rate_id'),
    marketingOptIn: integer('marketing_opt_in', { mode: 'boolean' }).notNull(),
    notes: text('notes'),
    // Values of the tenant's custom field definitions, by key, validated on every write.
    customFields: text('custom_fields', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    archivedAt: instant('archived_at'),
    erasedAt: instant('erased_at'),
  },
  // Lists order by (created_at, id), hide archived rows unless asked, filter by status.
  // The live status index serves the default list's status filter as a seek; without it
  // each archived_at is read from the table while walking subscribers_status_created.
  (t) => [
    index('subscribers_live_created').on(t.archivedAt, t.createdAt, t.id),
    index('subscribers_created').on(t.createdAt, t.id),
    index('subscribers_status_created').on(t.status, t.createdAt, t.id),
    index('subscribers_live_status_created')
      .on(t.status, t.createdAt, t.id)
      .where(sql`${t.archivedAt} IS NULL`),
    index('subscribers_organization')
      .on(t.organizationId)
      .where(sql`${t.organizationId} IS NOT NULL`),
  ],
);
