import type { webhookDeliveries, webhookEndpoints } from '../../../db/tenant/index.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** An endpoint without its secret, which is shown once, when it is made. */
export const presentWebhookEndpoint = (e: typeof webhookEndpoints.$inferSelect) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  events: e.events,
  status: e.status,
  disabled_reason: e.disabledReason,
  disabled_at: iso(e.disabledAt),
  failing_since: iso(e.failingSince),
  created_at: e.createdAt.toISOString(),
  updated_at: e.updatedAt.toISOString(),
});

export const presentWebhookDelivery = (d: typeof webhookDeliveries.$inferSelect) => ({
  id: d.id,
  endpoint_id: d.endpointId,
  event_id: d.eventId,
  event_type: d.eventType,
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
  last_attempt_at: iso(d.lastAttemptAt),
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  created_at: d.createdAt.toISOString(),
});
