import { describe, expect, it } from 'vitest';
import type { Json } from '../support/edge-app.ts';
import { ownerWorld } from '../support/billing.ts';

describe('subscriptions', () => {
  it('creates pending subscriptions anchored in the tenant time zone, with add-ons, events and audit', async () => {
    const { edge, tenant, post, get, offer, subscriber } = await ownerWorld({ timezone: 'Pacific/Auckland' });
    const monthly = await offer(4999);
    const weekly = await offer(1500, { billing_cycle: 'weekly' });
    const annual = await offer(49_000, { billing_cycle: 'annual' });
    const staticIp = await post('addons', {
      code: 'STATIC-IP',
      name: 'Static IP',
      charge: 'recurring',
      prices: [{ currency: 'USD', amount: 500 }],
    });
    const owner = await subscriber();
    // 2031-01-20T12:00Z is already the 21st in Auckland (UTC+13 in summer).
    const sub = await post('subscriptions', {
      subscriber_id: owner.id,
      offer_id: monthly.id,
      start_at: '2031-01-20T12:00:00Z',
      username: 'ada@fiber',
      addons: [{ addon_id: staticIp.id, quantity: 2 }],
    });
    expect(sub).toMatchObject({
      subscriber_id: owner.id,
      offer_id: monthly.id,
      status: 'pending',
      username: 'ada@fiber',
      currency: 'USD',
      billing_cycle: 'monthly',
      billing_anchor_day: 21,
      billing_anchor_month: null,
      start_at: '2031-01-20T12:00:00.000Z',
      activated_at: null,
      next_billing_at: null,
      credit_basis: 0,
      scheduled_change: null,
      open_holds: [],
      addons: [{ addon_id: staticIp.id, quantity: 2, started_at: '2031-01-20T12:00:00.000Z', ended_at: null }],
    });
    expect(await get(`subscriptions/${String(sub.id)}`)).toEqual(sub);
    expect(
      (
        await post('subscriptions', {
          subscriber_id: owner.id,
          offer_id: weekly.id,
          start_at: '2031-01-20T12:00:00Z',
          billing_anchor_day: 1,
        })
      ).billing_anchor_day,
    ).toBe(1);
    expect(
      await post('subscriptions', {
        subscriber_id: owner.id,
        offer_id: annual.id,
        start_at: '2031-02-28T12:00:00Z',
        billing_anchor_day: 29,
      }),
    ).toMatchObject({ billing_cycle: 'annual', billing_anchor_day: 29, billing_anchor_month: 3 });

    const audit = (await get(`audit-events?resource_id=${String(sub.id)}`)).data!;
    expect(audit.map((e) => e.action)).toEqual(['subscription.created']);
    const events = await edge.tenantSql(
      tenant.slug,
      "SELECT count(*) AS n FROM domain_events WHERE type = 'subscription.created'",
    );
    expect(Number(events.rows[0]!.n)).toBe(3);
  });

  it('lists newest first, filtered by subscriber and status, with a cursor', async () => {
    const { edge, post, get, offer, subscriber } = await ownerWorld();
    const plan = await offer(1000);
    const [a, b] = [await subscriber(), await subscriber()];
    const ids: unknown[] = [];
    for (const owner of [a, a, b]) {
      edge.clock.now += 1;
      ids.push(
        (await post('subscriptions', { subscriber_id: owner.id, offer_id: plan.id, start_at: '2031-01-15T09:00:00Z' }))
          .id,
      );
    }
    await post(`subscriptions/${String(ids[0])}/activate`, {}, 200);
    expect((await get('subscriptions')).data!.map((s) => s.id)).toEqual([...ids].reverse());
    expect((await get(`subscriptions?subscriber_id=${String(a.id)}`)).data!.map((s) => s.id)).toEqual([ids[1], ids[0]]);
    expect((await get('subscriptions?status=active')).data!.map((s) => s.id)).toEqual([ids[0]]);
    const first = await get('subscriptions?limit=2');
    expect(first.data!.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    const second = await get(`subscriptions?limit=2&cursor=${String(first.next_cursor)}`);
    expect(second).toMatchObject({ data: [{ id: ids[0] }], next_cursor: null });
  });

  it('activates: billing starts at `at`, the setup fee and one-time add-ons wait for the first invoice', async () => {
    const { edge, tenant, post, get, offer, subscriber, bill, invoices } = await ownerWorld();
    const vat = await post('tax-rates', { name: 'VAT', rate: '10', mode: 'exclusive' });
    const plan = await offer(3100, { setup_fee: [{ currency: 'USD', amount: 2000 }], tax_rate_id: vat.id });
    const router = await post('addons', {
      code: 'ROUTER',
      name: 'Router',
      charge: 'one_time',
      prices: [{ currency: 'USD', amount: 700 }],
    });
    const owner = await subscriber();
    const sub = await post('subscriptions', {
      subscriber_id: owner.id,
      offer_id: plan.id,
      start_at: '2031-01-01T00:00:00Z',
      addons: [{ addon_id: router.id, quantity: 2 }],
    });
    const activated = await post(`subscriptions/${String(sub.id)}/activate`, { at: '2031-01-10T00:00:00Z' }, 200);
    expect(activated).toMatchObject({
      status: 'active',
      activated_at: '2031-01-10T00:00:00.000Z',
      next_billing_at: '2031-01-10T00:00:00.000Z',
    });
    const pending = await edge.tenantSql(
      tenant.slug,
      'SELECT kind, quantity, amount, tax_amount, invoice_line_id FROM pending_charges ORDER BY kind',
    );
    expect(pending.rows.map((r) => [r.kind, r.quantity, r.amount, r.tax_amount, r.invoice_line_id])).toEqual([
      ['one_time', 2, 1400, 0, null],
      ['setup_fee', 1, 2000, 200, null],
    ]);
    const events = await edge.tenantSql(
      tenant.slug,
      "SELECT payload FROM domain_events WHERE type = 'subscription.activated'",
    );
    expect(JSON.parse(String(events.rows[0]!.payload))).toMatchObject({
      activated_at: '2031-01-10T00:00:00.000Z',
      offer_id: plan.id,
    });
    expect((await get(`audit-events?resource_id=${String(sub.id)}`)).data!.map((e) => e.action)).toEqual([
      'subscription.activated',
      'subscription.created',
    ]);

    // The billing run bills the stub Jan 10 – Feb 1 (22/31 of 3100 = 2200) and the waiting charges.
    await bill('2031-01-15T09:00:00Z');
    const [invoice] = await invoices(String(owner.id));
    const lines = (invoice!.lines as Json[]).map((l) => [l.kind, l.amount]);
    expect(lines).toEqual(
      expect.arrayContaining([
        ['recurring', 2200],
        ['setup_fee', 2000],
        ['one_time', 1400],
      ]),
    );
    expect(await get(`subscriptions/${String(sub.id)}`)).toMatchObject({
      next_billing_at: '2031-02-01T00:00:00.000Z',
      credit_basis: 3100,
    });
  });

  it('suspends with an admin hold and resumes lifting every hold', async () => {
    const { edge, tenant, post, get, offer, activeSubscription } = await ownerWorld();
    const { id } = await activeSubscription((await offer(1000)).id, '2031-01-15T09:00:00Z');
    edge.clock.now += 60_000;
    const suspended = await post(`subscriptions/${id}/suspend`, { reason: 'Customer asked for a pause' }, 200);
    expect(suspended).toMatchObject({
      status: 'suspended',
      suspended_at: '2031-01-15T09:01:00.000Z',
      open_holds: [{ reason: 'admin', action: 'suspend', note: 'Customer asked for a pause' }],
    });
    // A dunning hold beside the admin one: an admin resume lifts both.
    await edge.tenantSql(
      tenant.slug,
      'INSERT INTO service_holds (id, subscription_id, reason, action, placed_at) VALUES ' +
        "('0192f0c0-0000-7000-8000-000000000001', ?, 'overdue', 'throttle', 0)",
      [id],
    );
    edge.clock.now += 60_000;
    const resumed = await post(`subscriptions/${id}/resume`, {}, 200);
    expect(resumed).toMatchObject({ status: 'active', suspended_at: null, open_holds: [] });
    const events = await edge.tenantSql(
      tenant.slug,
      "SELECT type, payload FROM domain_events WHERE subject_id = ? AND type IN ('subscription.suspended', " +
        "'subscription.restored') ORDER BY seq",
      [id],
    );
    expect(events.rows.map((r) => [r.type, (JSON.parse(String(r.payload)) as Json).reason]).sort()).toEqual([
      ['subscription.restored', 'admin'],
      ['subscription.restored', 'overdue'],
      ['subscription.suspended', 'admin'],
    ]);
    expect((await get(`audit-events?resource_id=${id}`)).data!.map((e) => e.action).slice(0, 2)).toEqual([
      'subscription.resumed',
      'subscription.suspended',
    ]);
  });

  it(
    'cancels a weekly plan on Thursday: 4/7 used, ' + '3/7 credited (100,000 → 42,857), canceled by the billing run',
    async () => {
      const { edge, tenant, travel, post, get, offer, activeSubscription, bill, invoices, balance } =
        await ownerWorld();
      const weekly = await offer(100_000, { billing_cycle: 'weekly' });
      await travel('2031-01-20T00:00:00Z'); // a Monday
      const { id, subscriberId } = await activeSubscription(weekly.id, '2031-01-20T00:00:00Z');
      await bill('2031-01-20T00:00:00Z');
      expect((await invoices(subscriberId)).map((i) => i.total)).toEqual([100_000]);
      expect(await get(`subscriptions/${id}`)).toMatchObject({
        billing_anchor_day: 1,
        next_billing_at: '2031-01-27T00:00:00.000Z',
        credit_basis: 100_000,
      });

      await travel('2031-01-23T15:00:00Z'); // Thursday afternoon
      const canceled = await post(`subscriptions/${id}/cancel`, { reason: 'Moving away' }, 200);
      expect(canceled).toMatchObject({
        status: 'active',
        canceled_at: '2031-01-23T15:00:00.000Z',
        ends_at: '2031-01-24T00:00:00.000Z',
        next_billing_at: '2031-01-24T00:00:00.000Z',
        cancel_reason: 'Moving away',
      });
      const notes = (await get(`credit-notes?subscriber_id=${subscriberId}`)).data!;
      // The credit went straight onto the open week's invoice: 4/7 of the week is left to pay.
      expect(notes.map((n) => [n.total, n.status])).toEqual([[42_857, 'applied']]);
      expect(await balance(subscriberId)).toMatchObject({ outstanding: 57_143, credit: 0 });

      // Nothing more is billed; the run after ends_at finishes the cancellation once.
      await travel('2031-01-27T00:00:00Z');
      await bill('2031-01-27T00:00:00Z');
      await bill('2031-01-27T00:00:00Z');
      expect(await get(`subscriptions/${id}`)).toMatchObject({ status: 'canceled' });
      expect((await invoices(subscriberId)).length).toBe(1);
      const events = await edge.tenantSql(
        tenant.slug,
        "SELECT type FROM domain_events WHERE subject_id = ? AND type LIKE 'subscription.cancel%' ORDER BY seq",
        [id],
      );
      expect(events.rows.map((r) => r.type)).toEqual(['subscription.cancel_scheduled', 'subscription.canceled']);
    },
  );

  it('bills the last stub up to ends_at before the cancellation is finished', async () => {
    const { travel, post, get, offer, activeSubscription, bill, invoices } = await ownerWorld();
    const plan = await offer(2800, { billing_cycle: 'monthly' });
    const { id, subscriberId } = await activeSubscription(plan.id, '2031-01-15T00:00:00Z', { billing_anchor_day: 1 });
    await bill('2031-01-15T09:00:00Z');
    expect(
      await post(`subscriptions/${id}/cancel`, { reason: 'Moving away', at: '2031-02-05T10:00:00Z' }, 200),
    ).toMatchObject({
      status: 'active',
      ends_at: '2031-02-06T00:00:00.000Z',
      next_billing_at: '2031-02-01T00:00:00.000Z',
    });
    await travel('2031-02-07T00:00:00Z');
    await bill('2031-02-07T00:00:00Z');
    await bill('2031-02-07T00:00:00Z');
    // Billed to its end and closed: nothing is left to bill.
    expect(await get(`subscriptions/${id}`)).toMatchObject({ status: 'canceled', next_billing_at: null });
    // Jan 15 – Feb 1 (17/31 of 2800) and Feb 1 – Feb 6 (5/28 of 2800).
    expect((await invoices(subscriberId)).map((i) => i.total)).toEqual([1535, 500]);
  });

  it(
    'cancels at once when the end has passed, ' + 'and a pending subscription at once, freeing the service line',
    async () => {
      const { edge, post, get, offer, subscriber, activeSubscription, bill, invoices } = await ownerWorld();
      const plan = await offer(1000);
      const { id } = await activeSubscription(plan.id, '2031-01-10T00:00:00Z', { username: 'line-1' });
      await bill('2031-01-10T00:00:00Z');
      expect(
        await post(`subscriptions/${id}/cancel`, { reason: 'Back-dated', at: '2031-01-12T10:00:00Z' }, 200),
      ).toMatchObject({ status: 'canceled', ends_at: '2031-01-13T00:00:00.000Z' });
      // Never billed: the days used before ends_at are billed by the run, which then finishes it.
      const late = await activeSubscription(plan.id, '2031-01-10T00:00:00Z');
      expect(
        await post(`subscriptions/${late.id}/cancel`, { reason: 'Back-dated', at: '2031-01-12T10:00:00Z' }, 200),
      ).toMatchObject({ status: 'active', next_billing_at: '2031-01-10T00:00:00.000Z' });
      await bill('2031-01-15T09:00:00Z');
      await bill('2031-01-15T09:00:00Z');
      expect(await get(`subscriptions/${late.id}`)).toMatchObject({ status: 'canceled' });
      expect((await invoices(late.subscriberId)).map((i) => i.total)).toEqual([97]); // 3/31 of 1000
      const owner = await subscriber();
      const pending = await post('subscriptions', {
        subscriber_id: owner.id,
        offer_id: plan.id,
        start_at: '2031-02-01T00:00:00Z',
        username: 'line-1',
      });
      edge.clock.now += 1000;
      expect(
        await post(`subscriptions/${String(pending.id)}/cancel`, { reason: 'Changed their mind' }, 200),
      ).toMatchObject({ status: 'canceled', ends_at: new Date(edge.clock.now).toISOString() });
    },
  );

  it('edits the service line, price override and discount', async () => {
    const { post, patch, get, offer, subscriber } = await ownerWorld();
    const plan = await offer(1000);
    const discount = await post('discounts', { code: 'WELCOME', name: 'Welcome', kind: 'percent', percent: '10' });
    const owner = await subscriber();
    const sub = await post('subscriptions', {
      subscriber_id: owner.id,
      offer_id: plan.id,
      start_at: '2031-01-15T09:00:00Z',
    });
    const path = `subscriptions/${String(sub.id)}`;
    expect(await patch(path, { username: 'ada@fiber', price_override: 800, discount_id: discount.id })).toMatchObject({
      username: 'ada@fiber',
      price_override: 800,
      discount_id: discount.id,
    });
    expect(await patch(path, { price_override: null, discount_id: null })).toMatchObject({
      username: 'ada@fiber',
      price_override: null,
      discount_id: null,
    });
    expect((await get(`audit-events?resource_id=${String(sub.id)}`)).data!.map((e) => e.changes)).toEqual([
      { price_override: null, discount_id: null },
      { username: 'ada@fiber', price_override: 800, discount_id: discount.id },
      expect.anything(),
    ]);
  });
});
