import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';
import { billedWorld, moneySnapshot } from '../support/billing.ts';

describe('invoices: refused transitions write nothing', () => {
  it(
    'void of a paid or partially paid invoice is 409, as is voiding ' +
      'or writing off twice; bad input 400, unknown 404',
    async () => {
      const edge = await startEdge();
      const { w, ada, invoices } = await billedWorld(edge, 3);
      const [first, second, third] = invoices as [Json, Json, Json];
      await w.pay(ada.id, 15_000);
      expect(await w.invoice(first.id)).toMatchObject({ status: 'paid' });
      expect(await w.invoice(second.id)).toMatchObject({ status: 'partially_paid' });
      await w.post(`invoices/${String(third.id)}/void`, { reason: 'x' }, 200);
      const before = await moneySnapshot(w);
      const post = (id: unknown, action: string, body: unknown = { reason: 'because' }) =>
        edge.call('POST', `/api/v1/invoices/${String(id)}/${action}`, { token: w.token, body });
      expectProblem(await post(first.id, 'void'), 409, 'invalid_state');
      expectProblem(await post(second.id, 'void'), 409, 'invalid_state');
      expectProblem(await post(third.id, 'void'), 409, 'invalid_state');
      expectProblem(await post(first.id, 'write-off'), 409, 'invalid_state');
      expectProblem(await post(third.id, 'write-off'), 409, 'invalid_state');
      expectProblem(await post(second.id, 'void', {}), 400, 'validation_failed');
      expectProblem(await post(second.id, 'write-off', { reason: '' }), 400, 'validation_failed');
      expectProblem(await post(crypto.randomUUID(), 'void'), 404, 'not_found');
      expectProblem(await post(crypto.randomUUID(), 'write-off'), 404, 'not_found');
      expectProblem(await post('INV-000001', 'void'), 400);
      expectProblem(
        await edge.call('GET', `/api/v1/invoices/${crypto.randomUUID()}`, { token: w.token }),
        404,
        'not_found',
      );
      expectProblem(
        await edge.call('GET', '/api/v1/invoices?status=unpaid', { token: w.token }),
        400,
        'validation_failed',
      );
      expect(await moneySnapshot(w)).toBe(before);

      await w.post(`invoices/${String(second.id)}/write-off`, { reason: 'gone' }, 200);
      const after = await moneySnapshot(w);
      expectProblem(await post(second.id, 'write-off'), 409, 'invalid_state');
      expectProblem(await post(second.id, 'void'), 409, 'invalid_state');
      // Terminal invoices take no more money or credit.
      const pay = await edge.call('POST', '/api/v1/payments', {
        token: w.token,
        body: {
          subscriber_id: ada.id,
          amount: 100,
          currency: 'USD',
          method: 'cash',
          allocations: [{ invoice_id: second.id, amount: 100 }],
        },
      });
      expectProblem(pay, 422, 'unprocessable');
      expect(await moneySnapshot(w)).toBe(after);
      await w.checkBooks();
    },
  );

  it('a refund never reopens a written-off invoice: what it would take back from one is refused', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 1);
    const inv = invoices[0]!;
    const payment = await w.pay(ada.id, 6_000);
    await w.post(`invoices/${String(inv.id)}/write-off`, { reason: 'rest uncollectable' }, 200);
    const before = await moneySnapshot(w);
    expectProblem(
      await edge.call('POST', `/api/v1/payments/${String(payment.id)}/refunds`, {
        token: w.token,
        body: { amount: 1_000 },
      }),
      409,
      'invalid_state',
    );
    expect(await moneySnapshot(w)).toBe(before);
    expect(await w.invoice(inv.id)).toMatchObject({ status: 'written_off', balance_due: 0 });
    await w.checkBooks();
  });

  it('a refund may still take what a payment left as credit after its invoice was written off', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 1);
    const payment = await w.pay(ada.id, 6_000, { allocations: [{ invoice_id: invoices[0]!.id, amount: 4_000 }] });
    await w.post(`invoices/${String(invoices[0]!.id)}/write-off`, { reason: 'rest uncollectable' }, 200);
    expect(await w.post(`payments/${String(payment.id)}/refunds`, { amount: 2_000 })).toMatchObject({
      from_credit: 2_000,
      from_invoices: 0,
    });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 0, credit: 0, overdue: 0 });
    await w.checkBooks();
  });
});
