import type { tickets } from '../../../db/tenant/index.ts';
import { isoOrNull } from '../../lib/instants.ts';

type TicketRow = typeof tickets.$inferSelect;

/** Whether each SLA clock has run out unmet at `now`, recorded or not yet swept. */
export function slaBreaches(row: TicketRow, now: number) {
  return {
    firstResponse:
      row.firstResponseBreachedAt !== null || (row.firstRespondedAt === null && row.firstResponseDueAt.getTime() < now),
    // A pending ticket's resolution clock is paused.
    resolution:
      row.resolutionBreachedAt !== null ||
      (row.resolvedAt === null && row.pendingSince === null && row.resolutionDueAt.getTime() < now),
  };
}

export function presentTicket(row: TicketRow, now: number) {
  const breached = slaBreaches(row, now);
  return {
    id: row.id,
    number: row.number,
    subject: row.subject,
    description: row.description,
    priority: row.priority,
    status: row.status,
    assignee_id: row.assigneeId,
    subscriber_id: row.subscriberId,
    subscription_id: row.subscriptionId,
    device_id: row.deviceId,
    sla: {
      first_response: {
        due_at: row.firstResponseDueAt.toISOString(),
        met_at: isoOrNull(row.firstRespondedAt),
        breached: breached.firstResponse,
      },
      resolution: {
        due_at: row.resolutionDueAt.toISOString(),
        met_at: isoOrNull(row.resolvedAt),
        breached: breached.resolution,
        paused: row.pendingSince !== null,
      },
    },
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    closed_at: isoOrNull(row.closedAt),
  };
}

export type PresentedTicket = ReturnType<typeof presentTicket>;
