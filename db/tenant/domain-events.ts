import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { instant } from '../shared/columns.ts';

// The tenant's outbox of business events (ticket.created, subscription.suspended, …),
// written in the transaction of the change it announces. Consumers (the appliance sync,
// notifications, webhooks) read in `seq` order and remember the last one they handled.
export const domainEvents = sqliteTable(
  'domain_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull().unique(),
    type: text('type').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    occurredAt: instant('occurred_at').notNull(),
  },
  // Consumers read in seq order; a subject's history by subject. (A type index cost every
  // write of a billing run and served no reader.)
  (t) => [index('domain_events_subject').on(t.subjectType, t.subjectId, t.seq)],
);
