import { eq } from 'drizzle-orm';
import { webhookDeliveries, webhookEndpoints } from '../../../db/tenant/index.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { presentEvent } from '../events/present-event.ts';
import type { OutboxConsumer } from '../outbox/outbox-consumer.ts';

const subscribes = (events: readonly string[], type: string) => events.includes('*') || events.includes(type);

/**
 * The webhooks' outbox consumer: one pending delivery per enabled endpoint that subscribes to
 * an event and existed when it happened. The body is fixed here, so every attempt sends the
 * same bytes (Standard Webhooks payload: type, timestamp, data).
 */
export const webhookFanOut: OutboxConsumer = {
  name: 'webhooks',
  startAt: 'latest',
  async consume({ ctx, tx, events }) {
    const endpoints = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.status, 'enabled'));
    if (endpoints.length === 0) return;
    const now = new Date(ctx.platform.now());
    const rows = events.flatMap((event) => {
      const message = { type: event.type, timestamp: event.occurredAt.toISOString(), data: presentEvent(event) };
      const body = JSON.stringify(message);
      return endpoints
        .filter((e) => subscribes(e.events, event.type) && e.createdAt <= event.occurredAt)
        .map((e) => ({
          id: uuidv7(now.getTime()),
          endpointId: e.id,
          eventId: event.id,
          eventType: event.type,
          body,
          status: 'pending' as const,
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
        }));
    });
    for (let i = 0; i < rows.length; i += 100) {
      await tx
        .insert(webhookDeliveries)
        .values(rows.slice(i, i + 100))
        .onConflictDoNothing();
    }
  },
};
