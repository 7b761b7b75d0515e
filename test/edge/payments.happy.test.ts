import { describe, expect, it } from 'vitest';
import { startEdge, type Json } from '../support/edge-app.ts';
import { billedWorld, monthly } from '../support/billing.ts';

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('payments', () => {
  it('allocates automatically, oldest due first, across several invoices; the remainder becomes credit', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 3);
    const [first, second, third] = invoices as [Json, Json, Json];
    expect(new Set(invoices.map((i) => i.due_at)).size).toBe(3);

    // 5,000: the oldest due invoice only, partially.
    const small = await w.pay(ada.id, 5_000);
    expect(small).toMatchObject({
      number: 'PAY-000001',
      status: 'succeeded',
      amount: 5_000,
      unallocated: 0,
      allocations: [{ invoice_id: first.id, invoice_number: first.number, amount: 5_000 }],
    });
    expect(await w.invoice(first.id)).toMatchObject({ status: 'partially_paid', balance_due: 5_000, paid_at: null });

    // 31,000: the rest of the first, the second, the third; 6,000 left as account credit.
    edge.clock.now += 60_000;
    const big = await w.pay(ada.id, 31_000);
    expect(big).toMatchObject({
      number: 'PAY-000002',
      unallocated: 6_000,
      refunded_amount: 0,
      allocations: [
        { invoice_id: first.id, amount: 5_000 },
        { invoice_id: second.id, amount: 10_000 },
        { invoice_id: third.id, amount: 10_000 },
      ],
    });
    for (const i of [first, second, third])
      expect(await w.invoice(i.id)).toMatchObject({
        status: 'paid',
        balance_due: 0,
        paid_at: new Date(edge.clock.now).toISOString(),
      });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 0, credit: 6_000, overdue: 0 });

    // The next billing run takes the credit off the new invoice.
    edge.clock.now = monthly(3);
    await w.bill(edge.clock.now);
    const fourth = (await w.invoices(ada.id))[3]!;
    expect(fourth).toMatchObject({ total: 10_000, balance_due: 4_000, status: 'partially_paid' });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 4_000, credit: 0, overdue: 0 });
    expect(await w.get(`payments/${String(big.id)}`)).toMatchObject({
      unallocated: 0,
      allocations: expect.arrayContaining([{ invoice_id: fourth.id, invoice_number: fourth.number, amount: 6_000 }]),
    });
    await w.checkBooks();
  });

  it(
    'takes explicit allocations as given, the rest as credit; ' + 'statuses go issued → partially_paid → paid',
    async () => {
      const edge = await startEdge();
      const { w, ada, invoices } = await billedWorld(edge, 3);
      const [first, , third] = invoices as [Json, Json, Json];
      const payment = await w.pay(ada.id, 7_000, {
        allocations: [
          { invoice_id: third.id, amount: 4_000 },
          { invoice_id: first.id, amount: 1_000 },
        ],
      });
      expect(payment.unallocated).toBe(2_000);
      expect(payment.allocations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ invoice_id: third.id, amount: 4_000 }),
          expect.objectContaining({ invoice_id: first.id, amount: 1_000 }),
        ]),
      );
      expect(await w.invoice(third.id)).toMatchObject({ status: 'partially_paid', balance_due: 6_000 });
      expect(await w.invoice(first.id)).toMatchObject({ status: 'partially_paid', balance_due: 9_000 });
      expect(await w.invoice(invoices[1]!.id)).toMatchObject({ status: 'issued', balance_due: 10_000 });
      expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 25_000, credit: 2_000, overdue: 0 });

      edge.clock.now += 3_600_000;
      await w.pay(ada.id, 6_000, { allocations: [{ invoice_id: third.id, amount: 6_000 }] });
      expect(await w.invoice(third.id)).toMatchObject({
        status: 'paid',
        balance_due: 0,
        paid_at: new Date(edge.clock.now).toISOString(),
      });
      // A payment of exactly nothing left over writes no customer-credit line.
      const journal = (await w.get(`journal?subscriber_id=${String(ada.id)}&limit=1`)).data![0]!;
      expect(journal).toMatchObject({
        kind: 'payment.received',
        lines: [
          { account: 'cash', debit: 6_000, credit: 0 },
          { account: 'receivable', debit: 0, credit: 6_000 },
        ],
      });
      await w.checkBooks();
    },
  );

  it(
    'an Idempotency-Key replay returns the same payment and records no second one, ' + 'also when sent twice at once',
    async () => {
      const edge = await startEdge();
      const { w, ada } = await billedWorld(edge, 1);
      const send = (key: string, amount = 3_000) =>
        edge.call('POST', '/api/v1/payments', {
          token: w.token,
          headers: { 'idempotency-key': key },
          body: { subscriber_id: ada.id, amount, currency: 'USD', method: 'cash' },
        });
      const first = edge.ok(await send('pay-1'), 201);
      const again = edge.ok(await send('pay-1'), 201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await w.count('payments')).toBe(1);
      expect(await w.count("journal_entries WHERE kind = 'payment.received'")).toBe(1);

      const both = await Promise.all([send('pay-2', 2_000), send('pay-2', 2_000)]);
      const statuses = both.map((r) => r.status).sort();
      expect([
        [201, 201],
        [201, 409],
      ]).toContainEqual(statuses);
      const made = both.filter((r) => r.status === 201);
      expect(new Set(made.map((r) => r.body.id)).size).toBe(1);
      expect(await w.count('payments')).toBe(2);
      expect(await w.balance(ada.id)).toMatchObject({ outstanding: 5_000 });
      await w.checkBooks();
    },
  );

  it('a provider event id seen before returns that payment (200), never a second one', async () => {
    const edge = await startEdge();
    const { w, ada } = await billedWorld(edge, 1);
    const body = {
      subscriber_id: ada.id,
      amount: 4_000,
      currency: 'USD',
      method: 'bank_transfer',
      provider_event_id: 'bank-tx-42',
    };
    const first = edge.ok(await edge.call('POST', '/api/v1/payments', { token: w.token, body }), 201);
    const again = edge.ok(await edge.call('POST', '/api/v1/payments', { token: w.token, body }), 200);
    expect(again.body).toEqual(first.body);
    // Even with a different amount: the bank's transaction happened once.
    const different = edge.ok(
      await edge.call('POST', '/api/v1/payments', { token: w.token, body: { ...body, amount: 9_999 } }),
      200,
    );
    expect(different.body.id).toBe(first.body.id);
    const concurrent = await Promise.all(
      [1, 2, 3].map(() =>
        edge.call('POST', '/api/v1/payments', { token: w.token, body: { ...body, provider_event_id: 'bank-tx-43' } }),
      ),
    );
    expect(concurrent.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(await w.count('payments')).toBe(2);
    expect(await w.balance(ada.id)).toMatchObject({ outstanding: 2_000 });
    await w.checkBooks();
  });

  it(
    'refunds from credit first, then reopens the invoice by ' +
      'exactly the amount taken; a full refund takes the rest',
    async () => {
      const edge = await startEdge();
      const { w, ada, invoices } = await billedWorld(edge, 1);
      const inv = invoices[0]!;
      const payment = await w.pay(ada.id, 13_000);
      expect(payment).toMatchObject({ unallocated: 3_000 });
      expect(await w.invoice(inv.id)).toMatchObject({ status: 'paid' });

      // Partial, from the credit only: the invoice stays paid.
      const refund = (body: Json | undefined, status = 201) =>
        w.post(`payments/${String(payment.id)}/refunds`, body, status);
      expect(await refund({ amount: 2_000, reason: 'overpaid' })).toMatchObject({
        amount: 2_000,
        from_credit: 2_000,
        from_invoices: 0,
        reason: 'overpaid',
        payment_id: payment.id,
      });
      expect(await w.invoice(inv.id)).toMatchObject({ status: 'paid', balance_due: 0 });
      expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 0, credit: 1_000, overdue: 0 });
      expect(await w.get(`payments/${String(payment.id)}`)).toMatchObject({
        status: 'partially_refunded',
        refunded_amount: 2_000,
        unallocated: 1_000,
      });
      await w.checkBooks();

      // 4,000 more: the last 1,000 of credit, then 3,000 off the invoice, which reopens by 3,000 only.
      expect(await refund({ amount: 4_000 })).toMatchObject({ from_credit: 1_000, from_invoices: 3_000 });
      expect(await w.invoice(inv.id)).toMatchObject({ status: 'partially_paid', balance_due: 3_000, paid_at: null });
      expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 3_000, credit: 0, overdue: 0 });
      expect(await w.get(`payments/${String(payment.id)}`)).toMatchObject({
        allocations: [{ invoice_id: inv.id, amount: 7_000 }],
        unallocated: 0,
        refunded_amount: 6_000,
      });
      await w.checkBooks();

      // No amount: everything not yet refunded.
      expect(await refund(undefined)).toMatchObject({ amount: 7_000, from_credit: 0, from_invoices: 7_000 });
      expect(await w.invoice(inv.id)).toMatchObject({ status: 'issued', balance_due: 10_000 });
      expect(await w.get(`payments/${String(payment.id)}`)).toMatchObject({
        status: 'refunded',
        refunded_amount: 13_000,
        allocations: [],
        unallocated: 0,
      });
      expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 10_000, credit: 0, overdue: 0 });
      const refunds = (await w.get('journal?limit=3')).data!.filter((e) => e.kind === 'payment.refunded');
      expect(refunds).toHaveLength(3);
      await w.checkBooks();
    },
  );

  it('a refund takes back the newest allocation first, each invoice reopened by what was taken from it', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 2);
    const [first, second] = invoices as [Json, Json];
    const payment = await w.pay(ada.id, 15_000, { allocations: [{ invoice_id: first.id, amount: 10_000 }] });
    expect(payment.unallocated).toBe(5_000);
    // The next billing run applies the 5,000 credit to the second invoice: the newest allocation.
    edge.clock.now = monthly(2);
    await w.bill(edge.clock.now);
    expect(await w.invoice(second.id)).toMatchObject({ status: 'partially_paid', balance_due: 5_000 });
    expect(await w.post(`payments/${String(payment.id)}/refunds`, { amount: 7_000 })).toMatchObject({
      from_credit: 0,
      from_invoices: 7_000,
    });
    expect(await w.invoice(second.id)).toMatchObject({ status: 'issued', balance_due: 10_000 });
    expect(await w.invoice(first.id)).toMatchObject({ status: 'partially_paid', balance_due: 2_000, paid_at: null });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 22_000, credit: 0, overdue: 0 });
    await w.checkBooks();
  });

  it('payments and refunds at the same time never allocate or take back the same money twice', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 3);
    const payments = await Promise.all(Array.from({ length: 8 }, () => w.pay(ada.id, 4_000)));
    expect(sum(payments.map((p) => Number(p.unallocated)))).toBe(2_000);
    expect((await w.invoices(ada.id)).map((i) => [i.status, i.balance_due])).toEqual([
      ['paid', 0],
      ['paid', 0],
      ['paid', 0],
    ]);
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 0, credit: 2_000, overdue: 0 });
    const target = payments[0]!;
    const refunds = await Promise.all(
      Array.from({ length: 6 }, () =>
        edge.call('POST', `/api/v1/payments/${String(target.id)}/refunds`, { token: w.token, body: { amount: 1_000 } }),
      ),
    );
    expect(refunds.filter((r) => r.status === 201)).toHaveLength(4);
    for (const r of refunds.filter((r) => r.status !== 201)) expect(r.status).toBe(409);
    expect(await w.get(`payments/${String(target.id)}`)).toMatchObject({ status: 'refunded', refunded_amount: 4_000 });
    expect(await w.balance(ada.id)).toMatchObject({
      outstanding: 4_000 - Number(target.unallocated),
      credit: 2_000 - Number(target.unallocated),
    });
    expect(invoices).toHaveLength(3);
    await w.checkBooks();
  });

  it('a payment in another currency reaches no invoice of this one: it is credit in its own currency', async () => {
    const edge = await startEdge();
    const { w, ada } = await billedWorld(edge, 1);
    const eur = await w.pay(ada.id, 2_500, { currency: 'EUR' });
    expect(eur).toMatchObject({ currency: 'EUR', allocations: [], unallocated: 2_500 });
    expect(await w.get(`subscribers/${String(ada.id)}/balance?currency=EUR`)).toEqual({
      currency: 'EUR',
      outstanding: 0,
      credit: 2_500,
      overdue: 0,
    });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 10_000, credit: 0, overdue: 0 });
    // The next USD invoice does not take the EUR credit either.
    edge.clock.now = monthly(1);
    await w.bill(edge.clock.now);
    expect((await w.invoices(ada.id))[1]).toMatchObject({ balance_due: 10_000 });
    const currencies = ((await w.get('reports/trial-balance')).currencies as Json[]).map((c) => [
      c.currency,
      c.balanced,
    ]);
    expect(currencies).toEqual([
      ['EUR', true],
      ['USD', true],
    ]);
    await w.checkBooks();
  });

  it('lists payments newest first, by subscriber and status', async () => {
    const edge = await startEdge();
    const { w, ada } = await billedWorld(edge, 1);
    const a = await w.pay(ada.id, 1_000);
    // Ids of one instant sort by creation only while no id of another instant is made in
    // between (edge/lib/ids.ts reseeds its counter; request ids use the wall clock).
    edge.clock.now += 1;
    const b = await w.pay(ada.id, 2_000);
    await w.post(`payments/${String(a.id)}/refunds`, {});
    const all = await w.get(`payments?subscriber_id=${String(ada.id)}`);
    expect(all.data!.map((p) => p.id)).toEqual([b.id, a.id]);
    expect((await w.get('payments?status=refunded')).data!.map((p) => p.id)).toEqual([a.id]);
    const paged = await w.get('payments?limit=1');
    expect(paged.data!.map((p) => p.id)).toEqual([b.id]);
    expect((await w.get(`payments?limit=1&cursor=${String(paged.next_cursor)}`)).data!.map((p) => p.id)).toEqual([
      a.id,
    ]);
  });
});
