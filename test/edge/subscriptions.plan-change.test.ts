import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../support/edge-app.ts';
import { ownerWorld, type BillingWorld, type WorldOptions } from '../support/billing.ts';

/** Two monthly offers and a subscription on the first, billed for May 2031 (UTC tenant). */
async function billedForMay(options: WorldOptions = {}, prices: [number, number] = [100, 200]) {
  const setup = await ownerWorld({}, options);
  await setup.travel('2031-05-01T00:00:00Z');
  const small = await setup.offer(prices[0]);
  const big = await setup.offer(prices[1]);
  const live = await setup.activeSubscription(small.id, '2031-05-01T00:00:00Z');
  await setup.bill('2031-05-01T00:00:00Z');
  return { ...setup, small, big, id: live.id, subscriberId: live.subscriberId };
}

const change = (s: BillingWorld, id: string, body: Json) => s.post(`subscriptions/${id}/change-plan`, body, 200);
const preview = (s: BillingWorld, id: string, body: Json) =>
  s.post(`subscriptions/${id}/change-plan/preview`, body, 200);
const planned = (body: Json) => {
  const { change: _change, subscription: _subscription, ...plan } = body;
  return plan;
};
const money = async (s: BillingWorld, subscriberId: string) => {
  const balance = await s.balance(subscriberId);
  return Number(balance.outstanding) - Number(balance.credit);
};

describe('plan change', () => {
  it('100 → 200 half-way through May: credit 50, charge 100, net 50, invoiced exactly as previewed', async () => {
    const s = await billedForMay();
    await s.travel('2031-05-16T12:00:00Z');
    const body = { offer_id: s.big.id, effective_at: '2031-05-16T12:00:00Z' };
    const shown = await preview(s, s.id, body);
    expect(shown).toMatchObject({
      currency: 'USD',
      scheduled: false,
      credit: 50,
      charge: 100,
      net: 50,
      fee: 0,
      total: 50,
      outcome: 'invoice',
    });
    expect((shown.lines as Json[]).map((l) => [l.kind, l.amount, l.period_start, l.period_end])).toEqual([
      ['proration_credit', -50, '2031-05-16T12:00:00.000Z', '2031-06-01T00:00:00.000Z'],
      ['proration_charge', 100, '2031-05-16T12:00:00.000Z', '2031-06-01T00:00:00.000Z'],
    ]);
    // Previewing writes nothing.
    expect(await s.count('subscription_changes')).toBe(0);
    expect(await preview(s, s.id, { offer_id: s.big.id })).toEqual(shown);

    const applied = await change(s, s.id, body);
    expect(planned(applied)).toEqual(shown);
    expect(applied.change).toMatchObject({
      status: 'applied',
      from_offer_id: s.small.id,
      to_offer_id: s.big.id,
      credit: 50,
      charge: 100,
      net: 50,
      credit_note_id: null,
    });
    expect(applied.subscription).toMatchObject({
      offer_id: s.big.id,
      credit_basis: 200,
      next_billing_at: '2031-06-01T00:00:00.000Z',
    });
    const invoice = (await s.invoices(s.subscriberId)).find((i) => i.kind === 'plan_change')!;
    expect(invoice).toMatchObject({
      id: (applied.change as Json).invoice_id,
      total: 50,
      due_at: '2031-05-31T00:00:00.000Z',
    });
    expect((invoice.lines as Json[]).map((l) => [l.kind, l.amount])).toEqual([
      ['proration_credit', -50],
      ['proration_charge', 100],
    ]);
    expect(await money(s, s.subscriberId)).toBe(150);
    const events = await s.edge.tenantSql(
      s.tenant.slug,
      "SELECT payload FROM domain_events WHERE type = 'subscription.plan_changed'",
    );
    expect(JSON.parse(String(events.rows[0]!.payload))).toMatchObject({
      credit: 50,
      charge: 100,
      net: 50,
      outcome: 'invoice',
      invoice_id: invoice.id,
    });
    expect((await s.get(`audit-events?resource_id=${s.id}`)).data![0]).toMatchObject({
      action: 'subscription.plan_changed',
    });

    // June is billed at the new price.
    await s.travel('2031-06-01T00:00:00Z');
    await s.bill('2031-06-01T00:00:00Z');
    expect((await s.invoices(s.subscriberId)).at(-1)).toMatchObject({ kind: 'recurring', total: 200 });
  });

  it(
    'upgrade then downgrade the same day with refund_policy credit: ' + 'the account owes exactly the original price',
    async () => {
      const s = await billedForMay({ policy: { refund_policy: 'credit' } });
      await s.travel('2031-05-16T12:00:00Z');
      expect(await change(s, s.id, { offer_id: s.big.id })).toMatchObject({ net: 50, outcome: 'invoice' });
      s.edge.clock.now += 60_000;
      const down = await preview(s, s.id, { offer_id: s.small.id });
      // credit_basis is what was paid (200 since the upgrade), so the credit mirrors the charge.
      expect(down).toMatchObject({ credit: 100, charge: 50, net: -50, total: -50, outcome: 'credit_note' });
      const applied = await change(s, s.id, { offer_id: s.small.id });
      expect(planned(applied)).toEqual(down);
      expect(applied.change).toMatchObject({ net: -50, invoice_id: null, credit_note_id: expect.any(String) });
      expect(applied.subscription).toMatchObject({ offer_id: s.small.id, credit_basis: 100 });
      expect(await money(s, s.subscriberId)).toBe(100);
    },
  );

  it(
    'upgrade then downgrade the same day with refund_policy none: nothing is given back, and going up again costs ' +
      'nothing',
    async () => {
      const s = await billedForMay({ policy: { refund_policy: 'none' } });
      await s.travel('2031-05-16T12:00:00Z');
      await change(s, s.id, { offer_id: s.big.id });
      const down = await change(s, s.id, { offer_id: s.small.id });
      expect(down).toMatchObject({ credit: 100, charge: 50, net: 0, total: 0, outcome: 'clamped', lines: [] });
      expect(down.change).toMatchObject({ status: 'applied', net: 0, invoice_id: null, credit_note_id: null });
      // They paid for the dearer plan this cycle: that stays the basis.
      expect(down.subscription).toMatchObject({ offer_id: s.small.id, credit_basis: 200 });
      const up = await change(s, s.id, { offer_id: s.big.id });
      expect(up).toMatchObject({ credit: 100, charge: 100, net: 0, total: 0, outcome: 'none' });
      expect(await money(s, s.subscriberId)).toBe(150);
      expect(await s.count("subscription_changes WHERE status = 'applied'")).toBe(3);
      expect((await s.invoices(s.subscriberId)).length).toBe(2);
    },
  );

  it('changes the plan of a suspended subscription, which stays suspended', async () => {
    const s = await billedForMay();
    await s.travel('2031-05-16T12:00:00Z');
    await s.post(`subscriptions/${s.id}/suspend`, { reason: 'Unpaid' }, 200);
    const applied = await change(s, s.id, { offer_id: s.big.id });
    expect(applied).toMatchObject({
      net: 50,
      outcome: 'invoice',
      subscription: { status: 'suspended', offer_id: s.big.id, open_holds: [{ reason: 'admin' }] },
    });
  });

  it('switches the offer of a pending subscription without money, re-anchoring on another cycle', async () => {
    const s = await ownerWorld();
    const monthly = await s.offer(1000);
    const weekly = await s.offer(300, { billing_cycle: 'weekly' });
    const owner = await s.subscriber();
    const sub = await s.post('subscriptions', {
      subscriber_id: owner.id,
      offer_id: monthly.id,
      start_at: '2031-01-22T00:00:00Z',
    });
    const applied = await change(s, String(sub.id), { offer_id: weekly.id });
    expect(applied).toMatchObject({
      credit: 0,
      charge: 0,
      net: 0,
      total: 0,
      outcome: 'none',
      lines: [],
      subscription: {
        status: 'pending',
        offer_id: weekly.id,
        billing_cycle: 'weekly',
        billing_anchor_day: 3,
        billing_anchor_month: null,
      },
    });
    expect(await s.count('invoices')).toBe(0);
  });

  it('schedules a future change with the amounts it will have, and the billing run applies exactly those', async () => {
    const s = await billedForMay();
    await s.travel('2031-05-10T00:00:00Z');
    const body = { offer_id: s.big.id, effective_at: '2031-05-20T00:00:00Z' };
    const shown = await preview(s, s.id, body);
    // 12 of 31 days remain: 100 × 12/31 = 38.71 → 39, 200 × 12/31 = 77.42 → 77.
    expect(shown).toMatchObject({ scheduled: true, credit: 39, charge: 77, net: 38, total: 38 });
    const scheduled = await change(s, s.id, body);
    expect(scheduled).toMatchObject({
      scheduled: true,
      change: { status: 'scheduled', credit: 39, charge: 77, net: 38 },
    });
    expect(scheduled.subscription).toMatchObject({
      offer_id: s.small.id,
      scheduled_change: {
        id: (scheduled.change as Json).id,
        offer_id: s.big.id,
        effective_at: '2031-05-20T00:00:00.000Z',
        credit: 39,
        charge: 77,
        net: 38,
      },
    });

    await s.travel('2031-05-21T00:00:00Z');
    await s.bill('2031-05-21T00:00:00Z');
    const after = await s.get(`subscriptions/${s.id}`);
    expect(after).toMatchObject({ offer_id: s.big.id, credit_basis: 200, scheduled_change: null });
    const [row] = (
      await s.edge.tenantSql(
        s.tenant.slug,
        'SELECT id, status, credit, charge, net, invoice_id FROM subscription_changes',
      )
    ).rows;
    expect(row).toMatchObject({
      id: (scheduled.change as Json).id,
      status: 'applied',
      credit: 39,
      charge: 77,
      net: 38,
    });
    const invoice = (await s.invoices(s.subscriberId)).find((i) => i.kind === 'plan_change')!;
    expect(invoice).toMatchObject({ id: row!.invoice_id, total: 38, issued_at: '2031-05-20T00:00:00.000Z' });
    expect((invoice.lines as Json[]).map((l) => l.amount)).toEqual((shown.lines as Json[]).map((l) => l.amount));
  });

  it(
    'moves a change to another billing cycle to the next boundary, ' +
      'where the run re-anchors and bills the new cycle',
    async () => {
      const s = await billedForMay();
      const weekly = await s.offer(700, { billing_cycle: 'weekly' });
      await s.travel('2031-05-16T12:00:00Z');
      const scheduled = await change(s, s.id, { offer_id: weekly.id });
      expect(scheduled).toMatchObject({
        scheduled: true,
        effective_at: '2031-06-01T00:00:00.000Z',
        credit: 0,
        charge: 0,
        net: 0,
        lines: [],
      });
      await s.travel('2031-06-01T00:00:00Z');
      await s.bill('2031-06-01T00:00:00Z');
      // 2031-06-01 is a Sunday: the weekly anchor is ISO weekday 7.
      expect(await s.get(`subscriptions/${s.id}`)).toMatchObject({
        offer_id: weekly.id,
        billing_cycle: 'weekly',
        billing_anchor_day: 7,
        next_billing_at: '2031-06-08T00:00:00.000Z',
      });
      expect((await s.invoices(s.subscriberId)).at(-1)).toMatchObject({ kind: 'recurring', total: 700 });
    },
  );

  it(
    'charges the policy’s upgrade fee, ' + 'and carries a change below the minimum invoice amount to the next invoice',
    async () => {
      const s = await billedForMay({
        policy: { upgrade_fees: [{ currency: 'USD', amount: 25 }], min_invoice_amount: 1000 },
      });
      await s.travel('2031-05-16T12:00:00Z');
      const applied = await change(s, s.id, { offer_id: s.big.id });
      expect(applied).toMatchObject({
        net: 50,
        fee: 25,
        total: 75,
        outcome: 'pending_charges',
        change: { invoice_id: null },
      });
      expect((applied.lines as Json[]).map((l) => [l.kind, l.amount])).toEqual([
        ['proration_credit', -50],
        ['proration_charge', 100],
        ['change_fee', 25],
      ]);
      expect(await s.count('pending_charges WHERE invoice_line_id IS NULL')).toBe(3);
      await s.travel('2031-06-01T00:00:00Z');
      await s.bill('2031-06-01T00:00:00Z');
      const june = (await s.invoices(s.subscriberId)).at(-1);
      expect((june!.lines as Json[]).map((l) => [l.kind, l.amount])).toEqual(
        expect.arrayContaining([
          ['recurring', 200],
          ['proration_credit', -50],
          ['proration_charge', 100],
          ['change_fee', 25],
        ]),
      );
      expect(june!.total).toBe(275);
    },
  );

  it('previews exactly what it applies, for random prices and instants in the cycle (property)', async () => {
    const s = await ownerWorld();
    await s.travel('2031-05-01T00:00:00Z');
    const vat = await s.post('tax-rates', { name: 'VAT', rate: '7.5', mode: 'exclusive' });
    const mayStart = Date.parse('2031-05-01T00:00:00Z');
    const mayMs = 31 * 86_400_000;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 0, max: mayMs - 1000 }),
        fc.boolean(),
        async (from, to, offset, taxed) => {
          await s.travel('2031-05-01T00:00:00Z');
          const extra = taxed ? { tax_rate_id: vat.id } : {};
          const a = await s.offer(from, extra);
          const b = await s.offer(to, extra);
          const live = await s.activeSubscription(a.id, '2031-05-01T00:00:00Z');
          await s.bill('2031-05-01T00:00:00Z');
          await s.travel(new Date(mayStart + offset + 1000).toISOString());
          const body = { offer_id: b.id, effective_at: new Date(mayStart + offset).toISOString() };
          const shown = await preview(s, live.id, body);
          const applied = await change(s, live.id, body);
          expect(planned(applied)).toEqual(shown);
          expect(applied.change).toMatchObject({ credit: shown.credit, charge: shown.charge, net: shown.net });
          expect(shown.net).toBe(Number(shown.charge) - Number(shown.credit));
          const documents = await s.edge.tenantSql(
            s.tenant.slug,
            'SELECT total FROM invoices WHERE id = ? UNION ALL SELECT -total FROM credit_notes WHERE id = ?',
            [
              ((applied.change as Json).invoice_id as string | null) ?? '',
              ((applied.change as Json).credit_note_id as string | null) ?? '',
            ],
          );
          expect(documents.rows.map((r) => Number(r.total))).toEqual(shown.total === 0 ? [] : [shown.total]);
          if ((applied.change as Json).invoice_id) {
            const invoice = await s.get(`invoices/${String((applied.change as Json).invoice_id)}`);
            expect((invoice.lines as Json[]).map((l) => [l.kind, l.amount, l.tax_amount])).toEqual(
              (shown.lines as Json[]).map((l) => [l.kind, l.amount, l.tax_amount]),
            );
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);

  it(
    'a downgrade from an untaxed plan to a taxed one credits the ' + 'difference with the new plan’s tax netted in',
    async () => {
      const s = await billedForMay({ policy: { refund_policy: 'credit' } }, [200, 100]);
      const tax = await s.post('tax-rates', { name: 'VAT', rate: '10', mode: 'exclusive' });
      const taxed = await s.offer(100, { tax_rate_id: tax.id });
      await s.travel('2031-05-16T12:00:00Z');
      const applied = await change(s, s.id, { offer_id: taxed.id, effective_at: '2031-05-16T12:00:00Z' });
      // Credit 100 (untaxed), charge 50 + 5 tax: the customer is owed 45.
      expect(applied).toMatchObject({ credit: 100, charge: 50, net: -50, total: -45, outcome: 'credit_note' });
      const trial = (await s.get('reports/trial-balance')).currencies as Json[];
      expect(trial[0]).toMatchObject({ balanced: true });
      expect(await money(s, s.subscriberId)).toBe(200 - 45);
    },
  );
});
