import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id } from '../shared/columns.ts';
import { tickets } from './tickets.ts';

// Comments on a ticket: public ones are the conversation with the customer (the first
// one meets the first-response SLA); internal ones are notes among staff.
export const ticketComments = sqliteTable(
  'ticket_comments',
  {
    id: id(),
    ticketId: text('ticket_id')
      .notNull()
      .references(() => tickets.id),
    body: text('body').notNull(),
    internal: integer('internal', { mode: 'boolean' }).notNull(),
    authorType: text('author_type', { enum: ['user', 'api_key', 'system'] }).notNull(),
    authorId: text('author_id'),
    createdAt: createdAt(),
  },
  (t) => [index('ticket_comments_ticket').on(t.ticketId, t.id)],
);
