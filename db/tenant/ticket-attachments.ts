import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id } from '../shared/columns.ts';
import { tickets } from './tickets.ts';

// Files attached to a ticket. The bytes live in object storage under `storage_key`
// (tenant-prefixed, built by the server, never from client input); this row is the
// only way to reach them.
export const ticketAttachments = sqliteTable(
  'ticket_attachments',
  {
    id: id(),
    ticketId: text('ticket_id')
      .notNull()
      .references(() => tickets.id),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull().unique(),
    uploadedByType: text('uploaded_by_type', { enum: ['user', 'api_key', 'system'] }).notNull(),
    uploadedBy: text('uploaded_by'),
    createdAt: createdAt(),
  },
  (t) => [index('ticket_attachments_ticket').on(t.ticketId, t.id)],
);
