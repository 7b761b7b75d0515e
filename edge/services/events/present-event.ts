import type { domainEvents } from '../../../db/tenant/index.ts';

/** An outbox event as the events API and webhook bodies show it. */
export const presentEvent = (e: typeof domainEvents.$inferSelect) => ({
  id: e.id,
  seq: e.seq,
  type: e.type,
  subject_type: e.subjectType,
  subject_id: e.subjectId,
  occurred_at: e.occurredAt.toISOString(),
  data: e.payload,
});
