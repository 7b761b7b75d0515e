// Issue 13, defects 2 and 3: a canceled subscription's last charges are invoiced, and a
// back-dated cancellation credits every billed cycle after the end.
import { describe, expect, it } from 'vitest';
import { startEdge, type Json } from '../support/edge-app.ts';
import { GB, day, feb1, iso, jan1, ownerWorld, usageWorld } from '../support/billing.ts';

type Line = { kind: string; amount: number; tax_amount: number; description: string };
const linesOf = (invoices: Json[]) => invoices.flatMap((i) => (i.lines as Line[]).map((l) => [l.kind, l.amount]));

describe('cancellation and billing', () => {
  it('invoices a next_cycle plan change and the upgrade fee of a subscription canceled mid-period', async () => {
    const w = await ownerWorld(
      {},
      { policy: { change_invoice_timing: 'next_cycle', upgrade_fees: [{ currency: 'USD', amount: 25 }] } },
    );
    await w.travel('2031-05-01T00:00:00Z');
    const small = await w.offer(100);
    const big = await w.offer(200);
    const { id, subscriberId } = await w.activeSubscription(small.id, '2031-05-01T00:00:00Z');
    await w.bill('2031-05-01T00:00:00Z');
    await w.travel('2031-05-16T12:00:00Z');
    expect(await w.post(`subscriptions/${id}/change-plan`, { offer_id: big.id }, 200)).toMatchObject({
      outcome: 'pending_charges',
      total: 75,
    });
    await w.travel('2031-05-20T10:00:00Z');
    // Ends at the end of May 20: May 21–31 of the new price (200) comes back as credit.
    await w.post(`subscriptions/${id}/cancel`, { reason: 'Moving away' }, 200);

    await w.travel('2031-05-21T01:00:00Z');
    await w.bill('2031-05-21T01:00:00Z');
    await w.bill('2031-05-21T01:00:00Z');
    const invoices = await w.invoices(subscriberId);
    expect(linesOf(invoices)).toEqual([
      ['recurring', 100],
      ['proration_credit', -50],
      ['proration_charge', 100],
      ['change_fee', 25],
    ]);
    expect(invoices.map((i) => i.total)).toEqual([100, 75]);
    expect(await w.count('pending_charges WHERE invoice_line_id IS NULL')).toBe(0);
    expect(await w.subscription(id)).toMatchObject({ status: 'canceled', next_billing_at: null });
    // Nothing more, ever: June's run bills nothing.
    await w.travel('2031-06-01T01:00:00Z');
    expect(await w.bill('2031-06-01T01:00:00Z')).toMatchObject({ invoices_created: 0 });
    await w.checkBooks();
  });

  it('invoices the overage of the last period of a subscription canceled mid-period', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer({ included_gb: 10, overage_per_gb: [{ currency: 'USD', amount: 100 }] });
    const sub = await w.subscribe({ offerId: offer.id });
    await w.post('billing-runs', { as_of: iso(jan1) });
    edge.clock.now = jan1 + 9 * day;
    await w.report([w.record('big', sub, 13 * GB, jan1 + 9 * day)]);
    edge.clock.now = jan1 + 10 * day;
    await w.post(`subscriptions/${sub.id}/cancel`, { reason: 'Moving away' }, 200);
    // The run after the end rates January (3 GB over, whatever the included volume) and invoices it.
    edge.clock.now = jan1 + 12 * day;
    await w.post('billing-runs', { as_of: iso(edge.clock.now) });
    edge.clock.now = feb1 + 3_600_000;
    await w.post('billing-runs', { as_of: iso(feb1) });
    const invoices = (await w.get(`invoices?subscriber_id=${sub.subscriberId}&limit=50`)).data!.reverse();
    const overage = linesOf(invoices).filter(([kind]) => kind === 'overage');
    expect(overage).toEqual([['overage', 300]]);
    expect(await w.get(`subscriptions/${sub.id}`)).toMatchObject({ status: 'canceled', next_billing_at: null });
    await w.checkBooks();
  });

  it('credits every cycle billed after a back-dated end, per the refund policy', async () => {
    const w = await ownerWorld();
    const plan = await w.offer(31_000);
    const { id, subscriberId } = await w.activeSubscription(plan.id, '2031-01-01T00:00:00Z', { billing_anchor_day: 1 });
    for (const at of ['2031-01-01', '2031-02-01', '2031-03-01']) {
      await w.travel(`${at}T09:00:00Z`);
      await w.bill(`${at}T09:00:00Z`);
    }
    // January, February and March are billed (93,000); service ended at the end of January 20.
    expect((await w.invoices(subscriberId)).map((i) => i.total)).toEqual([31_000, 31_000, 31_000]);
    const canceled = await w.post(
      `subscriptions/${id}/cancel`,
      { reason: 'Left in January', at: '2031-01-20T12:00:00Z' },
      200,
    );
    expect(canceled).toMatchObject({ status: 'canceled', ends_at: '2031-01-21T00:00:00.000Z' });
    const [note] = (await w.get(`credit-notes?subscriber_id=${subscriberId}`)).data!;
    // Jan 21–31 (11/31 of 31,000 = 11,000), all of February and all of March.
    expect(note).toMatchObject({ total: 11_000 + 31_000 + 31_000 });
    expect(await w.balance(subscriberId)).toMatchObject({ outstanding: 20_000, credit: 0 });
    await w.checkBooks();
  });

  it('credits nothing back for a back-dated end under refund policy none', async () => {
    const w = await ownerWorld({}, { policy: { refund_policy: 'none' } });
    const plan = await w.offer(31_000);
    const { id, subscriberId } = await w.activeSubscription(plan.id, '2031-01-01T00:00:00Z', { billing_anchor_day: 1 });
    await w.bill('2031-01-01T09:00:00Z');
    await w.travel('2031-02-01T09:00:00Z');
    await w.bill('2031-02-01T09:00:00Z');
    await w.post(`subscriptions/${id}/cancel`, { reason: 'Left in January', at: '2031-01-20T12:00:00Z' }, 200);
    expect((await w.get(`credit-notes?subscriber_id=${subscriberId}`)).data).toEqual([]);
    expect(await w.balance(subscriberId)).toMatchObject({ outstanding: 62_000 });
    await w.checkBooks();
  });
});
