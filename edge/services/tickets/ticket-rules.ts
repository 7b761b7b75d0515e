import type { TicketPriority, TicketStatus } from '../../../db/tenant/index.ts';

const hour = 60 * 60 * 1000;

/**
 * Default SLA targets by priority (tenant-configurable later): the first public reply,
 * and resolution. Both clocks start when the ticket is created; reopening restarts the
 * resolution clock; time spent `pending` (waiting on the customer) does not count
 * against resolution.
 */
export const slaTargets: Readonly<Record<TicketPriority, { firstResponseMs: number; resolutionMs: number }>> = {
  urgent: { firstResponseMs: 1 * hour, resolutionMs: 4 * hour },
  high: { firstResponseMs: 2 * hour, resolutionMs: 8 * hour },
  normal: { firstResponseMs: 4 * hour, resolutionMs: 24 * hour },
  low: { firstResponseMs: 8 * hour, resolutionMs: 72 * hour },
};

/**
 * Where a ticket may go from each status. `closed` is final (a new problem is a new
 * ticket); a `resolved` ticket may be reopened. Setting the current status is a no-op,
 * not a transition.
 */
export const ticketTransitions: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  open: ['pending', 'resolved', 'closed'],
  pending: ['open', 'resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};

/** Media types an attachment may have. No HTML or SVG: they could run script if ever rendered inline. */
export const attachmentTypes = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
  'text/csv',
] as const;
export type AttachmentType = (typeof attachmentTypes)[number];

export const maxAttachmentBytes = 10 * 1024 * 1024;
