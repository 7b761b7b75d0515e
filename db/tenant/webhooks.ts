import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';

// Where each consumer of the domain_events outbox has got to (webhooks, later the
// appliance sync): the highest seq it has taken in. One row per consumer.
export const outboxCursors = sqliteTable('outbox_cursors', {
  consumer: text('consumer').primaryKey(),
  lastSeq: integer('last_seq').notNull(),
  updatedAt: updatedAt(),
});

export const webhookEndpointStatuses = ['enabled', 'disabled'] as const;

// An integrator's receiver. The signing secret is sealed with the data key (edge/lib/sealed.ts):
// it must be read back to sign, so it cannot be hashed like an API key.
export const webhookEndpoints = sqliteTable('webhook_endpoints', {
  id: id(),
  url: text('url').notNull(),
  description: text('description'),
  // Event types it receives; `*` is every type.
  events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
  secretSealed: text('secret_sealed').notNull(),
  status: text('status', { enum: webhookEndpointStatuses }).notNull(),
  disabledReason: text('disabled_reason'),
  disabledAt: instant('disabled_at'),
  // Start of the current run of failed attempts; null after a success.
  failingSince: instant('failing_since'),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const webhookDeliveryStatuses = ['pending', 'succeeded', 'failed'] as const;

// One message per endpoint and event; its id is the `webhook-id` of every attempt.
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: id(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    // The exact bytes signed and sent, so every retry carries the same body.
    body: text('body').notNull(),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull(),
    attempts: integer('attempts').notNull(),
    // When the next attempt is due (pending), or until when the running one holds it.
    nextAttemptAt: instant('next_attempt_at'),
    lastAttemptAt: instant('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_endpoint_event').on(t.endpointId, t.eventId),
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
  ],
);
