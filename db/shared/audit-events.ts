import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { instant } from './columns.ts';

// Append-only and hash-chained: each row carries the hash of the one before it, so any
// edit or deletion breaks the chain from that row on (verified by the audit service).
export const auditEvents = sqliteTable(
  'audit_events',
  {
    seq: integer('seq').primaryKey(),
    id: text('id').notNull().unique(),
    at: instant('at').notNull(),
    actorType: text('actor_type', { enum: ['user', 'api_key', 'platform_user', 'system'] }).notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    resource: text('resource').notNull(),
    resourceId: text('resource_id'),
    changes: text('changes'),
    requestId: text('request_id'),
    ip: text('ip'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_events_at').on(t.at),
    index('audit_events_resource').on(t.resource, t.resourceId),
    index('audit_events_actor').on(t.actorId),
  ],
);
