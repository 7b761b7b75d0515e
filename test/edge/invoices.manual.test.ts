// Issue 13, new: manual invoices, one-off charges, invoice lookup by number.
import { describe, expect, it } from 'vitest';
import { billingWorld } from '../support/billing.ts';
import { expectProblem, startEdge, startTime, type Json } from '../support/edge-app.ts';

describe('manual invoices and one-off charges', () => {
  it('issues a manual invoice: numbered in sequence, taxed per line, journaled, found by number', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const vat = await w.post('tax-rates', { name: 'VAT', rate: '7.5', mode: 'exclusive' });
    const ada = await w.subscriber();
    await w.subscribe(ada.id, (await w.offer()).id, startTime);
    await w.bill(startTime);
    const manual = await w.post('invoices', {
      subscriber_id: ada.id,
      lines: [
        { description: 'Router', amount: 1_750_000, tax_rate_id: vat.id },
        { description: 'Cable, per metre', amount: 150, quantity: 20 },
      ],
    });
    expect(manual).toMatchObject({
      number: 'INV-000002',
      kind: 'manual',
      status: 'issued',
      subtotal: 1_753_000,
      tax_total: 131_250,
      total: 1_884_250,
    });
    expect((manual.lines as Json[]).map((l) => [l.kind, l.quantity, l.amount, l.tax_amount])).toEqual([
      ['one_time', 1, 1_750_000, 131_250],
      ['one_time', 20, 3_000, 0],
    ]);
    const found = await w.get('invoices?number=INV-000002');
    expect(found.data).toEqual([manual]);
    expect((await w.get('invoices?number=INV-999999')).data).toEqual([]);
    const [entry] = (await w.get(`journal?subscriber_id=${String(ada.id)}&limit=1`)).data as Json[];
    expect(entry).toMatchObject({ kind: 'invoice.issued', source_id: manual.id });
    await w.checkBooks();
  });

  it(
    'refuses a manual invoice for an unknown subscriber, another subscriber’s subscription or a negative total, ' +
      'writing nothing',
    async () => {
      const edge = await startEdge();
      const w = await billingWorld(edge);
      const ada = await w.subscriber();
      const bob = await w.activeSubscription((await w.offer()).id, startTime);
      const call = (body: unknown) => edge.call('POST', '/api/v1/invoices', { token: w.token, body });
      expectProblem(
        await call({ subscriber_id: crypto.randomUUID(), lines: [{ description: 'x', amount: 100 }] }),
        404,
      );
      expectProblem(
        await call({ subscriber_id: ada.id, lines: [{ description: 'x', amount: 100, subscription_id: bob.id }] }),
        422,
        'unprocessable',
      );
      expectProblem(
        await call({ subscriber_id: ada.id, lines: [{ description: 'x', amount: -100 }] }),
        422,
        'unprocessable',
      );
      expectProblem(await call({ subscriber_id: ada.id, lines: [] }), 400, 'validation_failed');
      expect(await w.count('invoices')).toBe(0);
      expect(await w.count("document_sequences WHERE prefix = 'INV'")).toBe(0);
    },
  );

  it('bills a one-off charge on the next invoice, or on its own when nothing else will bill', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const ada = await w.subscriber();
    await w.subscribe(ada.id, (await w.offer()).id, startTime);
    const bob = await w.subscriber();
    const charge = await w.post(`subscribers/${String(ada.id)}/charges`, {
      description: 'Technician visit',
      amount: 4_500,
    });
    expect(charge).toMatchObject({ kind: 'one_time', amount: 4_500, tax_amount: 0, currency: 'USD' });
    await w.post(`subscribers/${String(bob.id)}/charges`, { description: 'Late fee', amount: 500 });
    expect((await w.get(`subscribers/${String(ada.id)}/charges`)).data).toEqual([charge]);
    await w.bill(startTime);
    // Ada's rides on her recurring invoice; Bob has no service, so his gets one of its own.
    const [adaInvoice] = await w.invoices(ada.id);
    expect((adaInvoice!.lines as Json[]).map((l) => [l.kind, l.amount])).toEqual([
      ['recurring', 10_000],
      ['one_time', 4_500],
    ]);
    expect((await w.invoices(bob.id)).map((i) => [i.kind, i.total])).toEqual([['recurring', 500]]);
    expect((await w.get(`subscribers/${String(ada.id)}/charges`)).data).toEqual([]);
    expect(await w.bill(startTime)).toMatchObject({ invoices_created: 0 });
    await w.checkBooks();
  });
});
