import type { TenantContext } from '../../context.ts';
import type { Platform } from '../../env.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { asSystemInTenant, forEachActiveTenant } from '../scheduler/for-each-tenant.ts';
import { webhookFanOut } from '../webhooks/fan-out-webhooks.ts';
import { sendDueWebhooks } from '../webhooks/send-due-webhooks.ts';
import { dispatchOutbox } from './dispatch-outbox.ts';
import type { OutboxConsumer } from './outbox-consumer.ts';

/** Every reader of the outbox. The appliance sync joins here as a consumer of its own. */
export const outboxConsumers: readonly OutboxConsumer[] = [webhookFanOut];

export type OutboxRun = { taken: number; attempted: number; nextDueAt: number | null };

/** One tenant: each consumer takes in new events, then the webhooks that are due go out. */
export async function runTenantOutbox(ctx: TenantContext): Promise<OutboxRun> {
  const taken = await dispatchOutbox(ctx, outboxConsumers);
  const { attempted, nextDueAt } = await sendDueWebhooks(ctx);
  return { taken, attempted, nextDueAt };
}

/** The scheduler's pass (each minute) over every active tenant. */
export const runAllTenantOutboxes = (platform: Platform) =>
  forEachActiveTenant(platform, 'outbox', async (ctx) => {
    const run = await runTenantOutbox(ctx);
    return run.taken + run.attempted;
  });

/** One tenant's pass, e.g. right after a request of it committed; null when the tenant is not active. */
export const runOutboxOf = (platform: Platform, slug: string) =>
  asSystemInTenant(platform, slug, `outbox-${uuidv7(platform.now())}`, runTenantOutbox);
