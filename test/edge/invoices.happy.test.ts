import { describe, expect, it } from 'vitest';
import { billedWorld, billingWorld, day, monthly, utc } from '../support/billing.ts';
import { startEdge, startTime, type Json } from '../support/edge-app.ts';

type Aging = { as_of: string; totals: Json[]; subscribers: Json[] };

describe('invoices', () => {
  it('lists newest first with lines, by subscriber and status, and pages', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 3);
    const [first, second, third] = invoices as [Json, Json, Json];
    await w.pay(ada.id, 10_000);
    expect((await w.get(`invoices?subscriber_id=${String(ada.id)}`)).data!.map((i) => i.number)).toEqual([
      'INV-000003',
      'INV-000002',
      'INV-000001',
    ]);
    expect((await w.get('invoices?status=paid')).data!.map((i) => i.id)).toEqual([first.id]);
    const page = await w.get('invoices?limit=2&status=issued');
    expect(page.data!.map((i) => i.id)).toEqual([third.id, second.id]);
    expect(page.next_cursor).toBeNull();
    const paged = await w.get('invoices?limit=1');
    expect((await w.get(`invoices?limit=5&cursor=${String(paged.next_cursor)}`)).data!.map((i) => i.id)).toEqual([
      second.id,
      first.id,
    ]);
    expect(await w.invoice(first.id)).toMatchObject({ lines: [{ kind: 'recurring', amount: 10_000 }] });
  });

  it(
    'void reverses the issue entry (reverses_entry_id), ' + 'lowers the balance, and the period is not billed again',
    async () => {
      const edge = await startEdge();
      const { w, ada, invoices } = await billedWorld(edge, 2);
      const second = invoices[1]!;
      expect(await w.balance(ada.id)).toMatchObject({ outstanding: 20_000 });
      const voided = await w.post(`invoices/${String(second.id)}/void`, { reason: 'billed in error' }, 200);
      expect(voided).toMatchObject({
        status: 'void',
        balance_due: 0,
        voided_at: new Date(edge.clock.now).toISOString(),
        status_reason: 'billed in error',
        total: 10_000,
      });
      expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 10_000, credit: 0, overdue: 0 });

      const entries = (await w.get(`journal?subscriber_id=${String(ada.id)}&limit=50`)).data!;
      const issue = entries.find((e) => e.kind === 'invoice.issued' && e.source_id === second.id)!;
      const reversal = entries.find((e) => e.kind === 'invoice.voided')!;
      expect(reversal).toMatchObject({ source_type: 'invoice', source_id: second.id, reverses_entry_id: issue.id });
      expect(entries.indexOf(reversal)).toBe(0);
      const swap = (lines: Json[]) => lines.map((l) => ({ ...l, debit: l.credit, credit: l.debit }));
      expect(reversal.lines).toEqual(expect.arrayContaining(swap(issue.lines as Json[])));
      // The issue entry itself is untouched.
      expect(issue.lines).toEqual(
        expect.arrayContaining([{ account: 'receivable', subscriber_id: ada.id, debit: 10_000, credit: 0 }]),
      );

      // The same as_of, and the next month: the voided period stays billed.
      expect(await w.bill(edge.clock.now)).toMatchObject({ invoices_created: 0 });
      edge.clock.now = monthly(2);
      expect(await w.bill(edge.clock.now)).toMatchObject({ invoices_created: 1 });
      const periods = (await w.invoices(ada.id)).map((i) => [i.period_start, i.status]);
      expect(periods).toEqual([
        [new Date(utc(2031, 1, 15)).toISOString(), 'issued'],
        [new Date(utc(2031, 2, 15)).toISOString(), 'void'],
        [new Date(utc(2031, 3, 15)).toISOString(), 'issued'],
      ]);
      await w.checkBooks();
    },
  );

  it('voiding or writing off the overdue invoice lifts the overdue hold, as a payment would', async () => {
    const edge = await startEdge();
    for (const action of ['void', 'write-off']) {
      edge.clock.now = startTime;
      const w = await billingWorld(edge);
      const offer = await w.offer();
      const ada = await w.subscriber();
      const subscription = await w.subscribe(ada.id, offer.id, startTime);
      await w.bill(startTime);
      const [inv] = await w.invoices(ada.id);
      edge.clock.now = Date.parse(String(inv!.due_at)) + 25 * day;
      await w.post('collections/runs', { as_of: new Date(edge.clock.now).toISOString() });
      expect(await w.invoice(inv!.id)).toMatchObject({ status: 'overdue' });
      expect(await w.balance(ada.id)).toMatchObject({ overdue: 10_000 });
      expect(await w.get(`subscriptions/${String(subscription.id)}`)).toMatchObject({ status: 'suspended' });
      await w.post(`invoices/${String(inv!.id)}/${action}`, { reason: 'disputed charge' }, 200);
      expect(await w.balance(ada.id)).toMatchObject({ outstanding: 0, overdue: 0 });
      expect(await w.get(`subscriptions/${String(subscription.id)}`), action).toMatchObject({
        status: 'active',
        open_holds: [],
      });
      await w.checkBooks();
    }
  });

  it('an invoice whose payment was refunded in full can be voided', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 1);
    const payment = await w.pay(ada.id, 10_000);
    await w.post(`payments/${String(payment.id)}/refunds`, {});
    expect(await w.post(`invoices/${String(invoices[0]!.id)}/void`, { reason: 'cancelled order' }, 200)).toMatchObject({
      status: 'void',
    });
    expect(await w.balance(ada.id)).toMatchObject({ outstanding: 0, credit: 0 });
    await w.checkBooks();
  });

  it('write-off moves the balance due to bad debt; the trial balance shows it', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 2);
    const [first, second] = invoices as [Json, Json];
    await w.pay(ada.id, 4_000);
    const off = await w.post(`invoices/${String(first.id)}/write-off`, { reason: 'uncollectable' }, 200);
    expect(off).toMatchObject({
      status: 'written_off',
      balance_due: 0,
      written_off_at: new Date(edge.clock.now).toISOString(),
      status_reason: 'uncollectable',
    });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 10_000, credit: 0, overdue: 0 });
    await w.post(`invoices/${String(second.id)}/write-off`, { reason: 'gone' }, 200);
    const usd = ((await w.get('reports/trial-balance')).currencies as Json[])[0]!;
    expect(usd.accounts).toEqual(
      expect.arrayContaining([{ account: 'bad_debt', debit: 16_000, credit: 0, balance: 16_000 }]),
    );
    expect(usd).toMatchObject({ balanced: true });
    expect(await w.balance(ada.id)).toMatchObject({ outstanding: 0 });
    await w.checkBooks();
  });

  it('the trial balance lists every account, balanced, now and at a past instant', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const vat = await w.post('tax-rates', { name: 'VAT', rate: '10', mode: 'exclusive' });
    const offer = await w.offer({ prices: [{ currency: 'USD', amount: 10_000 }], tax_rate_id: vat.id });
    const ada = await w.subscriber();
    const bob = await w.subscriber();
    await w.subscribe(ada.id, offer.id, startTime);
    await w.subscribe(bob.id, offer.id, startTime);
    await w.bill(startTime);
    const before = new Date(edge.clock.now).toISOString();
    edge.clock.now += 3_600_000;
    const [adas] = await w.invoices(ada.id);
    const [bobs] = await w.invoices(bob.id);
    expect(adas).toMatchObject({ subtotal: 10_000, tax_total: 1_000, total: 11_000 });
    await w.pay(ada.id, 12_000);
    const note = await w.post('credit-notes', {
      subscriber_id: bob.id,
      reason: 'goodwill',
      lines: [{ description: 'g', amount: 1_100, tax_rate_id: vat.id }],
    });
    expect(note).toMatchObject({ subtotal: 1_100, tax_total: 110, total: 1_210 });
    await w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
    await w.post(`credit-notes/${String(note.id)}/apply`, { invoice_id: bobs!.id }, 200);
    await w.post(`invoices/${String(bobs!.id)}/write-off`, { reason: 'gone' }, 200);

    const tb = (await w.get('reports/trial-balance')) as { currencies: Json[] };
    expect(tb.currencies).toHaveLength(1);
    const usd = tb.currencies[0]!;
    expect(usd).toMatchObject({ currency: 'USD', balanced: true, total_debit: usd.total_credit });
    const accounts = Object.fromEntries((usd.accounts as Json[]).map((a) => [a.account, a.balance]));
    expect(accounts).toEqual({
      cash: 12_000,
      receivable: 22_000 - 11_000 - 1_210 - 9_790,
      customer_credit: -1_000 + 1_210 - 1_210,
      revenue: -20_000,
      sales_returns: 1_100,
      tax_payable: -2_000 + 110,
      bad_debt: 9_790,
    });
    const past = (await w.get(`reports/trial-balance?as_of=${encodeURIComponent(before)}`)) as { currencies: Json[] };
    expect(Object.fromEntries((past.currencies[0]!.accounts as Json[]).map((a) => [a.account, a.balance]))).toEqual({
      receivable: 22_000,
      revenue: -20_000,
      tax_payable: -2_000,
    });
    await w.checkBooks();
  });

  it('AR aging buckets receivables by days past due, at a past as_of and now', async () => {
    const edge = await startEdge();
    const { w, ada, offer, invoices } = await billedWorld(edge, 3);
    expect(invoices.map((i) => i.due_at)).toEqual(
      [utc(2031, 1, 30), utc(2031, 3, 2), utc(2031, 3, 30)].map((t) => new Date(t).toISOString()),
    );
    const bob = await w.subscriber();
    await w.subscribe(bob.id, offer.id, edge.clock.now);
    await w.bill(edge.clock.now);
    const aging = async (asOf?: number) =>
      (await w.get(`reports/ar-aging${asOf ? `?as_of=${new Date(asOf).toISOString()}` : ''}`)) as unknown as Aging;
    const buckets = (current: number, d30: number, d60: number, d90: number, over: number) => ({
      current,
      days_1_30: d30,
      days_31_60: d60,
      days_61_90: d90,
      days_over_90: over,
      total: current + d30 + d60 + d90 + over,
    });

    // Now (Mar 15, 09:00): 45 days past the first, 14 past the second; the third and Bob's current.
    const now = await aging();
    expect(now.as_of).toBe(new Date(edge.clock.now).toISOString());
    expect(now.totals).toEqual([{ currency: 'USD', ...buckets(20_000, 10_000, 10_000, 0, 0) }]);
    expect(now.subscribers).toEqual([
      {
        subscriber_id: ada.id,
        subscriber_number: 'SUB-000001',
        display_name: ada.display_name,
        currency: 'USD',
        ...buckets(10_000, 10_000, 10_000, 0, 0),
      },
      {
        subscriber_id: bob.id,
        subscriber_number: 'SUB-000002',
        display_name: bob.display_name,
        currency: 'USD',
        ...buckets(10_000, 0, 0, 0, 0),
      },
    ]);
    // The due instant itself is still current; a moment later it is one day late.
    expect((await aging(utc(2031, 1, 30))).totals).toEqual([{ currency: 'USD', ...buckets(10_000, 0, 0, 0, 0) }]);
    expect((await aging(utc(2031, 1, 30) + 1)).totals).toEqual([{ currency: 'USD', ...buckets(0, 10_000, 0, 0, 0) }]);
    // Feb 20: only the first two were issued.
    expect((await aging(utc(2031, 2, 20))).totals).toEqual([{ currency: 'USD', ...buckets(10_000, 10_000, 0, 0, 0) }]);
    // Before anything was issued: nothing.
    expect((await aging(utc(2031, 1, 1))).totals).toEqual([]);

    // Paying the oldest and writing off Bob's changes now, not the past.
    edge.clock.now += 60_000;
    await w.pay(ada.id, 12_500);
    await w.post(`invoices/${String((await w.invoices(bob.id))[0]!.id)}/write-off`, { reason: 'gone' }, 200);
    expect((await aging()).totals).toEqual([{ currency: 'USD', ...buckets(10_000, 7_500, 0, 0, 0) }]);
    expect((await aging(utc(2031, 3, 15, 9))).totals).toEqual([
      { currency: 'USD', ...buckets(20_000, 10_000, 10_000, 0, 0) },
    ]);
    // Jun 1: 122, 91 and 63 days past due.
    expect((await aging(utc(2031, 6, 1))).totals).toEqual([{ currency: 'USD', ...buckets(0, 0, 0, 10_000, 7_500) }]);
    await w.checkBooks();
  });

  it('the journal is append-only: UPDATE and DELETE are refused by the database', async () => {
    const edge = await startEdge();
    const { w, ada } = await billedWorld(edge, 1);
    await w.pay(ada.id, 5_000);
    const sql = (q: string) => edge.tenantSql(w.tenant.slug, q);
    for (const statement of [
      'UPDATE journal_lines SET debit = debit + 1',
      'DELETE FROM journal_lines',
      "UPDATE journal_entries SET memo = 'edited'",
      'DELETE FROM journal_entries',
      'UPDATE payment_allocations SET amount = 1',
      'DELETE FROM payment_allocations',
    ]) {
      await expect(sql(statement), statement).rejects.toThrow(/append-only/);
    }
    await w.checkBooks();
    expect(await w.balance(ada.id)).toMatchObject({ outstanding: 5_000 });
  });
});
