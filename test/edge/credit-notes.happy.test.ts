import { describe, expect, it } from 'vitest';
import { startEdge, type Json } from '../support/edge-app.ts';
import { billedWorld, monthly } from '../support/billing.ts';

describe('credit notes', () => {
  it(
    'create (draft) → issue (customer credit) → apply in parts: ' + 'issued → partially_applied → applied',
    async () => {
      const edge = await startEdge();
      const { w, ada, invoices } = await billedWorld(edge, 2);
      const [first, second] = invoices as [Json, Json];
      const draft = await w.post('credit-notes', {
        subscriber_id: ada.id,
        reason: 'outage in March',
        lines: [{ description: 'Two days without service', amount: 6_000 }],
      });
      expect(draft).toMatchObject({
        number: 'CN-000001',
        status: 'draft',
        currency: 'USD',
        invoice_id: null,
        subtotal: 6_000,
        tax_total: 0,
        total: 6_000,
        remaining: 6_000,
        issued_at: null,
      });
      // A draft is not credit yet.
      expect(await w.balance(ada.id)).toMatchObject({ outstanding: 20_000, credit: 0 });

      const issued = await w.post(`credit-notes/${String(draft.id)}/issue`, undefined, 200);
      expect(issued).toMatchObject({ status: 'issued', issued_at: new Date(edge.clock.now).toISOString() });
      expect(await w.balance(ada.id)).toMatchObject({ outstanding: 20_000, credit: 6_000 });
      const [entry] = (await w.get('journal?limit=1')).data!;
      expect(entry).toMatchObject({ kind: 'credit_note.issued', source_type: 'credit_note', source_id: draft.id });
      expect(entry!.lines).toEqual(
        expect.arrayContaining([
          { account: 'sales_returns', subscriber_id: null, debit: 6_000, credit: 0 },
          { account: 'customer_credit', subscriber_id: ada.id, debit: 0, credit: 6_000 },
        ]),
      );

      const partly = await w.post(
        `credit-notes/${String(draft.id)}/apply`,
        { invoice_id: second.id, amount: 2_500 },
        200,
      );
      expect(partly).toMatchObject({ status: 'partially_applied', remaining: 3_500 });
      expect(await w.invoice(second.id)).toMatchObject({ status: 'partially_paid', balance_due: 7_500 });
      // No amount: min(remaining 3,500, balance 10,000).
      const done = await w.post(`credit-notes/${String(draft.id)}/apply`, { invoice_id: first.id }, 200);
      expect(done).toMatchObject({ status: 'applied', remaining: 0 });
      expect(await w.invoice(first.id)).toMatchObject({ status: 'partially_paid', balance_due: 6_500 });
      expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 14_000, credit: 0, overdue: 0 });
      expect(
        (await w.get(`credit-notes?subscriber_id=${String(ada.id)}&status=applied`)).data!.map((n) => n.id),
      ).toEqual([draft.id]);
      await w.checkBooks();
    },
  );

  it(
    'a note tied to an invoice applies only to it, ' + 'by default min(remaining, balance), and can pay it off',
    async () => {
      const edge = await startEdge();
      const { w, ada, invoices } = await billedWorld(edge, 2);
      const [first, second] = invoices as [Json, Json];
      await w.pay(ada.id, 7_000, { allocations: [{ invoice_id: second.id, amount: 7_000 }] });
      const note = await w.post('credit-notes', {
        subscriber_id: ada.id,
        invoice_id: second.id,
        reason: 'price error',
        lines: [{ description: 'Refund of overcharge', amount: 5_000 }],
      });
      expect(note).toMatchObject({ invoice_id: second.id, currency: 'USD', total: 5_000 });
      await w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
      // Untied credit would go to the oldest invoice; this note goes to its own, 3,000 of it.
      const applied = await w.post(`credit-notes/${String(note.id)}/apply`, undefined, 200);
      expect(applied).toMatchObject({ status: 'partially_applied', remaining: 2_000 });
      expect(await w.invoice(second.id)).toMatchObject({
        status: 'paid',
        balance_due: 0,
        paid_at: new Date(edge.clock.now).toISOString(),
      });
      expect(await w.invoice(first.id)).toMatchObject({ status: 'issued', balance_due: 10_000 });
      // A tied note's remainder is not spent by the next billing run.
      edge.clock.now = monthly(2);
      await w.bill(edge.clock.now);
      expect(await w.get(`credit-notes/${String(note.id)}`)).toMatchObject({ remaining: 2_000 });
      expect(await w.balance(ada.id)).toMatchObject({ outstanding: 20_000, credit: 2_000 });
      await w.checkBooks();
    },
  );

  it('taxes lines as charged: exclusive adds the tax, inclusive takes it out of the amount', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 1);
    const exclusive = await w.post('tax-rates', { name: 'VAT', rate: '7.5', mode: 'exclusive' });
    const inclusive = await w.post('tax-rates', { name: 'GST incl.', rate: '7.5', mode: 'inclusive' });
    const note = await w.post('credit-notes', {
      subscriber_id: ada.id,
      reason: 'goodwill',
      lines: [
        { description: 'exclusive', amount: 1_750_000, tax_rate_id: exclusive.id },
        { description: 'inclusive', amount: 1_881_250, tax_rate_id: inclusive.id },
        { description: 'untaxed', amount: 99 },
      ],
    });
    expect(note).toMatchObject({ subtotal: 3_500_099, tax_total: 262_500, total: 3_762_599, remaining: 3_762_599 });
    expect(note.lines).toMatchObject([
      {
        amount: 1_750_000,
        tax_amount: 131_250,
        taxes: [{ tax_rate_id: exclusive.id, mode: 'exclusive', amount: 131_250 }],
      },
      {
        amount: 1_750_000,
        tax_amount: 131_250,
        taxes: [{ tax_rate_id: inclusive.id, mode: 'inclusive', amount: 131_250 }],
      },
      { amount: 99, tax_amount: 0, taxes: [] },
    ]);
    await w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
    const usd = ((await w.get('reports/trial-balance')).currencies as Json[])[0]!;
    expect(usd.accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: 'sales_returns', debit: 3_500_099 }),
        expect.objectContaining({ account: 'tax_payable', debit: 262_500 }),
        expect.objectContaining({ account: 'customer_credit', credit: 3_762_599 }),
      ]),
    );
    await w.post(`credit-notes/${String(note.id)}/apply`, { invoice_id: invoices[0]!.id }, 200);
    expect(await w.balance(ada.id)).toMatchObject({ outstanding: 0, credit: 3_752_599 });
    await w.checkBooks();
  });

  it('untied credit is applied automatically to the next billing run’s invoice', async () => {
    const edge = await startEdge();
    const { w, ada } = await billedWorld(edge, 1);
    await w.pay(ada.id, 10_000);
    const note = await w.post('credit-notes', {
      subscriber_id: ada.id,
      reason: 'loyalty',
      lines: [{ description: 'Loyalty credit', amount: 4_000 }],
    });
    await w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
    expect(await w.balance(ada.id)).toMatchObject({ outstanding: 0, credit: 4_000 });
    edge.clock.now = monthly(1);
    await w.bill(edge.clock.now);
    const next = (await w.invoices(ada.id))[1]!;
    expect(next).toMatchObject({ total: 10_000, balance_due: 6_000, status: 'partially_paid' });
    expect(await w.get(`credit-notes/${String(note.id)}`)).toMatchObject({ status: 'applied', remaining: 0 });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 6_000, credit: 0, overdue: 0 });
    await w.checkBooks();
  });

  it('void: a draft freely, an issued unapplied note by reversing its issue entry', async () => {
    const edge = await startEdge();
    const { w, ada } = await billedWorld(edge, 1);
    const draft = await w.post('credit-notes', {
      subscriber_id: ada.id,
      reason: 'typo',
      lines: [{ description: 'x', amount: 100 }],
    });
    expect(await w.post(`credit-notes/${String(draft.id)}/void`, { reason: 'typo' }, 200)).toMatchObject({
      status: 'void',
      remaining: 0,
      voided_at: expect.any(String),
    });
    const note = await w.post('credit-notes', {
      subscriber_id: ada.id,
      reason: 'wrong customer',
      lines: [{ description: 'y', amount: 2_000 }],
    });
    await w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
    expect(await w.balance(ada.id)).toMatchObject({ credit: 2_000 });
    expect(await w.post(`credit-notes/${String(note.id)}/void`, { reason: 'wrong customer' }, 200)).toMatchObject({
      status: 'void',
      remaining: 0,
    });
    expect(await w.balance(ada.id)).toMatchObject({ outstanding: 10_000, credit: 0 });
    const [reversal, issue] = (await w.get('journal?limit=2')).data!;
    expect(reversal).toMatchObject({ kind: 'credit_note.voided', reverses_entry_id: issue!.id });
    // A void note is not spent by a billing run.
    edge.clock.now = monthly(1);
    await w.bill(edge.clock.now);
    expect((await w.invoices(ada.id))[1]).toMatchObject({ balance_due: 10_000 });
    await w.checkBooks();
  });
});
