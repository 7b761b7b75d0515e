import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';
import { GB, day, jan1, usageWorld } from '../support/billing.ts';

describe('usage permissions and isolation', () => {
  it(
    'usage-records needs network:write (the appliance key); usage reads need subscribers:read; quota-reset needs ' +
      'billing:write',
    async () => {
      const edge = await startEdge();
      const w = await usageWorld(edge);
      const offer = await w.offer();
      const sub = await w.subscribe({ offerId: offer.id });
      const owner = w.tenant.owner.token;
      const keys = Object.fromEntries(
        await Promise.all(
          (['operations', 'field_tech', 'billing', 'support', 'read_only'] as const).map(
            async (role) => [role, (await edge.createApiKey(owner, role)).secret] as const,
          ),
        ),
      );
      const post = (token: string | undefined, id: string) =>
        edge.call('POST', '/api/v1/usage-records', { token, body: { records: [w.record(id, sub, 1)] } });
      expectProblem(await post(undefined, 'anon'), 401);
      expectProblem(await post('isk_not.a.key', 'forged'), 401);
      for (const role of ['billing', 'support', 'read_only'] as const)
        expectProblem(await post(keys[role], role), 403, 'forbidden');
      for (const role of ['operations', 'field_tech'] as const)
        expect(edge.ok(await post(keys[role], role), 200).body).toMatchObject({ accepted: 1 });
      expect((await w.usage(sub.id)).used_bytes).toBe(2);

      for (const role of ['read_only', 'support', 'billing'] as const)
        edge.ok(await edge.call('GET', `/api/v1/subscriptions/${sub.id}/usage`, { token: keys[role] }), 200);
      expectProblem(await edge.call('GET', `/api/v1/subscriptions/${sub.id}/usage`), 401);
      for (const role of ['operations', 'support', 'read_only', 'field_tech'] as const)
        expectProblem(
          await edge.call('POST', `/api/v1/subscriptions/${sub.id}/quota-reset`, { token: keys[role] }),
          403,
          'forbidden',
        );
      edge.ok(await edge.call('POST', `/api/v1/subscriptions/${sub.id}/quota-reset`, { token: keys.billing }), 200);
    },
  );

  it(
    "another tenant's appliance cannot count usage against this tenant's subscriptions, and record ids are per " +
      'tenant',
    async () => {
      const edge = await startEdge();
      const a = await usageWorld(edge);
      const b = await usageWorld(edge);
      const offerA = await a.offer({ included_gb: 1 });
      const subA = await a.subscribe({ offerId: offerA.id });
      const offerB = await b.offer();
      // B has a subscription with the same login as A's.
      const subB = await b.subscribe({ offerId: offerB.id, username: subA.username });
      edge.clock.now = jan1 + 5 * day;
      const before = await a.usage(subA.id);
      const byId = await b.report([b.record('x1', { id: subA.id }, 5 * GB)]);
      expect(byId).toMatchObject({
        accepted: 0,
        rejected: [{ index: 0, id: 'x1', message: `no subscription ${subA.id}` }],
      });
      // The same login in B is B's own subscription.
      expect(await b.report([b.record('x2', { username: subA.username! }, 5 * GB)])).toMatchObject({ accepted: 1 });
      expect((await b.usage(subB.id)).used_bytes).toBe(5 * GB);
      expect(await a.usage(subA.id)).toEqual(before);
      expect(await a.events(subA.id, 'usage.')).toEqual([]);
      // A's record ids do not collide with B's.
      expect(await a.report([a.record('x2', subA, 10)])).toMatchObject({ accepted: 1, duplicates: 0 });
      // B's keys do not reach A's subscription's usage or reset.
      expectProblem(
        await edge.call('GET', `/api/v1/subscriptions/${subA.id}/usage`, { token: b.token }),
        404,
        'not_found',
      );
      expectProblem(
        await edge.call('POST', `/api/v1/subscriptions/${subA.id}/quota-reset`, { token: b.token }),
        404,
        'not_found',
      );
    },
  );

  it('concurrent copies of the same batch count each record once and fire each threshold once', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer({ included_gb: 1 });
    const sub = await w.subscribe({ offerId: offer.id });
    edge.clock.now = jan1 + 5 * day;
    const batch = [w.record('c1', sub, 600_000_000), w.record('c2', sub, 600_000_000)];
    const results = await Promise.all(Array.from({ length: 4 }, () => w.report(batch)));
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(2);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(6);
    expect((await w.usage(sub.id)).used_bytes).toBe(1_200_000_000);
    expect(
      (await w.events(sub.id))
        .filter((e) => e.type.startsWith('usage.') || e.type === 'subscription.throttled')
        .map((e) => e.type),
    ).toEqual(['usage.quota_warning', 'usage.quota_warning', 'usage.quota_exhausted', 'subscription.throttled']);
  });
});
