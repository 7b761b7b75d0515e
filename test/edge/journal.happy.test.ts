import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';

describe('journal listing', () => {
  it('pages newest first by entry sequence and refuses a cursor it did not make', async () => {
    const edge = await startEdge();
    const { owner } = await edge.createTenant();
    const subscriber = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token: owner.token,
        body: { first_name: 'Ada', last_name: 'Lovelace' },
      }),
      201,
    ).body;
    for (const amount of [100, 200, 300]) {
      edge.ok(
        await edge.call('POST', '/api/v1/payments', {
          token: owner.token,
          body: { subscriber_id: subscriber.id, amount, currency: 'USD', method: 'cash', reference: `r${amount}` },
        }),
        201,
      );
    }
    const first = edge.ok(await edge.call('GET', '/api/v1/journal?limit=2', { token: owner.token }), 200).body;
    const amounts = (page: typeof first) =>
      page.data!.map((e) => (e.lines as { account: string; debit: number }[]).find((l) => l.account === 'cash')!.debit);
    expect(amounts(first)).toEqual([300, 200]);
    const second = edge.ok(
      await edge.call('GET', `/api/v1/journal?limit=2&cursor=${String(first.next_cursor)}`, { token: owner.token }),
      200,
    ).body;
    expect(amounts(second)).toEqual([100]);
    expect(second.next_cursor).toBeNull();
    expectProblem(
      await edge.call('GET', '/api/v1/journal?cursor=abc', { token: owner.token }),
      400,
      'validation_failed',
    );
  });
});
