// Issue 13, defect 10: a discounted, prorated line is rounded once (business-rules.md
// "Money": half-up, once per line, never on intermediate ratios).
import { describe, expect, it } from 'vitest';
import { ownerWorld } from '../support/billing.ts';

describe('rounding', () => {
  it('prorates a percent discount exactly: 1,005 less 10 % for 15 of 30 days is 452 (452.25), not 453', async () => {
    const w = await ownerWorld();
    await w.travel('2031-04-16T09:00:00Z');
    const plan = await w.offer(1_005);
    const discount = await w.post('discounts', { code: 'TEN', name: 'Ten off', kind: 'percent', percent: '10' });
    const { subscriberId } = await w.activeSubscription(plan.id, '2031-04-16T09:00:00Z', {
      billing_anchor_day: 1,
      discount_id: discount.id,
    });
    await w.bill('2031-04-16T09:00:00Z');
    // The stub April 16 – May 1 is 15 of April's 30 days; May is whole: 904.5 → 905.
    await w.travel('2031-05-01T09:00:00Z');
    await w.bill('2031-05-01T09:00:00Z');
    expect((await w.invoices(subscriberId)).map((i) => i.total)).toEqual([452, 905]);
    await w.checkBooks();
  });
});
