// Issue 13, defect 10: a chunk boundary never splits one subscriber's period over two invoices.
import { describe, expect, it } from 'vitest';
import { billChunk, type BillingCursor } from '../../edge/services/billing-runs/bill-subscriptions.ts';
import { loadBillingCatalog } from '../../edge/services/subscriptions/billing-catalog.ts';
import { usageWorld } from '../support/billing.ts';
import { startEdge, startTime } from '../support/edge-app.ts';

describe('billing run chunks', () => {
  it('bill all of a subscriber’s due subscriptions in the chunk that meets the first, on one invoice', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer();
    const ada = await w.subscriber();
    const bob = await w.subscriber();
    for (const owner of [ada, ada, bob, ada])
      await w.subscribe({ offerId: offer.id, subscriberId: owner.id, at: startTime });
    const asOf = new Date(startTime);
    const now = new Date(edge.clock.now);
    // Chunks of one subscription: the walk meets Ada's three in different chunks.
    let cursor: BillingCursor = null;
    const seen: number[] = [];
    for (;;) {
      const chunk = await w.inTransaction(async (tx) =>
        billChunk(tx, {
          catalog: await loadBillingCatalog(tx, now),
          timeZone: 'UTC',
          runId: 'test-run',
          asOf,
          now,
          cursor,
          limit: 1,
        }),
      );
      seen.push(chunk.invoices);
      cursor = chunk.cursor;
      if (chunk.seen < 1) break;
    }
    const perSubscriber = await w.rows(
      'SELECT subscriber_id, count(*) AS invoices, sum((SELECT count(*) FROM invoice_lines l WHERE l.invoice_id = ' +
        'i.id)) AS lines FROM invoices i GROUP BY subscriber_id',
    );
    expect(perSubscriber.map((r) => [r.subscriber_id === ada.id ? 'ada' : 'bob', r.invoices, r.lines]).sort()).toEqual([
      ['ada', 1, 3],
      ['bob', 1, 1],
    ]);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(2);
    await w.checkBooks();
  });
});
