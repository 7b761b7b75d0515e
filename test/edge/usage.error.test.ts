import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';
import { GB, day, iso, jan1, usageWorld } from '../support/billing.ts';

describe('usage errors', () => {
  it('refuses a malformed batch as a whole: empty, too large, not an array, unknown fields, not JSON', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer();
    const sub = await w.subscribe({ offerId: offer.id });
    const send = (body: unknown) => edge.call('POST', '/api/v1/usage-records', { token: w.appliance, body });
    expect(expectProblem(await send({ records: [] }), 400, 'validation_failed').errors).toEqual([
      { path: 'records', message: expect.any(String) },
    ]);
    const tooMany = Array.from({ length: 5_001 }, (_, i) => w.record(`r${i}`, sub, 1));
    expect(expectProblem(await send({ records: tooMany }), 400, 'validation_failed').errors).toEqual([
      { path: 'records', message: expect.any(String) },
    ]);
    expectProblem(await send({ records: w.record('r', sub, 1) }), 400, 'validation_failed');
    expectProblem(await send({ records: [w.record('r', sub, 1)], extra: true }), 400, 'validation_failed');
    expectProblem(await send([w.record('r', sub, 1)]), 400, 'validation_failed');
    expectProblem(await edge.call('POST', '/api/v1/usage-records', { token: w.appliance, body: '{"records": [' }), 400);
    expectProblem(await send('x'.repeat(4 * 1024 * 1024 + 1)), 413, 'payload_too_large');
    expect(await w.rows('SELECT count(*) AS n FROM usage_records')).toEqual([{ n: 0 }]);
  });

  it('accepts a full batch of 5,000 long-id records above the default 1 MiB body limit', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer({ included_gb: null, overage_per_gb: null });
    const sub = await w.subscribe({ offerId: offer.id });
    edge.clock.now = jan1 + 20 * day;
    const records = Array.from({ length: 5_000 }, (_, i) =>
      w.record(`${'n'.repeat(190)}-${i}`, sub, GB + i, jan1 + day + i * 60_000),
    );
    expect(JSON.stringify({ records }).length).toBeGreaterThan(1024 * 1024);
    expect(await w.report(records)).toEqual({ accepted: 5_000, duplicates: 0, rejected: [] });
    expect((await w.usage(sub.id)).used_bytes).toBe(5_000 * GB + (4_999 * 5_000) / 2);
  });

  it('reports each bad row with its index, id and reason, and keeps the good ones', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer();
    const sub = await w.subscribe({ offerId: offer.id });
    const good = w.record('good', sub, 1_000);
    const result = await w.report([
      'not an object',
      { ...good, id: 'both', subscription_id: sub.id },
      { ...w.record('neither', sub, 1), username: undefined },
      { ...good, id: 'backwards', start: iso(jan1 + 2 * day), end: iso(jan1 + day) },
      { ...good, id: 'negative', input_octets: -1 },
      { ...good, id: 'fraction', output_octets: 1.5 },
      { ...good, id: 'unsafe', input_octets: 2 ** 53 },
      { ...good, id: 'sum-unsafe', input_octets: 2 ** 52, output_octets: 2 ** 52 },
      { ...good, id: '' },
      { ...good, id: 'x'.repeat(201) },
      { ...good, id: 'bad-date', end: 'yesterday' },
      { ...good, id: 'extra', nas: 'nas1' },
      good,
    ]);
    expect(result.accepted).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.id])).toEqual([
      [0, null],
      [1, 'both'],
      [2, 'neither'],
      [3, 'backwards'],
      [4, 'negative'],
      [5, 'fraction'],
      [6, 'unsafe'],
      [7, 'sum-unsafe'],
      [8, ''],
      [9, 'x'.repeat(201)],
      [10, 'bad-date'],
      [11, 'extra'],
    ]);
    expect(result.rejected[1]!.message).toBe('subscription_id: give exactly one of subscription_id and username');
    expect(result.rejected[3]!.message).toBe('end: must not be before start');
    expect(result.rejected.every((r) => r.message.length > 0)).toBe(true);
    expect((await w.usage(sub.id)).used_bytes).toBe(1_000);
  });

  it('usage and quota-reset of unknown, never-activated subscriptions, and bad period_start', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer();
    const pending = await w.subscribe({ offerId: offer.id, at: null });
    const get = (path: string) => edge.call('GET', `/api/v1/${path}`, { token: w.token });
    expectProblem(await get(`subscriptions/${crypto.randomUUID()}/usage`), 404, 'not_found');
    expectProblem(await get('subscriptions/not-a-uuid/usage'), 400, 'validation_failed');
    expectProblem(await get(`subscriptions/${pending.id}/usage`), 409, 'invalid_state');
    expectProblem(await get(`subscriptions/${pending.id}/usage?period_start=January`), 400, 'validation_failed');
    expectProblem(
      await edge.call('POST', `/api/v1/subscriptions/${crypto.randomUUID()}/quota-reset`, { token: w.token }),
      404,
      'not_found',
    );
    // Nothing to lift on a pending subscription: a no-op, not an error.
    expect(
      edge.ok(await edge.call('POST', `/api/v1/subscriptions/${pending.id}/quota-reset`, { token: w.token }), 200).body,
    ).toMatchObject({ restored: false, buckets_reset: 0, current: null });
  });
});
