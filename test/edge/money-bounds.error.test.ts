// Issue 13, defect 11 (money): amounts are bounded to what money can be, one schema for
// every amount, and sums are exact however large: a ledger whose totals passed 2^53 (from
// amounts accepted before the bound) keeps answering, with the exact digits.
import { describe, expect, it } from 'vitest';
import { billingWorld } from '../support/billing.ts';
import { expectProblem, startEdge, startTime } from '../support/edge-app.ts';

const huge = Number.MAX_SAFE_INTEGER; // 2^53 − 1

describe('money bounds', () => {
  it('refuses amounts beyond the bound on every money input, writing nothing', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const ada = await w.subscriber();
    const tooMuch = 1_000_000_000_000; // 10^12: one more than the largest amount
    const refused = [
      ['POST', 'payments', { subscriber_id: ada.id, amount: huge, currency: 'USD', method: 'cash' }],
      ['POST', 'payments', { subscriber_id: ada.id, amount: tooMuch, currency: 'USD', method: 'cash' }],
      [
        'POST',
        'offers',
        {
          code: 'BIG',
          name: 'Big',
          service_type: 'residential',
          access_type: 'fiber',
          billing_cycle: 'monthly',
          billing_mode: 'postpaid',
          prices: [{ currency: 'USD', amount: tooMuch }],
        },
      ],
      [
        'POST',
        'credit-notes',
        { subscriber_id: ada.id, currency: 'USD', reason: 'x', lines: [{ description: 'x', amount: tooMuch }] },
      ],
      ['PATCH', `subscribers/${String(ada.id)}`, { min_balance: tooMuch }],
    ] as const;
    for (const [method, path, body] of refused) {
      expectProblem(await edge.call(method, `/api/v1/${path}`, { token: w.token, body }), 400, 'validation_failed');
    }
    expect(await w.count('payments')).toBe(0);
    expect(await w.count('offers')).toBe(0);
    expect(await w.count('credit_notes')).toBe(0);
    // The largest amount is accepted.
    expect(
      await w.post('payments', { subscriber_id: ada.id, amount: tooMuch - 1, currency: 'USD', method: 'cash' }),
    ).toMatchObject({ amount: tooMuch - 1 });
  });

  it('sums a ledger past 2^53 exactly: trial balance, balance and the next payment still answer', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const ada = await w.subscriber();
    // Two payments of 2^53 − 1, as an earlier version accepted them.
    for (const n of [1, 2]) {
      const id = `0192f0c0-0000-7000-8000-00000000000${n}`;
      await w.rows(
        `INSERT INTO journal_entries (id, kind, memo, subscriber_id, currency, source_type, source_id, occurred_at) ` +
          `VALUES (?, 'payment.received', 'legacy', ?, 'USD', 'payment', ?, ?)`,
        [id, String(ada.id), id, startTime],
      );
      await w.rows(
        `INSERT INTO journal_lines (entry_id, account, subscriber_id, currency, debit, credit) VALUES (?, 'cash', ` +
          `NULL, 'USD', ?, 0), (?, 'customer_credit', ?, 'USD', 0, ?)`,
        [id, huge, id, String(ada.id), huge],
      );
    }
    const exact = (2n * BigInt(huge)).toString(); // 18014398509481982
    const trial = await edge.call('GET', '/api/v1/reports/trial-balance', { token: w.token });
    expect(trial.status).toBe(200);
    expect(trial.text).toContain(`"account":"cash","debit":${exact},"credit":0,"balance":${exact}`);
    expect(trial.text).toContain(`"total_debit":${exact},"total_credit":${exact},"balanced":true`);
    const balance = await edge.call('GET', `/api/v1/subscribers/${String(ada.id)}/balance?currency=USD`, {
      token: w.token,
    });
    expect(balance.status).toBe(200);
    expect(balance.text).toContain(`"credit":${exact}`);
    expect(
      await w.post('payments', { subscriber_id: ada.id, amount: 500, currency: 'USD', method: 'cash' }),
    ).toMatchObject({ amount: 500 });
    const after = await edge.call('GET', '/api/v1/reports/trial-balance', { token: w.token });
    expect(after.text).toContain(`"debit":${(2n * BigInt(huge) + 500n).toString()}`);
  });
});
