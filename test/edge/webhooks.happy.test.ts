import { describe, expect, it } from 'vitest';
import { runOutboxOf } from '../../edge/services/outbox/run-outbox.ts';
import { runScheduledJobs } from '../../edge/services/scheduler/run-scheduled-jobs.ts';
import { retryGaps } from '../../edge/services/webhooks/send-due-webhooks.ts';
import { startEdge, type Json, type TestEdge } from '../support/edge-app.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

type Delivery = {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
};

async function setup(config: Record<string, unknown> = {}, options: { nudgeOutbox?: boolean } = {}) {
  const edge = await startEdge({ BILLING_SCHEDULE: 'off', ...config }, options);
  const tenant = await edge.createTenant();
  // An API key does not expire while the tests move the clock on by days.
  const token = (await edge.createApiKey(tenant.owner.token, 'admin')).secret;
  const receiver = await startReceiver(() => edge.clock.now);
  const send = async (method: string, path: string, status: number, body?: unknown) =>
    edge.ok(await edge.call(method, path, { token, body }), status).body;
  /** Registers an endpoint for `events` at `target` (the receiver by default), which learns its secret. */
  const register = async (events: string[], target = receiver) => {
    const created = await send('POST', '/api/v1/webhooks', 201, { url: target.url, events });
    target.setSecret(String(created.secret));
    return created;
  };
  const ticket = (subject = 'No signal') => send('POST', '/api/v1/tickets', 201, { subject });
  const deliveries = async (endpointId: string) =>
    (await send('GET', `/api/v1/webhooks/${endpointId}/deliveries`, 200)).data as unknown as Delivery[];
  const run = () => runOutboxOf(edge.platform, tenant.slug);
  return { edge, tenant, token, receiver, send, register, ticket, deliveries, run };
}

const advance = (edge: TestEdge, ms: number) => (edge.clock.now += ms);

describe('webhooks', () => {
  it('delivers each subscribed event once, signed as Standard Webhooks, from the scheduler', async () => {
    const { edge, receiver, register, ticket, deliveries } = await setup();
    const endpoint = await register(['ticket.created']);
    expect(String(endpoint.secret)).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(String(endpoint.secret).slice(6), 'base64')).toHaveLength(32);
    const tickets = [await ticket('one'), await ticket('two'), await ticket('three')];

    await runScheduledJobs(edge.platform, { from: edge.clock.now - 60_000, to: edge.clock.now });
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(receiver.received.map((r) => r.json.type)).toEqual(['ticket.created', 'ticket.created', 'ticket.created']);
    expect(receiver.received.map((r) => r.json.data.subject_id).sort()).toEqual(tickets.map((t) => t.id).sort());
    const seqs = receiver.received.map((r) => r.json.data.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const listed = await deliveries(String(endpoint.id));
    expect(listed.map((d) => d.id).sort()).toEqual(receiver.received.map((r) => r.id).sort());
    expect(listed.every((d) => d.status === 'succeeded' && d.attempts === 1 && d.last_status_code === 204)).toBe(true);

    await runScheduledJobs(edge.platform, { from: edge.clock.now - 60_000, to: edge.clock.now });
    expect(receiver.received).toHaveLength(3);
  });

  it('sends only the types asked for, and nothing from before the endpoint existed', async () => {
    const { edge, receiver, register, ticket, run } = await setup();
    await ticket('before');
    await register(['subscription.created']);
    const all = await startReceiver(() => edge.clock.now);
    await register(['*'], all);
    await ticket('after');
    await run();
    expect(receiver.received).toHaveLength(0);
    expect(all.received.map((r) => [r.json.type, r.verified])).toEqual([['ticket.created', true]]);
  });

  it('retries a failure (an error status, then a timeout) with the same webhook-id, 5 s then 5 min on', async () => {
    const { edge, receiver, register, ticket, deliveries, run } = await setup({ WEBHOOK_TIMEOUT_SECONDS: 1 });
    const endpoint = await register(['ticket.created']);
    receiver.answers.push(500, 'hang');
    await ticket();

    await run();
    let [delivery] = await deliveries(String(endpoint.id));
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500 });
    expect(delivery!.last_error).toBe('answered 500');
    expect(Date.parse(delivery!.next_attempt_at!) - Date.parse(delivery!.last_attempt_at!)).toBe(retryGaps[0]);
    expect(retryGaps[0]).toBe(5_000);

    await run();
    expect(receiver.received).toHaveLength(1);
    advance(edge, 5_000);
    await run();
    [delivery] = await deliveries(String(endpoint.id));
    expect(delivery).toMatchObject({ status: 'pending', attempts: 2, last_status_code: null });
    expect(delivery!.last_error).toBe('no answer within 1 s');
    expect(Date.parse(delivery!.next_attempt_at!) - Date.parse(delivery!.last_attempt_at!)).toBe(retryGaps[1]);

    advance(edge, retryGaps[1]!);
    await run();
    [delivery] = await deliveries(String(endpoint.id));
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 204, last_error: null });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set([delivery!.id]));
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const first = receiver.received[0]!.timestamp;
    expect(receiver.received.map((r) => r.timestamp - first)).toEqual([0, 5, 305]);
  });

  it('gaps grow and span about three days', () => {
    for (let i = 1; i < retryGaps.length; i++) expect(retryGaps[i]).toBeGreaterThanOrEqual(retryGaps[i - 1]!);
    const total = retryGaps.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(3 * 24 * 3600_000);
    expect(total).toBeLessThan(4 * 24 * 3600_000);
  });

  it('disables an endpoint failing for three days, says so (field and event), and sends it no more', async () => {
    const { edge, receiver, send, register, ticket, deliveries, run } = await setup();
    const failing = await register(['ticket.created']);
    receiver.answers.push(...Array<number>(20).fill(503));
    const watcher = await startReceiver(() => edge.clock.now);
    await register(['webhook_endpoint.disabled'], watcher);
    await ticket();

    for (let attempt = 0; attempt <= retryGaps.length; attempt++) {
      await run();
      const [delivery] = await deliveries(String(failing.id));
      if (delivery!.status !== 'pending') break;
      edge.clock.now = Date.parse(delivery!.next_attempt_at!);
    }
    const [delivery] = await deliveries(String(failing.id));
    expect(delivery).toMatchObject({ status: 'failed', attempts: retryGaps.length + 1, last_status_code: 503 });
    expect(receiver.received).toHaveLength(retryGaps.length + 1);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1);

    const shown = await send('GET', `/api/v1/webhooks/${String(failing.id)}`, 200);
    expect(shown.status).toBe('disabled');
    expect(shown.disabled_reason).toMatch(/^every attempt failed since .*answered 503/);
    const streak = Date.parse(String(shown.disabled_at)) - Date.parse(String(shown.failing_since));
    expect(streak).toBeGreaterThanOrEqual(3 * 24 * 3600_000);

    const events = (await send('GET', '/api/v1/events?type=webhook_endpoint.disabled', 200)).data as Json[];
    expect(events).toEqual([expect.objectContaining({ subject_type: 'webhook_endpoint', subject_id: failing.id })]);
    await run();
    const told = watcher.received.map((r) => [r.json.type, r.json.data.subject_id, r.verified]);
    expect(told).toEqual([['webhook_endpoint.disabled', failing.id, true]]);

    await ticket('while disabled');
    await run();
    expect(receiver.received).toHaveLength(retryGaps.length + 1);
    await send('POST', `/api/v1/webhooks/deliveries/${delivery!.id}/retry`, 409);

    // Enabled again: a manual retry goes out at once with the same id.
    const enabled = await send('PATCH', `/api/v1/webhooks/${String(failing.id)}`, 200, { status: 'enabled' });
    expect(enabled).toMatchObject({ status: 'enabled', disabled_reason: null, disabled_at: null, failing_since: null });
    receiver.answers.length = 0;
    await send('POST', `/api/v1/webhooks/deliveries/${delivery!.id}/retry`, 200);
    await run();
    expect(receiver.received.at(-1)).toMatchObject({ id: delivery!.id, verified: true });
    const retried = (await deliveries(String(failing.id))).find((d) => d.id === delivery!.id);
    expect(retried).toMatchObject({ status: 'succeeded', attempts: retryGaps.length + 2 });
  });

  it('goes out right after the commit on Node, without waiting for the scheduler', async () => {
    const { receiver, register, ticket } = await setup({}, { nudgeOutbox: true });
    await register(['ticket.created']);
    const created = await ticket();
    await receiver.waitFor(1);
    const message = { type: 'ticket.created', data: { subject_id: created.id } };
    expect(receiver.received[0]).toMatchObject({ verified: true, json: message });
  });

  it('manages endpoints: list, change, delete with their deliveries', async () => {
    const { edge, tenant, token, send, register, ticket, run, receiver } = await setup();
    const endpoint = await register(['ticket.created']);
    await ticket();
    await run();
    expect(receiver.received).toHaveLength(1);
    const listed = edge.ok(await edge.call('GET', '/api/v1/webhooks', { token }), 200).body.data as Json[];
    expect(listed.map((e) => e.id)).toEqual([endpoint.id]);
    const patch = { events: ['*'], description: 'CRM' };
    const changed = await send('PATCH', `/api/v1/webhooks/${String(endpoint.id)}`, 200, patch);
    expect(changed).toMatchObject({ events: ['*'], description: 'CRM', url: receiver.url });
    edge.ok(await edge.call('DELETE', `/api/v1/webhooks/${String(endpoint.id)}`, { token }), 204);
    expect((await edge.call('GET', `/api/v1/webhooks/${String(endpoint.id)}`, { token })).status).toBe(404);
    expect((await edge.call('GET', `/api/v1/webhooks/${String(endpoint.id)}/deliveries`, { token })).status).toBe(404);
    const left = await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM webhook_deliveries');
    expect(Number(left.rows[0]!.n)).toBe(0);
  });
});
