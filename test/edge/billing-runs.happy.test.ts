import { describe, expect, it } from 'vitest';
import { billingWorld, day } from '../support/billing.ts';
import { startEdge, startTime, type Json } from '../support/edge-app.ts';

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);

describe('billing runs', () => {
  it('bills each period once, numbers invoices gap-free, and a repeated run creates nothing', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const offer = await w.offer({ prices: [{ currency: 'USD', amount: 10_000 }] });
    const ada = await w.subscriber();
    const sub = await w.subscribe(ada.id, offer.id, startTime);
    expect(sub).toMatchObject({ status: 'active', next_billing_at: new Date(utc(2031, 1, 15)).toISOString() });

    const first = await w.bill(startTime);
    expect(first).toMatchObject({ status: 'completed', invoices_created: 1, lines_created: 1, failures: [] });
    expect(await w.bill(startTime)).toMatchObject({ invoices_created: 0, lines_created: 0 });
    const [invoice] = await w.invoices(ada.id);
    expect(invoice).toMatchObject({
      number: 'INV-000001',
      status: 'issued',
      currency: 'USD',
      subtotal: 10_000,
      tax_total: 0,
      total: 10_000,
      balance_due: 10_000,
      period_start: new Date(utc(2031, 1, 15)).toISOString(),
      period_end: new Date(utc(2031, 2, 15)).toISOString(),
      issued_at: new Date(startTime).toISOString(),
      // 14 payment days: overdue from the start of the 15th day after issue.
      due_at: new Date(utc(2031, 1, 30)).toISOString(),
      lines: [
        {
          kind: 'recurring',
          amount: 10_000,
          tax_amount: 0,
          period_start: new Date(utc(2031, 1, 15)).toISOString(),
          period_end: new Date(utc(2031, 2, 15)).toISOString(),
        },
      ],
    });

    // Nothing more is due until Feb 15; then exactly the next period.
    expect(await w.bill(utc(2031, 2, 14, 23))).toMatchObject({ invoices_created: 0 });
    edge.clock.now = utc(2031, 2, 15, 6);
    expect(await w.bill(edge.clock.now)).toMatchObject({ invoices_created: 1 });
    const numbers = (await w.invoices(ada.id)).map((i) => i.number);
    expect(numbers).toEqual(['INV-000001', 'INV-000002']);
    await w.checkBooks();
  });

  it('runs at the same time never bill a period twice', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const offer = await w.offer();
    const subscribers = await Promise.all(Array.from({ length: 12 }, () => w.subscriber()));
    for (const s of subscribers) await w.subscribe(s.id, offer.id, startTime);
    const runs = await Promise.all(Array.from({ length: 4 }, () => w.bill(startTime)));
    expect(runs.reduce((sum, r) => sum + Number(r.invoices_created), 0)).toBe(12);
    const rows = (
      await edge.tenantSql(
        w.tenant.slug,
        'SELECT count(*) AS n, count(DISTINCT number) AS numbers, max(number) AS last FROM invoices',
      )
    ).rows[0]!;
    expect(rows).toMatchObject({ n: 12, numbers: 12, last: 'INV-000012' });
    await w.checkBooks();
  });

  it('catches up missed periods one invoice each, with month-end anchors clamping and returning', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const offer = await w.offer();
    const ada = await w.subscriber();
    edge.clock.now = utc(2032, 1, 31, 10);
    await w.subscribe(ada.id, offer.id, edge.clock.now);
    edge.clock.now = utc(2032, 4, 30, 1);
    expect(await w.bill(edge.clock.now)).toMatchObject({ invoices_created: 4 });
    const periods = (await w.invoices(ada.id)).map((i) =>
      [i.period_start, i.period_end].map((d) => String(d).slice(0, 10)),
    );
    // 2032 is a leap year: Jan 31 → Feb 29 → Mar 31 → Apr 30.
    expect(periods).toEqual([
      ['2032-01-31', '2032-02-29'],
      ['2032-02-29', '2032-03-31'],
      ['2032-03-31', '2032-04-30'],
      ['2032-04-30', '2032-05-31'],
    ]);
    await w.checkBooks();
  });

  it(
    'prorates the first stub over the full period that contains it (Feb 1 start, ' + 'billing day 13 → 12/31)',
    async () => {
      const edge = await startEdge();
      const w = await billingWorld(edge);
      const offer = await w.offer({ prices: [{ currency: 'USD', amount: 31_000 }] });
      const ada = await w.subscriber();
      edge.clock.now = utc(2031, 2, 1, 15);
      await w.subscribe(ada.id, offer.id, edge.clock.now, { billing_anchor_day: 13 });
      await w.bill(edge.clock.now);
      const [invoice] = await w.invoices(ada.id);
      expect(invoice!.lines).toMatchObject([
        {
          amount: 12_000,
          period_start: new Date(utc(2031, 2, 1)).toISOString(),
          period_end: new Date(utc(2031, 2, 13)).toISOString(),
        },
      ]);
    },
  );

  it('weekly plans: a Wednesday start on a Monday anchor bills 5/7', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const offer = await w.offer({ billing_cycle: 'weekly', prices: [{ currency: 'USD', amount: 100_000 }] });
    const ada = await w.subscriber();
    edge.clock.now = utc(2031, 1, 15, 13); // a Wednesday
    await w.subscribe(ada.id, offer.id, edge.clock.now, { billing_anchor_day: 1 });
    await w.bill(edge.clock.now);
    const [invoice] = await w.invoices(ada.id);
    expect(invoice).toMatchObject({ total: 71_429, period_end: new Date(utc(2031, 1, 20)).toISOString() });
  });

  it('taxes per line: 17,500.00 at 7.5 % exclusive is 18,812.50; inclusive prices are not taxed twice', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const exclusive = await w.post('tax-rates', { name: 'VAT', rate: '7.5', mode: 'exclusive' });
    const inclusive = await w.post('tax-rates', { name: 'GST incl.', rate: '7.5', mode: 'inclusive' });
    const a = await w.subscriber();
    const b = await w.subscriber();
    await w.subscribe(
      a.id,
      (await w.offer({ prices: [{ currency: 'USD', amount: 1_750_000 }], tax_rate_id: exclusive.id })).id,
      startTime,
    );
    await w.subscribe(
      b.id,
      (await w.offer({ prices: [{ currency: 'USD', amount: 1_881_250 }], tax_rate_id: inclusive.id })).id,
      startTime,
    );
    await w.bill(startTime);
    expect((await w.invoices(a.id))[0]).toMatchObject({ subtotal: 1_750_000, tax_total: 131_250, total: 1_881_250 });
    expect((await w.invoices(b.id))[0]).toMatchObject({ subtotal: 1_750_000, tax_total: 131_250, total: 1_881_250 });
    const trial = (await w.get('reports/trial-balance')).currencies as Json[];
    expect(trial[0]!.accounts).toEqual(
      expect.arrayContaining([expect.objectContaining({ account: 'tax_payable', credit: 262_500 })]),
    );
    await w.checkBooks();
  });

  it('bills currencies with no minor unit (JPY) and with three (KWD)', async () => {
    const edge = await startEdge();
    for (const [currency, price] of [
      ['JPY', 5_980],
      ['KWD', 12_345],
    ] as const) {
      const w = await billingWorld(edge, { currency, timezone: 'Asia/Tokyo' });
      const offer = await w.offer({ billing_cycle: 'weekly', prices: [{ currency, amount: price }] });
      const s = await w.subscriber();
      edge.clock.now = startTime;
      await w.subscribe(s.id, offer.id, startTime, { billing_anchor_day: 1 });
      await w.bill(startTime);
      const [invoice] = await w.invoices(s.id);
      // 2031-01-15 is a Wednesday in Tokyo too: 5 of 7 days, rounded once, half up.
      expect(invoice).toMatchObject({ currency, total: Math.round((price * 5) / 7) });
      await w.pay(s.id, Number(invoice!.total));
      expect(await w.balance(s.id)).toEqual({ currency, outstanding: 0, credit: 0, overdue: 0 });
      await w.checkBooks();
    }
  });

  it('bills an annual plan anchored on Feb 29 on Feb 28 in common years', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const offer = await w.offer({ billing_cycle: 'annual', prices: [{ currency: 'USD', amount: 120_000 }] });
    const s = await w.subscriber();
    edge.clock.now = utc(2032, 2, 29, 12);
    await w.subscribe(s.id, offer.id, edge.clock.now);
    edge.clock.now = utc(2034, 3, 1);
    await w.bill(edge.clock.now);
    const periods = (await w.invoices(s.id)).map((i) =>
      [i.period_start, i.period_end].map((d) => String(d).slice(0, 10)),
    );
    expect(periods).toEqual([
      ['2032-02-29', '2033-02-28'],
      ['2033-02-28', '2034-02-28'],
      ['2034-02-28', '2035-02-28'],
    ]);
  });

  it('puts a subscriber’s subscriptions of one period on one invoice and applies account credit to it', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const s = await w.subscriber();
    await w.subscribe(s.id, (await w.offer({ prices: [{ currency: 'USD', amount: 4_000 }] })).id, startTime);
    await w.subscribe(s.id, (await w.offer({ prices: [{ currency: 'USD', amount: 1_500 }] })).id, startTime);
    await w.pay(s.id, 2_000);
    expect(await w.balance(s.id)).toEqual({ currency: 'USD', outstanding: 0, credit: 2_000, overdue: 0 });
    await w.bill(startTime);
    const invoices = await w.invoices(s.id);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ total: 5_500, balance_due: 3_500, status: 'partially_paid' });
    expect(await w.balance(s.id)).toEqual({ currency: 'USD', outstanding: 3_500, credit: 0, overdue: 0 });
    await w.checkBooks();
  });

  it('does not bill pending or canceled subscriptions, and stops at the end of a canceled one', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const offer = await w.offer();
    const s = await w.subscriber();
    await w.post('subscriptions', {
      subscriber_id: s.id,
      offer_id: offer.id,
      start_at: new Date(startTime).toISOString(),
    });
    expect(await w.bill(startTime + 90 * day)).toMatchObject({ invoices_created: 0 });
  });
});
