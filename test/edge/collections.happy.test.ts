import { describe, expect, it } from 'vitest';
import { startTime, type TestEdge } from '../support/edge-app.ts';
import { brief, billingWorld, day, hour, startCollectionsEdge } from '../support/billing.ts';

/** A subscriber on a monthly postpaid plan, billed once at the start: one unpaid invoice of 100.00. */
async function overdueSubscriber(edge: TestEdge, subscriberOverrides = {}) {
  const w = await billingWorld(edge, {}, { role: 'owner' });
  const offer = await w.offer();
  const subscriber = await w.subscriber(subscriberOverrides);
  const subscription = await w.subscribe(subscriber.id, offer.id, startTime);
  await w.billAt(startTime);
  const [invoice] = await w.invoices(subscriber.id);
  // Due at local midnight; the runs happen at 09:00 on the day `d` days after it.
  const due = Date.parse(String(invoice!.due_at));
  const on = (d: number) => due + d * day + 9 * hour;
  return { w, subscriber, subscription, invoice: invoice!, due, on };
}

describe('collections: dunning', () => {
  it(
    'marks the invoice overdue and steps up the default ladder (7 notify, 14 throttle, 21 suspend, 30 reject) day ' +
      'by day, once each',
    async () => {
      const edge = await startCollectionsEdge();
      const { w, subscriber, subscription, invoice, on } = await overdueSubscriber(edge);
      // Before the due date nothing happens.
      expect((await w.collect(on(-1))).actions).toEqual([]);
      const byDay = new Map<number, ReturnType<typeof brief>>();
      for (let d = 0; d <= 32; d++) {
        const run = await w.collect(on(d));
        if (run.actions.length) byDay.set(d, brief(run.actions));
        // Re-running the same as_of is a no-op.
        expect((await w.collect(on(d))).actions, `rerun day ${d}`).toEqual([]);
      }
      expect([...byDay]).toEqual([
        [0, [['mark_overdue', 'overdue', null, 'inv']]],
        [7, [['notify', 'overdue', 7, 'subscriber']]],
        [14, [['throttle', 'overdue', 14, 'sub']]],
        [21, [['suspend', 'overdue', 21, 'sub']]],
        [30, [['reject', 'overdue', 30, 'sub']]],
      ]);
      expect((await w.get(`invoices/${String(invoice.id)}`)).status).toBe('overdue');

      const events = await w.events(
        'invoice.overdue',
        'subscriber.dunning_notice',
        'subscription.throttled',
        'subscription.suspended',
        'subscription.rejected',
      );
      expect(events.map((e) => [e.type, e.subject_id])).toEqual([
        ['invoice.overdue', invoice.id],
        ['subscriber.dunning_notice', subscriber.id],
        ['subscription.throttled', subscription.id],
        ['subscription.suspended', subscription.id],
        ['subscription.rejected', subscription.id],
      ]);
      expect(events[1]!.payload).toMatchObject({
        step: 7,
        overdue_days: 7,
        overdue_amount: 10_000,
        currency: 'USD',
        invoice_ids: [invoice.id],
      });
      // The throttle names the tenant's throttle profile for the network side.
      expect(String(events[2]!.payload.note)).toContain('throttle profile throttled');
      expect(await w.subscription(subscription.id)).toMatchObject({
        status: 'suspended',
        open_holds: [expect.objectContaining({ reason: 'overdue', action: 'reject' })],
      });

      const cases = await w.cases(`&subscriber_id=${String(subscriber.id)}`);
      expect(cases).toEqual([
        expect.objectContaining({
          kind: 'overdue',
          status: 'open',
          step: 30,
          action: 'reject',
          opened_at: new Date(on(7)).toISOString(),
        }),
      ]);
      // Runs are stored with their actions.
      const runs = (await w.get('collections/runs?limit=200')).data!;
      expect(runs.length).toBe(1 + 33 * 2);
      const suspendRun = runs.find((r) => (r.action_counts as Record<string, number>).suspend === 1)!;
      const stored = await w.get(`collections/runs/${String(suspendRun.id)}`);
      expect(stored).toMatchObject({
        as_of: new Date(on(21)).toISOString(),
        actions: [
          {
            subscriber_id: subscriber.id,
            subscription_id: subscription.id,
            action: 'suspend',
            reason: 'overdue',
            step: 21,
          },
        ],
      });
    },
  );

  it('executes only the highest step reached when the days jump (day 0 to day 25: suspend)', async () => {
    const edge = await startCollectionsEdge();
    const { w, subscription, on } = await overdueSubscriber(edge);
    expect(brief((await w.collect(on(0))).actions)).toEqual([['mark_overdue', 'overdue', null, 'inv']]);
    expect(brief((await w.collect(on(25))).actions)).toEqual([['suspend', 'overdue', 21, 'sub']]);
    const types = (await w.events('subscriber.dunning_notice', 'subscription.throttled', 'subscription.suspended')).map(
      (e) => e.type,
    );
    expect(types).toEqual(['subscription.suspended']);
    expect((await w.subscription(subscription.id)).status).toBe('suspended');
    // Steps only move up: days 26–29 do nothing, day 30 rejects.
    for (const d of [26, 27, 28, 29]) expect((await w.collect(on(d))).actions).toEqual([]);
    expect(brief((await w.collect(on(30))).actions)).toEqual([['reject', 'overdue', 30, 'sub']]);
  });

  it("counts the subscriber's grace days before the ladder", async () => {
    const edge = await startCollectionsEdge();
    const { w, on } = await overdueSubscriber(edge, { grace_days: 5 });
    await w.collect(on(0));
    expect((await w.collect(on(11))).actions).toEqual([]);
    expect(brief((await w.collect(on(12))).actions)).toEqual([['notify', 'overdue', 7, 'subscriber']]);
  });

  it(
    'restores a suspended subscription exactly once when the overdue balance is paid (second payment, re-run and ' +
      'concurrent runs record nothing more)',
    async () => {
      const edge = await startCollectionsEdge();
      const { w, subscriber, subscription, on } = await overdueSubscriber(edge);
      await w.collect(on(0));
      await w.collect(on(21));
      expect((await w.subscription(subscription.id)).status).toBe('suspended');

      // A partial payment leaves overdue balance: no restore.
      edge.clock.now = on(21) + hour;
      await w.pay(subscriber.id, 4_000);
      expect((await w.subscription(subscription.id)).status).toBe('suspended');
      expect(await w.events('subscription.restored')).toEqual([]);
      expect((await w.collect(on(22))).actions).toEqual([]);

      edge.clock.now = on(22) + hour;
      await w.pay(subscriber.id, 6_000);
      expect(await w.subscription(subscription.id)).toMatchObject({ status: 'active', open_holds: [] });
      await w.pay(subscriber.id, 1_000);
      expect((await w.collect(on(22) + 2 * hour)).actions).toEqual([]);
      const concurrent = await Promise.all(
        [0, 1, 2].map(() => w.post('collections/runs', { as_of: w.iso(on(22) + 2 * hour) })),
      );
      expect(concurrent.flatMap((r) => r.actions as unknown[])).toEqual([]);
      expect((await w.collect(on(40))).actions).toEqual([]);

      const restored = await w.events('subscription.restored');
      expect(restored.map((e) => [e.subject_id, e.payload.reason])).toEqual([[subscription.id, 'overdue']]);
      expect(await w.cases(`&subscriber_id=${String(subscriber.id)}`)).toEqual([
        expect.objectContaining({ kind: 'overdue', status: 'closed', close_reason: 'paid', step: 21 }),
      ]);
    },
  );

  it('uses the strictest ladder when the overdue invoice bills offers of different policy sets', async () => {
    const edge = await startCollectionsEdge();
    const w = await billingWorld(edge, {}, { role: 'owner' });
    const strict = await w.post('policy-sets', {
      name: 'Strict',
      dunning_steps: [
        { day_offset: 2, action: 'notify' },
        { day_offset: 3, action: 'suspend' },
      ],
    });
    const lenient = await w.offer();
    const harsh = await w.offer({ name: 'Fiber strict', policy_set_id: strict.id });
    const subscriber = await w.subscriber();
    const a = await w.subscribe(subscriber.id, lenient.id, startTime);
    const b = await w.subscribe(subscriber.id, harsh.id, startTime);
    await w.billAt(startTime);
    const invoices = await w.invoices(subscriber.id);
    expect(invoices).toHaveLength(1);
    const due = Date.parse(String(invoices[0]!.due_at));
    await w.collect(due + 9 * hour);
    expect(brief((await w.collect(due + 3 * day + 9 * hour)).actions)).toEqual([
      ['suspend', 'overdue', 3, 'sub'],
      ['suspend', 'overdue', 3, 'sub'],
    ]);
    for (const id of [a.id, b.id]) expect((await w.subscription(id)).status).toBe('suspended');
    // The chosen ladder ends at day 3: the lenient ladder's later steps never apply.
    expect((await w.collect(due + 10 * day + 9 * hour)).actions).toEqual([]);
  });

  it('does not hold an annual subscription paid in advance for another subscription’s overdue invoice', async () => {
    const edge = await startCollectionsEdge();
    const w = await billingWorld(edge, {}, { role: 'owner' });
    const annual = await w.offer({
      name: 'Fiber annual',
      billing_cycle: 'annual',
      prices: [{ currency: 'USD', amount: 100_000 }],
    });
    const monthly = await w.offer();
    const subscriber = await w.subscriber();
    const annualSub = await w.subscribe(subscriber.id, annual.id, startTime);
    await w.billAt(startTime);
    const [annualInvoice] = await w.invoices(subscriber.id);
    await w.pay(subscriber.id, Number(annualInvoice!.total));
    const monthlySub = await w.subscribe(subscriber.id, monthly.id, startTime + day);
    await w.billAt(startTime + day);
    const monthlyInvoice = (await w.invoices(subscriber.id)).find((i) => i.id !== annualInvoice!.id)!;
    expect(monthlyInvoice.status).toBe('issued');
    const due = Date.parse(String(monthlyInvoice.due_at));
    await w.collect(due + 9 * hour);
    const run = await w.collect(due + 21 * day + 9 * hour);
    expect(run.actions).toEqual([
      { subscriber_id: subscriber.id, subscription_id: monthlySub.id, action: 'suspend', reason: 'overdue', step: 21 },
    ]);
    expect((await w.subscription(monthlySub.id)).status).toBe('suspended');
    expect(await w.subscription(annualSub.id)).toMatchObject({ status: 'active', open_holds: [] });
  });
});

describe('collections: prepaid', () => {
  /** A prepaid subscriber with a minimum balance of 10.00 and nothing paid in; enforcement 09–17 local. */
  async function lowBalance(edge: TestEdge) {
    const w = await billingWorld(edge, { timezone: 'Europe/Berlin' }, { role: 'owner' });
    const patched = edge.ok(
      await edge.call('PATCH', '/api/v1/billing-settings', {
        token: w.token,
        body: { enforcement_start_hour: 9, enforcement_end_hour: 17 },
      }),
      200,
    ).body;
    expect(patched).toMatchObject({ enforcement_start_hour: 9, enforcement_end_hour: 17 });
    const offer = await w.offer({ billing_mode: 'prepaid' });
    const subscriber = await w.subscriber({ min_balance: 1_000 });
    const subscription = await w.subscribe(subscriber.id, offer.id, startTime);
    // 10:00 in Berlin (UTC+1 in winter) on the days after the start.
    const on = (d: number, localHour = 10) => Date.UTC(2031, 0, 16 + d, localHour - 1);
    return { w, subscriber, subscription, on };
  }

  it('warns below the minimum, suspends after the grace days, and a top-up restores once', async () => {
    const edge = await startCollectionsEdge();
    const { w, subscriber, subscription, on } = await lowBalance(edge);
    // Outside the enforcement window (20:00 local) nothing happens.
    expect((await w.collect(on(0, 20))).actions).toEqual([]);
    expect(await w.cases()).toEqual([]);
    expect(brief((await w.collect(on(0))).actions)).toEqual([['low_balance', 'prepaid', 0, 'subscriber']]);
    const [lowEvent] = await w.events('subscriber.low_balance');
    expect(lowEvent).toMatchObject({
      subject_id: subscriber.id,
      payload: { available: 0, min_balance: 1_000, currency: 'USD', suspend_after: new Date(on(3)).toISOString() },
    });
    // Warned during the grace (built-in policy: 3 days); a run before 09:00 on day 3 waits.
    for (const at of [on(1), on(2), on(3, 8)]) expect((await w.collect(at)).actions).toEqual([]);
    expect(brief((await w.collect(on(3))).actions)).toEqual([['suspend', 'prepaid', 1, 'sub']]);
    expect((await w.collect(on(3))).actions).toEqual([]);
    expect((await w.subscription(subscription.id)).status).toBe('suspended');

    // Top-up to the minimum: restore-if-settled lifts the prepaid hold at once, exactly once.
    edge.clock.now = on(3) + hour;
    await w.pay(subscriber.id, 1_000);
    expect(await w.subscription(subscription.id)).toMatchObject({ status: 'active', open_holds: [] });
    await w.pay(subscriber.id, 500);
    expect((await w.collect(on(4))).actions).toEqual([]);
    const restored = await w.events('subscription.restored');
    expect(restored.map((e) => [e.subject_id, e.payload.reason])).toEqual([[subscription.id, 'prepaid']]);
    expect(await w.cases()).toEqual([
      expect.objectContaining({ kind: 'prepaid', status: 'closed', close_reason: 'topped_up', step: 1 }),
    ]);
  });

  it('cancels the prepaid subscriptions after the deactivation days of suspension', async () => {
    const edge = await startCollectionsEdge();
    const { w, subscriber, subscription, on } = await lowBalance(edge);
    await w.collect(on(0));
    await w.collect(on(3));
    expect((await w.collect(on(32))).actions).toEqual([]);
    expect(brief((await w.collect(on(33))).actions)).toEqual([['cancel', 'prepaid', 2, 'sub']]);
    // Service ends at once; the days used since the last billing are billed by the next run, which closes it.
    expect(await w.subscription(subscription.id)).toMatchObject({
      status: 'suspended',
      ends_at: new Date(on(33)).toISOString(),
    });
    expect((await w.events('subscription.canceled')).map((e) => e.subject_id)).toEqual([subscription.id]);
    await w.bill(on(33));
    expect(await w.subscription(subscription.id)).toMatchObject({ status: 'canceled', next_billing_at: null });
    const midnight = (day: number) => new Date(Date.UTC(2031, 0, day, 23)).toISOString();
    expect((await w.invoices(subscriber.id)).map((i) => [i.period_start, i.period_end])).toEqual([
      [midnight(14), midnight(45)],
      [midnight(45), new Date(on(33)).toISOString()],
    ]);
    expect(await w.cases()).toEqual([
      expect.objectContaining({
        kind: 'prepaid',
        status: 'closed',
        close_reason: 'canceled',
        step: 2,
        action: 'cancel',
      }),
    ]);
    expect((await w.collect(on(40))).actions).toEqual([]);
  });

  it(
    'closes a prepaid case on the next run when the subscriber is back at the minimum, ' + 'lifting the hold once',
    async () => {
      const edge = await startCollectionsEdge();
      const { w, subscriber, subscription, on } = await lowBalance(edge);
      await w.collect(on(0));
      await w.collect(on(3));
      // No payment to trigger a restore: the minimum is lowered instead, and the next run (at any hour) restores.
      edge.ok(
        await edge.call('PATCH', `/api/v1/subscribers/${String(subscriber.id)}`, {
          token: w.token,
          body: { min_balance: 0 },
        }),
        200,
      );
      const run = await w.collect(on(4, 20));
      expect(brief(run.actions)).toEqual([['restore', 'prepaid', null, 'sub']]);
      expect((await w.subscription(subscription.id)).status).toBe('active');
      expect((await w.collect(on(5))).actions).toEqual([]);
      expect((await w.events('subscription.restored')).length).toBe(1);
    },
  );
});
