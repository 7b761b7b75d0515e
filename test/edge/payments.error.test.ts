import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';
import { billedWorld, moneySnapshot, otherSubscriber } from '../support/billing.ts';

describe('payments: refused requests write nothing', () => {
  it('bad input is a 400 with the field named', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 1);
    const valid = { subscriber_id: ada.id, amount: 1_000, currency: 'USD', method: 'cash' };
    const before = await moneySnapshot(w);
    const cases: [Json, string][] = [
      [{ ...valid, amount: 0 }, 'amount'],
      [{ ...valid, amount: -5 }, 'amount'],
      [{ ...valid, amount: 10.5 }, 'amount'],
      [{ ...valid, amount: '1000' }, 'amount'],
      [{ ...valid, amount: 2 ** 53 }, 'amount'],
      [{ ...valid, currency: 'usd' }, 'currency'],
      [{ ...valid, currency: 'US' }, 'currency'],
      [{ ...valid, method: 'card' }, 'method'],
      [{ ...valid, subscriber_id: 'SUB-000001' }, 'subscriber_id'],
      [{ ...valid, received_at: 'yesterday' }, 'received_at'],
      [{ ...valid, provider_event_id: '' }, 'provider_event_id'],
      [{ ...valid, surprise: true }, ''],
      [{ ...valid, allocations: [{ invoice_id: invoices[0]!.id, amount: 0 }] }, 'allocations.0.amount'],
      [{ ...valid, allocations: [{ invoice_id: invoices[0]!.id }] }, 'allocations.0.amount'],
      [{ ...valid, allocations: [{ invoice_id: 'INV-000001', amount: 10 }] }, 'allocations.0.invoice_id'],
      [{ amount: 1_000, currency: 'USD', method: 'cash' }, 'subscriber_id'],
    ];
    for (const [body, path] of cases) {
      const res = await edge.call('POST', '/api/v1/payments', { token: w.token, body });
      const problem = expectProblem(res, 400, 'validation_failed');
      if (path)
        expect(
          problem.errors?.map((e) => e.path),
          JSON.stringify(body),
        ).toContain(path);
    }
    expectProblem(await edge.call('POST', '/api/v1/payments', { token: w.token, body: '{"amount": 1' }), 400);
    // An unknown subscriber is a 404.
    expectProblem(
      await edge.call('POST', '/api/v1/payments', {
        token: w.token,
        body: { ...valid, subscriber_id: crypto.randomUUID() },
      }),
      404,
      'not_found',
    );
    expect(await moneySnapshot(w)).toBe(before);
  });

  it(
    'allocations to another subscriber’s invoice, ' + 'in another currency, over the balance or the payment are 422',
    async () => {
      const edge = await startEdge();
      const { w, ada, offer, invoices } = await billedWorld(edge, 2);
      const [first, second] = invoices as [Json, Json];
      const { invoice: bobs } = await otherSubscriber(w, offer.id);
      // A paid invoice is not open.
      const paid = await w.pay(ada.id, 10_000);
      expect(paid.allocations).toEqual([expect.objectContaining({ invoice_id: first.id })]);
      const before = await moneySnapshot(w);
      const pay = (amount: number, allocations: Json[], currency = 'USD') =>
        edge.call('POST', '/api/v1/payments', {
          token: w.token,
          body: { subscriber_id: ada.id, amount, currency, method: 'cash', allocations },
        });
      const cases: [ReturnType<typeof pay>, string][] = [
        [pay(5_000, [{ invoice_id: bobs.id, amount: 5_000 }]), 'allocations.0.invoice_id'],
        [pay(5_000, [{ invoice_id: crypto.randomUUID(), amount: 5_000 }]), 'allocations.0.invoice_id'],
        [pay(5_000, [{ invoice_id: second.id, amount: 5_000 }], 'EUR'), 'allocations.0.invoice_id'],
        [pay(20_000, [{ invoice_id: second.id, amount: 10_001 }]), 'allocations.0.amount'],
        [pay(5_000, [{ invoice_id: second.id, amount: 5_001 }]), 'allocations'],
        [pay(5_000, [{ invoice_id: first.id, amount: 1 }]), 'allocations.0.invoice_id'],
        [
          pay(5_000, [
            { invoice_id: second.id, amount: 1_000 },
            { invoice_id: second.id, amount: 1_000 },
          ]),
          'allocations.1.invoice_id',
        ],
      ];
      for (const [request, path] of cases) {
        const problem = expectProblem(await request, 422, 'unprocessable');
        expect(problem.errors?.map((e) => e.path)).toContain(path);
      }
      expect(await moneySnapshot(w)).toBe(before);
      await w.checkBooks();
    },
  );

  it('an Idempotency-Key sent with another body is a 422 and records nothing', async () => {
    const edge = await startEdge();
    const { w, ada } = await billedWorld(edge, 1);
    const send = (amount: number) =>
      edge.call('POST', '/api/v1/payments', {
        token: w.token,
        headers: { 'idempotency-key': 'k-1' },
        body: { subscriber_id: ada.id, amount, currency: 'USD', method: 'cash' },
      });
    edge.ok(await send(1_000), 201);
    const before = await moneySnapshot(w);
    expectProblem(await send(2_000), 422);
    expect(await moneySnapshot(w)).toBe(before);
  });

  it('refunds: more than is left is 422, a refunded payment 409, an unknown one 404, bad amounts 400', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 1);
    const payment = await w.pay(ada.id, 12_000);
    const refund = (body: unknown, id = String(payment.id)) =>
      edge.call('POST', `/api/v1/payments/${id}/refunds`, { token: w.token, body });
    let before = await moneySnapshot(w);
    expect(expectProblem(await refund({ amount: 12_001 }), 422, 'unprocessable').errors).toEqual([
      { path: 'amount', message: 'must be 1…12000' },
    ]);
    expectProblem(await refund({ amount: 0 }), 400, 'validation_failed');
    expectProblem(await refund({ amount: 1.5 }), 400, 'validation_failed');
    expectProblem(await refund({ amount: 5, extra: 1 }), 400, 'validation_failed');
    expectProblem(await refund({ amount: 5 }, crypto.randomUUID()), 404, 'not_found');
    expectProblem(await refund({ amount: 5 }, 'PAY-000001'), 400);
    expect(await moneySnapshot(w)).toBe(before);

    edge.ok(await refund({ amount: 5_000 }), 201);
    before = await moneySnapshot(w);
    expectProblem(await refund({ amount: 7_001 }), 422, 'unprocessable');
    expect(await moneySnapshot(w)).toBe(before);
    edge.ok(await refund({}), 201);
    expect(await w.invoice(invoices[0]!.id)).toMatchObject({ status: 'issued', balance_due: 10_000 });
    before = await moneySnapshot(w);
    expectProblem(await refund({}), 409, 'invalid_state');
    expectProblem(await refund({ amount: 1 }), 409, 'invalid_state');
    expect(await moneySnapshot(w)).toBe(before);
    await w.checkBooks();
  });
});
