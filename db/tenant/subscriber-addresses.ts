import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, updatedAt } from '../shared/columns.ts';
import { subscribers } from './subscribers.ts';

export const addressKinds = ['service', 'billing', 'other'] as const;
export type AddressKind = (typeof addressKinds)[number];

// Several addresses per subscriber; at most one primary per kind (partial unique index).
export const subscriberAddresses = sqliteTable(
  'subscriber_addresses',
  {
    id: id(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    kind: text('kind', { enum: addressKinds }).notNull(),
    isPrimary: integer('is_primary', { mode: 'boolean' }).notNull(),
    line1: text('line1').notNull(),
    line2: text('line2'),
    city: text('city').notNull(),
    region: text('region'),
    postalCode: text('postal_code'),
    // ISO 3166-1 alpha-2, upper case.
    country: text('country').notNull(),
    latitude: real('latitude'),
    longitude: real('longitude'),
    // A service address's tax jurisdiction: overrides the subscriber's and the offer's rate.
    taxRateId: text('tax_rate_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('subscriber_addresses_subscriber').on(t.subscriberId, t.kind),
    uniqueIndex('subscriber_addresses_primary')
      .on(t.subscriberId, t.kind)
      .where(sql`${t.isPrimary} = 1`),
    // The list filter `city` compares case-insensitively through this expression index.
    index('subscriber_addresses_city').on(sql`lower(${t.city})`, t.subscriberId),
  ],
);
