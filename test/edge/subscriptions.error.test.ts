import { describe, expect, it } from 'vitest';
import { expectProblem, type Json } from '../support/edge-app.ts';
import { ownerWorld } from '../support/billing.ts';

const fieldsOf = (problem: { errors?: { path: string }[] }) => (problem.errors ?? []).map((e) => e.path).sort();

describe('subscription input errors', () => {
  it('lists each bad field of a new subscription and writes nothing', async () => {
    const s = await ownerWorld();
    const plan = await s.offer(1000);
    const owner = await s.subscriber();
    const valid = { subscriber_id: owner.id, offer_id: plan.id, start_at: '2031-01-15T09:00:00Z' };
    const bad: [Json, string[]][] = [
      [{ ...valid, subscriber_id: 'sub-1' }, ['subscriber_id']],
      [{ offer_id: plan.id, start_at: valid.start_at }, ['subscriber_id']],
      [{ ...valid, start_at: 'tomorrow' }, ['start_at']],
      [{ ...valid, billing_anchor_day: 0 }, ['billing_anchor_day']],
      [{ ...valid, billing_anchor_day: 32 }, ['billing_anchor_day']],
      [{ ...valid, currency: 'usd' }, ['currency']],
      [{ ...valid, username: 'two words' }, ['username']],
      [{ ...valid, price_override: -1 }, ['price_override']],
      [{ ...valid, price_override: 9.5 }, ['price_override']],
      [{ ...valid, addons: [{ addon_id: plan.id, quantity: 0 }] }, ['addons.0.quantity']],
      [{ ...valid, status: 'active' }, ['(body)']],
    ];
    for (const [body, fields] of bad)
      expect(
        fieldsOf(
          expectProblem(
            await s.edge.call('POST', '/api/v1/subscriptions', { token: s.auth.token, body }),
            400,
            'validation_failed',
          ),
        ),
        JSON.stringify(body),
      ).toEqual(fields);
    const weekly = await s.offer(1000, { billing_cycle: 'weekly' });
    expect(
      fieldsOf(
        expectProblem(
          await s.edge.call('POST', '/api/v1/subscriptions', {
            token: s.auth.token,
            body: { ...valid, offer_id: weekly.id, billing_anchor_day: 8 },
          }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['billing_anchor_day']);
    expect(await s.count('subscriptions')).toBe(0);
  });

  it('refuses archived or unknown catalog items and offers without a price in the currency (422)', async () => {
    const s = await ownerWorld();
    const plan = await s.offer(1000);
    const archived = await s.offer(1000);
    const addon = await s.post('addons', {
      code: 'OLD-BOX',
      name: 'Old box',
      charge: 'recurring',
      prices: [{ currency: 'USD', amount: 100 }],
    });
    const discount = await s.post('discounts', { code: 'GONE', name: 'Gone', kind: 'percent', percent: '5' });
    for (const path of [
      `offers/${String(archived.id)}`,
      `addons/${String(addon.id)}`,
      `discounts/${String(discount.id)}`,
    ])
      expect((await s.edge.call('DELETE', `/api/v1/${path}`, { token: s.auth.token })).status).toBe(204);
    const owner = await s.subscriber();
    const valid = { subscriber_id: owner.id, offer_id: plan.id, start_at: '2031-01-15T09:00:00Z' };
    const create = (body: Json) => s.edge.call('POST', '/api/v1/subscriptions', { token: s.auth.token, body });
    expect(expectProblem(await create({ ...valid, offer_id: archived.id }), 422, 'unprocessable').errors).toEqual([
      { path: 'offer_id', message: 'is archived' },
    ]);
    expect(
      expectProblem(await create({ ...valid, offer_id: '0192f0c0-0000-7000-8000-000000000000' }), 422, 'unprocessable')
        .errors,
    ).toEqual([{ path: 'offer_id', message: 'does not exist' }]);
    expect(
      fieldsOf(
        expectProblem(
          await create({ ...valid, addons: [{ addon_id: addon.id, quantity: 1 }], discount_id: discount.id }),
          422,
          'unprocessable',
        ),
      ),
    ).toEqual(['addons.0.addon_id', 'discount_id']);
    expect(fieldsOf(expectProblem(await create({ ...valid, currency: 'EUR' }), 422, 'unprocessable'))).toEqual([
      'currency',
    ]);
    expectProblem(await create({ ...valid, subscriber_id: '0192f0c0-0000-7000-8000-000000000000' }), 404, 'not_found');
    expect(await s.count('subscriptions')).toBe(0);
  });

  it('keeps one live subscription per service line (409)', async () => {
    const s = await ownerWorld();
    const plan = await s.offer(1000);
    const owner = await s.subscriber();
    const body = {
      subscriber_id: owner.id,
      offer_id: plan.id,
      start_at: '2031-01-15T09:00:00Z',
      username: 'ada@fiber',
    };
    const first = await s.post('subscriptions', body);
    expect(
      expectProblem(await s.edge.call('POST', '/api/v1/subscriptions', { token: s.auth.token, body }), 409, 'conflict')
        .errors,
    ).toEqual([{ path: 'username', message: 'already used by a live subscription' }]);
    const other = await s.post('subscriptions', { ...body, username: 'grace@fiber' });
    expectProblem(
      await s.edge.call('PATCH', `/api/v1/subscriptions/${String(other.id)}`, {
        token: s.auth.token,
        body: { username: 'ada@fiber' },
      }),
      409,
      'conflict',
    );
    expect(
      fieldsOf(
        expectProblem(
          await s.edge.call('PATCH', `/api/v1/subscriptions/${String(first.id)}`, {
            token: s.auth.token,
            body: { offer_id: plan.id },
          }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['(body)']);
  });
});

describe('subscription state machine', () => {
  it('answers illegal transitions with 409 problem+json and changes nothing', async () => {
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
    const call = (action: string, body: Json = {}) =>
      s.edge.call('POST', `${path}/${action}`, { token: s.auth.token, body });
    expectProblem(await call('suspend', { reason: 'x' }), 409, 'invalid_state');
    expectProblem(await call('resume'), 409, 'invalid_state');
    await s.post(`subscriptions/${String(sub.id)}/activate`, {}, 200);
    expectProblem(await call('activate'), 409, 'invalid_state');
    expectProblem(await call('resume'), 409, 'invalid_state');
    await s.post(`subscriptions/${String(sub.id)}/suspend`, { reason: 'x' }, 200);
    expectProblem(await call('suspend', { reason: 'again' }), 409, 'invalid_state');
    expectProblem(await call('activate'), 409, 'invalid_state');
    await s.post(`subscriptions/${String(sub.id)}/cancel`, { reason: 'leaving', at: '2031-01-14T00:00:00Z' }, 200);
    const before = await s.get(`subscriptions/${String(sub.id)}`);
    expect(before.status).toBe('canceled');
    for (const [action, body] of [
      ['activate', {}],
      ['suspend', { reason: 'x' }],
      ['resume', {}],
      ['cancel', { reason: 'again' }],
      ['change-plan', { offer_id: other.id }],
      ['change-plan/preview', { offer_id: other.id }],
    ] as const) {
      expectProblem(await call(action, body), 409, 'invalid_state');
    }
    expectProblem(
      await s.edge.call('PATCH', path, { token: s.auth.token, body: { price_override: 5 } }),
      409,
      'invalid_state',
    );
    expect(await s.get(`subscriptions/${String(sub.id)}`)).toEqual(before);
  });

  it('refuses a cancellation already under way, bad action times and unknown subscriptions', async () => {
    const s = await ownerWorld();
    const plan = await s.offer(1000);
    const { id } = await s.activeSubscription(plan.id, '2031-01-15T09:00:00Z');
    const call = (action: string, body: Json) =>
      s.edge.call('POST', `/api/v1/subscriptions/${id}/${action}`, { token: s.auth.token, body });
    expect(
      fieldsOf(
        expectProblem(await call('suspend', { reason: 'x', at: '2031-01-16T00:00:00Z' }), 400, 'validation_failed'),
      ),
    ).toEqual(['at']);
    expect(fieldsOf(expectProblem(await call('suspend', { reason: '' }), 400, 'validation_failed'))).toEqual([
      'reason',
    ]);
    expect(
      fieldsOf(
        expectProblem(await call('cancel', { reason: 'x', at: '2033-01-16T00:00:00Z' }), 400, 'validation_failed'),
      ),
    ).toEqual(['at']);
    await s.post(`subscriptions/${id}/cancel`, { reason: 'moving', at: '2031-02-10T00:00:00Z' }, 200);
    expectProblem(await call('cancel', { reason: 'again' }), 409, 'invalid_state');
    const owner = await s.subscriber();
    const pending = await s.post('subscriptions', {
      subscriber_id: owner.id,
      offer_id: plan.id,
      start_at: '2031-01-15T09:00:00Z',
    });
    expect(
      fieldsOf(
        expectProblem(
          await s.edge.call('POST', `/api/v1/subscriptions/${String(pending.id)}/activate`, {
            token: s.auth.token,
            body: { at: '2032-03-01T00:00:00Z' },
          }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['at']);
    expectProblem(
      await s.edge.call('GET', '/api/v1/subscriptions/0192f0c0-0000-7000-8000-000000000000', { token: s.auth.token }),
      404,
      'not_found',
    );
    expectProblem(
      await s.edge.call('POST', '/api/v1/subscriptions/0192f0c0-0000-7000-8000-000000000000/activate', {
        token: s.auth.token,
        body: {},
      }),
      404,
      'not_found',
    );
    expectProblem(
      await s.edge.call('GET', '/api/v1/subscriptions/not-a-uuid', { token: s.auth.token }),
      400,
      'validation_failed',
    );
  });
});

describe('plan change errors', () => {
  it('refuses bad input (400) and unusable changes (422), writing nothing', async () => {
    const s = await ownerWorld();
    await s.travel('2031-05-01T00:00:00Z');
    const plan = await s.offer(100);
    const bigger = await s.offer(200);
    const archived = await s.offer(300);
    const euroOnly = await s.offer(100, { prices: [{ currency: 'EUR', amount: 100 }] });
    expect((await s.edge.call('DELETE', `/api/v1/offers/${String(archived.id)}`, { token: s.auth.token })).status).toBe(
      204,
    );
    const { id } = await s.activeSubscription(plan.id, '2031-05-10T00:00:00Z');
    await s.bill('2031-05-10T00:00:00Z');
    await s.travel('2031-05-16T00:00:00Z');
    const before = await s.get(`subscriptions/${id}`);
    const invoicesBefore = await s.count('invoices');
    for (const path of ['change-plan', 'change-plan/preview']) {
      const call = (body: Json) =>
        s.edge.call('POST', `/api/v1/subscriptions/${id}/${path}`, { token: s.auth.token, body });
      expect(fieldsOf(expectProblem(await call({ offer_id: 'plan-2' }), 400, 'validation_failed'))).toEqual([
        'offer_id',
      ]);
      expect(
        fieldsOf(expectProblem(await call({ offer_id: bigger.id, effective_at: 'soon' }), 400, 'validation_failed')),
      ).toEqual(['effective_at']);
      expect(fieldsOf(expectProblem(await call({ offer_id: bigger.id, extra: 1 }), 400, 'validation_failed'))).toEqual([
        '(body)',
      ]);
      expect(expectProblem(await call({ offer_id: plan.id }), 422, 'unprocessable').errors).toEqual([
        { path: 'offer_id', message: 'is the subscription’s current offer' },
      ]);
      expect(expectProblem(await call({ offer_id: archived.id }), 422, 'unprocessable').errors).toEqual([
        { path: 'offer_id', message: 'is archived' },
      ]);
      expect(expectProblem(await call({ offer_id: euroOnly.id }), 422, 'unprocessable').errors).toEqual([
        { path: 'offer_id', message: 'has no price in USD' },
      ]);
      // Billed from the activation on May 10: earlier instants are not in the billed cycle.
      expect(
        fieldsOf(
          expectProblem(
            await call({ offer_id: bigger.id, effective_at: '2031-05-09T23:59:59Z' }),
            422,
            'unprocessable',
          ),
        ),
      ).toEqual(['effective_at']);
    }
    expect(await s.get(`subscriptions/${id}`)).toEqual(before);
    expect(await s.count('subscription_changes')).toBe(0);
    expect(await s.count('invoices')).toBe(invoicesBefore);
  });
});
