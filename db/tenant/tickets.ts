import { sql } from 'drizzle-orm';
import { index, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { users } from './users.ts';

export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export const ticketStatuses = ['open', 'pending', 'resolved', 'closed'] as const;
export type TicketPriority = (typeof ticketPriorities)[number];
export type TicketStatus = (typeof ticketStatuses)[number];

// Support tickets. Subscriber, subscription and device are links by id: those records
// live in other tables (some not built yet) and a ticket outlives their archiving.
// SLA: each clock has a due time, the instant it was met, and the instant it was first
// seen breached (set once, together with the one `ticket.sla_breached` event).
// `pending_since` pauses the resolution clock while the ticket waits on the customer.
export const tickets = sqliteTable(
  'tickets',
  {
    id: id(),
    number: text('number').notNull().unique(),
    subject: text('subject').notNull(),
    description: text('description').notNull(),
    priority: text('priority', { enum: ticketPriorities }).notNull(),
    status: text('status', { enum: ticketStatuses }).notNull(),
    assigneeId: text('assignee_id').references(() => users.id),
    subscriberId: text('subscriber_id'),
    subscriptionId: text('subscription_id'),
    deviceId: text('device_id'),
    firstResponseDueAt: instant('first_response_due_at').notNull(),
    firstRespondedAt: instant('first_responded_at'),
    firstResponseBreachedAt: instant('first_response_breached_at'),
    resolutionDueAt: instant('resolution_due_at').notNull(),
    resolvedAt: instant('resolved_at'),
    resolutionBreachedAt: instant('resolution_breached_at'),
    pendingSince: instant('pending_since'),
    closedAt: instant('closed_at'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('tickets_status').on(t.status, t.id),
    index('tickets_assignee').on(t.assigneeId, t.id),
    index('tickets_subscriber').on(t.subscriberId, t.id),
    // The SLA sweep's scans: open clocks by due time.
    index('tickets_first_response_due')
      .on(t.firstResponseDueAt)
      .where(sql`first_responded_at IS NULL AND first_response_breached_at IS NULL`),
    index('tickets_resolution_due')
      .on(t.resolutionDueAt)
      .where(sql`resolved_at IS NULL AND resolution_breached_at IS NULL`),
  ],
);
