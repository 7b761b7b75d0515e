import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';
import { billedWorld, moneySnapshot, otherSubscriber, type BillingWorld } from '../support/billing.ts';

const issuedNote = async (w: BillingWorld, body: Json) => {
  const note = await w.post('credit-notes', {
    reason: 'because',
    lines: [{ description: 'credit', amount: 3_000 }],
    ...body,
  });
  return w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
};

describe('credit notes: refused requests write nothing', () => {
  it('bad input is 400, unknown references 404, another subscriber’s invoice 422', async () => {
    const edge = await startEdge();
    const { w, ada, offer } = await billedWorld(edge, 1);
    const { invoice: bobs } = await otherSubscriber(w, offer.id);
    const valid = { subscriber_id: ada.id, reason: 'r', lines: [{ description: 'd', amount: 100 }] };
    const before = await moneySnapshot(w);
    const post = (body: unknown) => edge.call('POST', '/api/v1/credit-notes', { token: w.token, body });
    for (const body of [
      { ...valid, lines: [] },
      { ...valid, lines: [{ description: 'd', amount: 0 }] },
      { ...valid, lines: [{ description: 'd', amount: -100 }] },
      { ...valid, lines: [{ description: 'd', amount: 1.5 }] },
      { ...valid, lines: [{ description: '', amount: 100 }] },
      { ...valid, reason: ' ' },
      { ...valid, currency: 'eur' },
      { ...valid, invoice_id: 'INV-000001' },
      { ...valid, extra: 1 },
    ]) {
      expectProblem(await post(body), 400, 'validation_failed');
    }
    expectProblem(await post({ ...valid, subscriber_id: crypto.randomUUID() }), 404, 'not_found');
    expectProblem(await post({ ...valid, invoice_id: crypto.randomUUID() }), 404, 'not_found');
    expectProblem(
      await post({ ...valid, lines: [{ description: 'd', amount: 100, tax_rate_id: crypto.randomUUID() }] }),
      404,
      'not_found',
    );
    expect(expectProblem(await post({ ...valid, invoice_id: bobs.id }), 422, 'unprocessable').errors).toEqual([
      { path: 'invoice_id', message: expect.any(String) },
    ]);
    expectProblem(await post({ ...valid, invoice_id: bobs.id, subscriber_id: ada.id, currency: 'EUR' }), 422);
    expect(await moneySnapshot(w)).toBe(before);
  });

  it(
    'applying: a tied note elsewhere 422, a paid invoice 409, a ' +
      'draft or void note 409, too much 422, no invoice 400',
    async () => {
      const edge = await startEdge();
      const { w, ada, offer, invoices } = await billedWorld(edge, 3);
      const [first, second, third] = invoices as [Json, Json, Json];
      const { invoice: bobs } = await otherSubscriber(w, offer.id);
      await w.pay(ada.id, 10_000, { allocations: [{ invoice_id: first.id, amount: 10_000 }] });
      const tied = await issuedNote(w, { subscriber_id: ada.id, invoice_id: second.id });
      const untied = await issuedNote(w, { subscriber_id: ada.id });
      const draft = await w.post('credit-notes', {
        subscriber_id: ada.id,
        reason: 'd',
        lines: [{ description: 'd', amount: 10 }],
      });
      const eur = await issuedNote(w, { subscriber_id: ada.id, currency: 'EUR' });
      const before = await moneySnapshot(w);
      const apply = (note: Json, body?: Json) =>
        edge.call('POST', `/api/v1/credit-notes/${String(note.id)}/apply`, {
          token: w.token,
          ...(body ? { body } : {}),
        });

      expect(expectProblem(await apply(tied, { invoice_id: third.id }), 422, 'unprocessable').errors).toEqual([
        { path: 'invoice_id', message: `must be ${String(second.id)}` },
      ]);
      expectProblem(await apply(untied, { invoice_id: first.id }), 409, 'invalid_state');
      expectProblem(await apply(untied, { invoice_id: bobs.id }), 422, 'unprocessable');
      expectProblem(await apply(eur, { invoice_id: third.id }), 422, 'unprocessable');
      expectProblem(await apply(untied), 400, 'validation_failed');
      expectProblem(await apply(untied, { invoice_id: third.id, amount: 3_001 }), 422, 'unprocessable');
      expectProblem(await apply(untied, { invoice_id: third.id, amount: 0 }), 400, 'validation_failed');
      expectProblem(await apply(untied, { invoice_id: crypto.randomUUID() }), 404, 'not_found');
      expectProblem(await apply(draft, { invoice_id: third.id }), 409, 'invalid_state');
      expectProblem(await apply({ id: crypto.randomUUID() }, { invoice_id: third.id }), 404, 'not_found');
      expect(await moneySnapshot(w)).toBe(before);

      // Over the invoice's balance: 9,000 due, a 3,000 note, 1,000 of it asked beyond.
      await w.pay(ada.id, 1_000, { allocations: [{ invoice_id: third.id, amount: 1_000 }] });
      await w.pay(ada.id, 7_000, { allocations: [{ invoice_id: third.id, amount: 7_000 }] });
      const big = await issuedNote(w, { subscriber_id: ada.id, lines: [{ description: 'big', amount: 5_000 }] });
      const snapshot = await moneySnapshot(w);
      expectProblem(await apply(big, { invoice_id: third.id, amount: 2_001 }), 422, 'unprocessable');
      expect(await moneySnapshot(w)).toBe(snapshot);
      await w.checkBooks();
    },
  );

  it(
    'void: an applied or partially applied note is 409; ' + 'issue twice 409; a void note cannot be issued or applied',
    async () => {
      const edge = await startEdge();
      const { w, ada, invoices } = await billedWorld(edge, 1);
      const inv = invoices[0]!;
      const partly = await issuedNote(w, { subscriber_id: ada.id });
      await w.post(`credit-notes/${String(partly.id)}/apply`, { invoice_id: inv.id, amount: 1_000 }, 200);
      const full = await issuedNote(w, { subscriber_id: ada.id });
      await w.post(`credit-notes/${String(full.id)}/apply`, { invoice_id: inv.id }, 200);
      const voided = await w.post('credit-notes', {
        subscriber_id: ada.id,
        reason: 'x',
        lines: [{ description: 'x', amount: 5 }],
      });
      await w.post(`credit-notes/${String(voided.id)}/void`, { reason: 'x' }, 200);
      const before = await moneySnapshot(w);
      const post = (note: Json, action: string, body?: unknown) =>
        edge.call('POST', `/api/v1/credit-notes/${String(note.id)}/${action}`, {
          token: w.token,
          ...(body ? { body } : {}),
        });
      expectProblem(await post(partly, 'void', { reason: 'no' }), 409, 'invalid_state');
      expectProblem(await post(full, 'void', { reason: 'no' }), 409, 'invalid_state');
      expectProblem(await post(full, 'issue'), 409, 'invalid_state');
      expectProblem(await post(voided, 'issue'), 409, 'invalid_state');
      expectProblem(await post(voided, 'void', { reason: 'again' }), 409, 'invalid_state');
      expectProblem(await post(voided, 'apply', { invoice_id: inv.id }), 409, 'invalid_state');
      expectProblem(await post(partly, 'void'), 400, 'validation_failed');
      expect(await moneySnapshot(w)).toBe(before);
      await w.checkBooks();
    },
  );

  it('a draft tied to an invoice voided since cannot be issued (409), and nothing is written', async () => {
    const edge = await startEdge();
    const { w, ada, invoices } = await billedWorld(edge, 1);
    const draft = await w.post('credit-notes', {
      subscriber_id: ada.id,
      invoice_id: invoices[0]!.id,
      reason: 'r',
      lines: [{ description: 'd', amount: 1_000 }],
    });
    await w.post(`invoices/${String(invoices[0]!.id)}/void`, { reason: 'billed in error' }, 200);
    const before = await moneySnapshot(w);
    expectProblem(
      await edge.call('POST', `/api/v1/credit-notes/${String(draft.id)}/issue`, { token: w.token }),
      409,
      'invalid_state',
    );
    expect(await moneySnapshot(w)).toBe(before);
    expect(await w.post(`credit-notes/${String(draft.id)}/void`, { reason: 'invoice void' }, 200)).toMatchObject({
      status: 'void',
    });
    expect(await w.balance(ada.id)).toEqual({ currency: 'USD', outstanding: 0, credit: 0, overdue: 0 });
    await w.checkBooks();
  });
});
