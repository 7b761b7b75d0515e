import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, updatedAt } from '../shared/columns.ts';
import { subscribers } from './subscribers.ts';

export const contactChannels = ['email', 'sms', 'phone', 'whatsapp'] as const;
export type ContactChannel = (typeof contactChannels)[number];

// Ways to reach a subscriber, each with its own consent (opt-in) and verification state.
// `value` is a lower-cased email for the email channel, an E.164 number otherwise.
export const subscriberContacts = sqliteTable(
  'subscriber_contacts',
  {
    id: id(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    channel: text('channel', { enum: contactChannels }).notNull(),
    value: text('value').notNull(),
    label: text('label'),
    optIn: integer('opt_in', { mode: 'boolean' }).notNull(),
    verified: integer('verified', { mode: 'boolean' }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('subscriber_contacts_subscriber').on(t.subscriberId),
    uniqueIndex('subscriber_contacts_value').on(t.subscriberId, t.channel, t.value),
  ],
);
