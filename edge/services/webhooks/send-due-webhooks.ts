import { and, asc, eq, isNull, lte, min } from 'drizzle-orm';
import { webhookDeliveries, webhookEndpoints } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { openSecret } from '../../lib/sealed.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { webhookHeaders } from './sign-webhook.ts';
import { refusedTarget, targetPolicy } from './webhook-target.ts';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
/**
 * Gaps after the 1st, 2nd, … failed attempt of one message (Standard Webhooks suggests
 * immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): ten attempts over about three days.
 */
export const retryGaps = [
  5 * second,
  5 * minute,
  30 * minute,
  2 * hour,
  5 * hour,
  10 * hour,
  14 * hour,
  20 * hour,
  24 * hour,
];
/** An endpoint whose attempts have all failed for this long is disabled. */
export const disableAfterMs = 3 * 24 * hour;
const batch = 50;
const parallel = 8;
const maxErrorLength = 500;

type Due = { delivery: typeof webhookDeliveries.$inferSelect; endpoint: typeof webhookEndpoints.$inferSelect };
type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * Sends every due delivery of enabled endpoints (up to a batch a call), `parallel` endpoints at a time.
 * Each is claimed first by moving its due time past the attempt's timeout, so two runners never
 * send one attempt twice, and a runner that dies leaves it to be retried. Returns how many were
 * attempted and when the next pending one is due.
 */
export async function sendDueWebhooks(ctx: TenantContext): Promise<{ attempted: number; nextDueAt: number | null }> {
  const now = ctx.platform.now();
  const due = await ctx.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(
      and(
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, new Date(now)),
        eq(webhookEndpoints.status, 'enabled'),
      ),
    )
    .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
    .limit(batch);
  // In order within an endpoint (first attempts then arrive in event order), endpoints side by
  // side, so one slow receiver does not hold up the others.
  const byEndpoint = new Map<string, Due[]>();
  for (const d of due) byEndpoint.set(d.endpoint.id, [...(byEndpoint.get(d.endpoint.id) ?? []), d]);
  const queues = [...byEndpoint.values()];
  let attempted = 0;
  for (let i = 0; i < queues.length; i += parallel) {
    await Promise.all(
      queues.slice(i, i + parallel).map(async (queue) => {
        for (const d of queue) if (await attemptDelivery(ctx, d)) attempted++;
      }),
    );
  }
  const [next] = await ctx.db
    .select({ at: min(webhookDeliveries.nextAttemptAt) })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.status, 'pending'), eq(webhookEndpoints.status, 'enabled')));
  return { attempted, nextDueAt: next?.at?.getTime() ?? null };
}

async function attemptDelivery(ctx: TenantContext, { delivery, endpoint }: Due): Promise<boolean> {
  const timeoutMs = ctx.platform.config.webhookTimeoutSeconds * second;
  const claimedAt = ctx.platform.now();
  const claim = await ctx.db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: new Date(claimedAt + timeoutMs + minute) })
    .where(
      and(
        eq(webhookDeliveries.id, delivery.id),
        eq(webhookDeliveries.status, 'pending'),
        eq(webhookDeliveries.nextAttemptAt, delivery.nextAttemptAt!),
      ),
    );
  if (claim.rowsAffected !== 1) return false;
  const outcome = await post(ctx, { endpoint, delivery }, timeoutMs);
  await recordOutcome(ctx, endpoint.id, delivery, outcome);
  return true;
}

async function post(ctx: TenantContext, { endpoint, delivery }: Due, timeoutMs: number): Promise<Outcome> {
  const url = new URL(endpoint.url);
  const refused = await refusedTarget(targetPolicy(ctx), url);
  if (refused) return { ok: false, status: null, error: `refused: ${refused}` };
  try {
    const secret = await openSecret(endpoint.secretSealed, ctx.platform.config.dataKey);
    const headers = await webhookHeaders(secret, delivery.id, ctx.platform.now(), delivery.body);
    // Redirects are not followed: one could lead to an address the policy refuses.
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await fetch(url, { method: 'POST', headers, body: delivery.body, redirect: 'manual', signal });
    await response.body?.cancel();
    const { status } = response;
    return status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `answered ${status}` };
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      return { ok: false, status: null, error: `no answer within ${timeoutMs / second} s` };
    }
    return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
  }
}

async function recordOutcome(ctx: TenantContext, endpointId: string, delivery: Due['delivery'], outcome: Outcome) {
  const now = new Date(ctx.platform.now());
  const attempts = delivery.attempts + 1;
  await ctx.db.transaction(async (tx) => {
    const lastError = outcome.ok ? null : outcome.error.slice(0, maxErrorLength);
    const base = { attempts, lastAttemptAt: now, lastStatusCode: outcome.status, lastError };
    const thisDelivery = eq(webhookDeliveries.id, delivery.id);
    if (outcome.ok) {
      await tx
        .update(webhookDeliveries)
        .set({ ...base, status: 'succeeded', nextAttemptAt: null })
        .where(thisDelivery);
      await tx.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, endpointId));
      return;
    }
    const gap = retryGaps[attempts - 1];
    const next =
      gap === undefined
        ? { status: 'failed' as const, nextAttemptAt: null }
        : { status: 'pending' as const, nextAttemptAt: new Date(now.getTime() + gap) };
    await tx
      .update(webhookDeliveries)
      .set({ ...base, ...next })
      .where(thisDelivery);
    const thisEndpoint = eq(webhookEndpoints.id, endpointId);
    const streakStart = and(thisEndpoint, isNull(webhookEndpoints.failingSince));
    await tx.update(webhookEndpoints).set({ failingSince: now }).where(streakStart);
    const [endpoint] = await tx.select().from(webhookEndpoints).where(thisEndpoint);
    const since = endpoint?.failingSince;
    if (endpoint?.status !== 'enabled' || !since || now.getTime() - since.getTime() < disableAfterMs) return;
    const reason = `every attempt failed since ${since.toISOString()} (last: ${lastError})`;
    const disabled = { status: 'disabled' as const, disabledReason: reason, disabledAt: now, updatedAt: now };
    await tx.update(webhookEndpoints).set(disabled).where(thisEndpoint);
    const payload = { url: endpoint.url, reason };
    const event = { type: 'webhook_endpoint.disabled', subjectType: 'webhook_endpoint', subjectId: endpointId };
    await recordDomainEvent(tx, { ...event, payload }, now);
    ctx.log.warn('webhook endpoint disabled', { endpoint: endpointId, reason });
  });
}
