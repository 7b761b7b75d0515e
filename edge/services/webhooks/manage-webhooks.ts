import { and, desc, eq, lt } from 'drizzle-orm';
import { webhookDeliveries, webhookEndpoints } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { sealSecret } from '../../lib/sealed.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { anchorOutboxCursor } from '../outbox/dispatch-outbox.ts';
import { pageOf } from '../page-of.ts';
import { webhookFanOut } from './fan-out-webhooks.ts';
import { presentWebhookDelivery, presentWebhookEndpoint } from './present-webhook.ts';
import { generateWebhookSecret } from './sign-webhook.ts';
import { parseWebhookUrl, refusedTarget, targetPolicy } from './webhook-target.ts';

export type WebhookEndpointInput = { url: string; events: string[]; description?: string | null | undefined };
export type WebhookEndpointPatch = Partial<WebhookEndpointInput> & { status?: 'enabled' | 'disabled' | undefined };

async function checkedUrl(ctx: TenantContext, raw: string): Promise<string> {
  const url = parseWebhookUrl(raw);
  const refused = await refusedTarget(targetPolicy(ctx), url);
  if (refused) {
    const errors = [{ path: 'url', message: refused }];
    throw new AppError('unprocessable', `webhooks may not go to ${url.host}: ${refused}`, { errors });
  }
  return url.href;
}

type Audited = 'webhook_endpoint' | 'webhook_delivery';
const audit = (resource: Audited, verb: string, resourceId: string, changes?: Record<string, unknown>) => ({
  action: `${resource}.${verb}`,
  resource,
  resourceId,
  changes: changes ?? null,
});

async function findEndpoint(ctx: TenantContext, id: string) {
  const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) throw new AppError('not_found', `no webhook endpoint ${id}`);
  return row;
}

/** Returns the signing secret this once; it is kept sealed with the data key, never shown again. */
export async function createWebhookEndpoint({ ctx, input }: { ctx: TenantContext; input: WebhookEndpointInput }) {
  const url = await checkedUrl(ctx, input.url);
  const now = new Date(ctx.platform.now());
  const id = uuidv7(now.getTime());
  const secret = generateWebhookSecret();
  const secretSealed = await sealSecret(secret, ctx.platform.config.dataKey);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        id,
        url,
        description: input.description ?? null,
        events: [...new Set(input.events)],
        secretSealed,
        status: 'enabled',
        createdBy: ctx.actor.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await anchorOutboxCursor(tx, webhookFanOut, now);
    const changes = { url, events: row!.events };
    await appendAuditEvent(tx, ctx, audit('webhook_endpoint', 'created', id, changes));
    return { ...presentWebhookEndpoint(row!), secret };
  });
}

type Page = { limit: number; cursor?: string | undefined };

export async function listWebhookEndpoints({ ctx, input }: { ctx: TenantContext; input: Page }) {
  const rows = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(input.cursor ? lt(webhookEndpoints.id, input.cursor) : undefined)
    .orderBy(desc(webhookEndpoints.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentWebhookEndpoint, (row) => row.id);
}

export const getWebhookEndpoint = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentWebhookEndpoint(await findEndpoint(ctx, input.id));

/** Enabling again clears the failure streak, so the endpoint gets three more days. */
type Update = { id: string; patch: WebhookEndpointPatch };

export async function updateWebhookEndpoint({ ctx, input }: { ctx: TenantContext; input: Update }) {
  const { patch } = input;
  const url = patch.url === undefined ? undefined : await checkedUrl(ctx, patch.url);
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, input.id));
    if (!row) throw new AppError('not_found', `no webhook endpoint ${input.id}`);
    const status =
      patch.status === undefined || patch.status === row.status
        ? {}
        : patch.status === 'enabled'
          ? { status: 'enabled' as const, disabledReason: null, disabledAt: null, failingSince: null }
          : { status: 'disabled' as const, disabledReason: 'disabled through the API', disabledAt: now };
    const changes = {
      ...(url !== undefined ? { url } : {}),
      ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...status,
    };
    const [updated] = await tx
      .update(webhookEndpoints)
      .set({ ...changes, updatedAt: now })
      .where(eq(webhookEndpoints.id, row.id))
      .returning();
    const audited = { ...patch, ...(url ? { url } : {}) };
    await appendAuditEvent(tx, ctx, audit('webhook_endpoint', 'updated', row.id, audited));
    return presentWebhookEndpoint(updated!);
  });
}

export async function deleteWebhookEndpoint({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, input.id));
    if (!row) throw new AppError('not_found', `no webhook endpoint ${input.id}`);
    await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.endpointId, row.id));
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, row.id));
    await appendAuditEvent(tx, ctx, audit('webhook_endpoint', 'deleted', row.id));
  });
}

type DeliveryQuery = Page & { id: string; status?: 'pending' | 'succeeded' | 'failed' | undefined };

/** Newest first. */
export async function listWebhookDeliveries({ ctx, input }: { ctx: TenantContext; input: DeliveryQuery }) {
  await findEndpoint(ctx, input.id);
  const rows = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, input.id),
        input.status ? eq(webhookDeliveries.status, input.status) : undefined,
        input.cursor ? lt(webhookDeliveries.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentWebhookDelivery, (row) => row.id);
}

/**
 * One more attempt now, with the same webhook-id and body. A delivery that had used all its
 * attempts gets this one; if it fails it is failed again.
 */
export async function retryWebhookDelivery({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const [found] = await tx
      .select({ delivery: webhookDeliveries, endpointStatus: webhookEndpoints.status })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.id, input.id));
    if (!found) throw new AppError('not_found', `no webhook delivery ${input.id}`);
    if (found.endpointStatus !== 'enabled') {
      throw new AppError('invalid_state', 'the endpoint is disabled; enable it first');
    }
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: 'pending', nextAttemptAt: now })
      .where(eq(webhookDeliveries.id, found.delivery.id))
      .returning();
    await appendAuditEvent(tx, ctx, audit('webhook_delivery', 'retried', row!.id));
    return presentWebhookDelivery(row!);
  });
}
