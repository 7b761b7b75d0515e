// Issue 13 D7: business-rules.md "Account status is derived from its subscriptions and
// collections state, not stored independently", and the subscriber's billing_day anchors
// the subscriptions created for it unless the request names another day.
import { describe, expect, it } from 'vitest';
import { billingWorld, day, hour, startCollectionsEdge } from '../support/billing.ts';
import { expectProblem, startEdge, startTime } from '../support/edge-app.ts';

describe('subscriber status is derived', () => {
  it('is read-only on POST and PATCH', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const s = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Derived' } }),
      201,
    ).body;
    expect(s.status).toBe('active');
    const patched = expectProblem(
      await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
        token,
        body: { status: 'suspended', notes: 'x' },
      }),
      400,
      'validation_failed',
    );
    expect(patched.errors).toEqual([{ path: '(body)', message: expect.stringContaining('status is read-only') }]);
    const created = expectProblem(
      await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Other', status: 'canceled' } }),
      400,
      'validation_failed',
    );
    expect(created.errors).toEqual([{ path: '(body)', message: expect.stringContaining('status is read-only') }]);
    expect(edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token }), 200).body).toMatchObject({
      status: 'active',
      notes: null,
    });
  });

  it(
    'follows the subscriptions: active, suspended while every live one is, canceled once all ended; delinquent ' +
      'while overdue',
    async () => {
      const edge = await startCollectionsEdge();
      const w = await billingWorld(edge, {}, { role: 'owner' });
      const offer = await w.offer();
      const subscriber = await w.subscriber();
      const status = async () => (await w.get(`subscribers/${String(subscriber.id)}`)).status;
      const listed = async (filter: string) => (await w.get(`subscribers?status=${filter}`)).data!.map((s) => s.id);
      const pending = await w.post('subscriptions', {
        subscriber_id: subscriber.id,
        offer_id: offer.id,
        start_at: new Date(startTime).toISOString(),
      });
      expect(await status()).toBe('active');
      await w.post(`subscriptions/${String(pending.id)}/activate`, { at: new Date(startTime).toISOString() }, 200);
      const second = await w.subscribe(subscriber.id, offer.id, startTime);
      await w.post(`subscriptions/${String(pending.id)}/suspend`, { reason: 'moving house' }, 200);
      expect(await status()).toBe('active');
      await w.post(`subscriptions/${String(second.id)}/suspend`, { reason: 'moving house' }, 200);
      expect(await status()).toBe('suspended');
      expect(await listed('suspended')).toEqual([subscriber.id]);
      await w.post(`subscriptions/${String(second.id)}/resume`, {}, 200);
      expect(await status()).toBe('active');

      // An unpaid invoice past due opens an overdue case at the first ladder step (7 days).
      await w.billAt(startTime);
      const [invoice] = await w.invoices(subscriber.id);
      const due = Date.parse(String(invoice!.due_at));
      await w.collect(due + 7 * day + 9 * hour);
      expect(await status()).toBe('delinquent');
      expect(await listed('delinquent')).toEqual([subscriber.id]);
      await w.pay(subscriber.id, Number(invoice!.balance_due));
      await w.collect(due + 8 * day + 9 * hour);
      expect(await status()).toBe('active');

      for (const sub of [pending, second])
        await w.post(
          `subscriptions/${String(sub.id)}/cancel`,
          { reason: 'leaving', at: new Date(edge.clock.now).toISOString() },
          200,
        );
      await w.billAt(edge.clock.now + 2 * day);
      expect((await w.subscription(second.id)).status).toBe('canceled');
      expect(await status()).toBe('canceled');
      expect(await listed('canceled')).toEqual([subscriber.id]);
    },
  );
});

describe("the subscriber's billing_day", () => {
  it('anchors a new monthly subscription unless the request names a day; without one the start day does', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge, {}, { role: 'owner' });
    const offer = await w.offer();
    const start = new Date(startTime).toISOString(); // the 15th
    const withDay = await w.subscriber({ billing_day: 5 });
    const withoutDay = await w.subscriber();
    expect(withoutDay.billing_day).toBeNull();
    const anchorOf = async (subscriberId: unknown, extra = {}) =>
      (await w.post('subscriptions', { subscriber_id: subscriberId, offer_id: offer.id, start_at: start, ...extra }))
        .billing_anchor_day;
    expect(await anchorOf(withDay.id)).toBe(5);
    expect(await anchorOf(withDay.id, { billing_anchor_day: 20 })).toBe(20);
    expect(await anchorOf(withoutDay.id)).toBe(15);
    // A weekly offer anchors to a weekday, which a day of the month is not.
    const weekly = await w.offer({ billing_cycle: 'weekly' });
    const weeklyAnchor = (
      await w.post('subscriptions', { subscriber_id: withDay.id, offer_id: weekly.id, start_at: start })
    ).billing_anchor_day;
    expect(weeklyAnchor).toBe(new Date(startTime).getUTCDay() || 7);
    await w.patch(`subscribers/${String(withDay.id)}`, { billing_day: null });
    expect(await anchorOf(withDay.id)).toBe(15);
  });
});
