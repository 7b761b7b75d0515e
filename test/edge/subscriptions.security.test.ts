import { describe, expect, it } from 'vitest';
import { expectProblem } from '../support/edge-app.ts';
import { ownerWorld } from '../support/billing.ts';

describe('subscription permissions and isolation', () => {
  it('lets staff with subscribers:read read, and only billing:write change anything', async () => {
    const s = await ownerWorld();
    const plan = await s.offer(1000);
    const other = await s.offer(2000);
    const owner = await s.subscriber();
    const sub = await s.post('subscriptions', {
      subscriber_id: owner.id,
      offer_id: plan.id,
      start_at: '2031-01-15T09:00:00Z',
    });
    const path = `/api/v1/subscriptions/${String(sub.id)}`;
    const writes = [
      [
        'POST',
        '/api/v1/subscriptions',
        { subscriber_id: owner.id, offer_id: plan.id, start_at: '2031-01-15T09:00:00Z' },
      ],
      ['PATCH', path, { price_override: 1 }],
      ['POST', `${path}/activate`, {}],
      ['POST', `${path}/suspend`, { reason: 'x' }],
      ['POST', `${path}/resume`, {}],
      ['POST', `${path}/cancel`, { reason: 'x' }],
      ['POST', `${path}/change-plan`, { offer_id: other.id }],
      ['POST', `${path}/change-plan/preview`, { offer_id: other.id }],
    ] as const;
    for (const role of ['read_only', 'support', 'field_tech'] as const) {
      const staff = await s.edge.createStaff(s.tenant, role, s.auth.token);
      s.edge.ok(await s.edge.call('GET', path, { token: staff.token }), 200);
      s.edge.ok(await s.edge.call('GET', '/api/v1/subscriptions', { token: staff.token }), 200);
      for (const [method, url, body] of writes)
        expectProblem(await s.edge.call(method, url, { token: staff.token, body }), 403, 'forbidden');
    }
    const billing = await s.edge.createStaff(s.tenant, 'billing', s.auth.token);
    s.edge.ok(
      await s.edge.call('POST', `${path}/change-plan/preview`, { token: billing.token, body: { offer_id: other.id } }),
      200,
    );
    s.edge.ok(await s.edge.call('POST', `${path}/activate`, { token: billing.token, body: {} }), 200);
    for (const [method, url] of writes)
      expectProblem(await s.edge.call(method, url, { body: {} }), 401, 'unauthenticated');
    expectProblem(await s.edge.call('GET', path), 401, 'unauthenticated');
    expect(await s.count("subscriptions WHERE status = 'active'")).toBe(1);
  });

  it(
    'keeps tenants apart: ' + 'another tenant sees nothing and cannot use this tenant’s subscribers or offers',
    async () => {
      const s = await ownerWorld();
      const plan = await s.offer(1000);
      const owner = await s.subscriber();
      const sub = await s.post('subscriptions', {
        subscriber_id: owner.id,
        offer_id: plan.id,
        start_at: '2031-01-15T09:00:00Z',
      });
      const intruder = await s.edge.createTenant();
      const token = intruder.owner.token;
      expectProblem(await s.edge.call('GET', `/api/v1/subscriptions/${String(sub.id)}`, { token }), 404, 'not_found');
      expectProblem(
        await s.edge.call('POST', `/api/v1/subscriptions/${String(sub.id)}/cancel`, { token, body: { reason: 'x' } }),
        404,
        'not_found',
      );
      expect(s.edge.ok(await s.edge.call('GET', '/api/v1/subscriptions', { token }), 200).body.data).toEqual([]);
      expectProblem(
        await s.edge.call('POST', '/api/v1/subscriptions', {
          token,
          body: { subscriber_id: owner.id, offer_id: plan.id, start_at: '2031-01-15T09:00:00Z' },
        }),
        404,
        'not_found',
      );
      expect((await s.get(`subscriptions/${String(sub.id)}`)).status).toBe('pending');
    },
  );
});

describe('subscription writes are atomic and race-free', () => {
  it('leaves no invoice, number, offer switch or event behind when a plan change fails mid-way', async () => {
    const s = await ownerWorld();
    await s.travel('2031-05-01T00:00:00Z');
    const small = await s.offer(100);
    const big = await s.offer(200);
    const { id, subscriberId } = await s.activeSubscription(small.id, '2031-05-01T00:00:00Z');
    await s.bill('2031-05-01T00:00:00Z');
    await s.travel('2031-05-16T12:00:00Z');
    const before = await s.get(`subscriptions/${id}`);
    // Fails after the subscription, the invoice, its journal entry and events were written.
    await s.edge.tenantSql(
      s.tenant.slug,
      "CREATE TRIGGER fail_change BEFORE INSERT ON subscription_changes BEGIN SELECT RAISE(ABORT, 'forced failure'); " +
        'END',
    );
    expectProblem(
      await s.edge.call('POST', `/api/v1/subscriptions/${id}/change-plan`, {
        token: s.auth.token,
        body: { offer_id: big.id },
      }),
      500,
      'internal',
    );
    expect(await s.get(`subscriptions/${id}`)).toEqual(before);
    expect((await s.invoices(subscriberId)).length).toBe(1);
    expect(
      await s.count(
        "domain_events WHERE type IN ('subscription.plan_changed', 'invoice.issued') AND occurred_at >= " +
          String(Date.parse('2031-05-16T00:00:00Z')),
      ),
    ).toBe(0);
    await s.edge.tenantSql(s.tenant.slug, 'DROP TRIGGER fail_change');
    const applied = await s.post(`subscriptions/${id}/change-plan`, { offer_id: big.id }, 200);
    const invoice = await s.get(`invoices/${String((applied.change as { invoice_id: string }).invoice_id)}`);
    expect(invoice.number).toBe('INV-000002');
    expect((await s.get('audit-events/verify')).valid).toBe(true);
  });

  it('activates once and changes plan once under concurrent requests', async () => {
    const s = await ownerWorld();
    await s.travel('2031-05-01T00:00:00Z');
    const small = await s.offer(100);
    const big = await s.offer(200);
    const owner = await s.subscriber();
    const sub = await s.post('subscriptions', {
      subscriber_id: owner.id,
      offer_id: small.id,
      start_at: '2031-05-01T00:00:00Z',
    });
    const path = `/api/v1/subscriptions/${String(sub.id)}`;
    const activations = await Promise.all(
      Array.from({ length: 4 }, () => s.edge.call('POST', `${path}/activate`, { token: s.auth.token, body: {} })),
    );
    expect(activations.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    await s.bill('2031-05-01T00:00:00Z');
    await s.travel('2031-05-16T12:00:00Z');
    const changes = await Promise.all(
      Array.from({ length: 4 }, () =>
        s.edge.call('POST', `${path}/change-plan`, { token: s.auth.token, body: { offer_id: big.id } }),
      ),
    );
    expect(changes.map((r) => r.status).sort()).toEqual([200, 422, 422, 422]);
    expect(await s.count("invoices WHERE kind = 'plan_change'")).toBe(1);
    expect(await s.count("pending_charges WHERE kind = 'setup_fee'")).toBe(0);
  });
});
