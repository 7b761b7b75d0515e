// Issue 13 "one list helper": created_from / created_to (half-open) and updated_since on
// the money lists (invoices, payments, credit notes) and subscriptions, newest first.
import { describe, expect, it } from 'vitest';
import { hour, iso, ownerWorld } from '../support/billing.ts';
import { startTime } from '../support/edge-app.ts';

describe('created and updated windows on the billing lists', () => {
  it('filter invoices, payments, credit notes and subscriptions by when they were made and last changed', async () => {
    const w = await ownerWorld();
    const offer = await w.offer();
    const at = (h: number) => startTime + h * hour;
    const made: Record<string, string[]> = { subscriptions: [], invoices: [], payments: [], 'credit-notes': [] };
    for (const h of [0, 1, 2]) {
      await w.travel(at(h));
      const { subscriberId, id } = await w.activeSubscription(offer.id, at(h));
      made.subscriptions!.push(id);
      await w.bill(at(h));
      made.invoices!.push(String((await w.invoices(subscriberId))[0]!.id));
      made.payments!.push(String((await w.pay(subscriberId, 100)).id));
      made['credit-notes']!.push(
        String(
          (
            await w.post('credit-notes', {
              subscriber_id: subscriberId,
              reason: 'r',
              lines: [{ description: 'd', amount: 50 }],
            })
          ).id,
        ),
      );
    }
    // Hour 5: one change to the first of each.
    await w.travel(at(5));
    await w.post(`subscriptions/${made.subscriptions![0]!}/suspend`, { reason: 'r' }, 200);
    await w.post(`payments/${made.payments![0]!}/refunds`, { amount: 10 }, 201);
    await w.post(`invoices/${made.invoices![0]!}/write-off`, { reason: 'r' }, 200);
    await w.post(`credit-notes/${made['credit-notes']![0]!}/issue`, undefined, 200);

    for (const [list, ids] of Object.entries(made)) {
      const listed = async (query: string) => (await w.get(`${list}?${query}`)).data!.map((row) => row.id);
      expect(await listed(''), list).toEqual([...ids].reverse());
      expect(await listed(`created_from=${iso(at(1))}`), list).toEqual([ids[2], ids[1]]);
      expect(await listed(`created_to=${iso(at(1))}`), list).toEqual([ids[0]]);
      expect(await listed(`created_from=${iso(at(1))}&created_to=${iso(at(2))}`), list).toEqual([ids[1]]);
      expect(await listed(`updated_since=${iso(at(5))}`), list).toEqual([ids[0]]);
      expect(await listed(`updated_since=${iso(at(5) + 1)}`), list).toEqual([]);
      const bad = await w.edge.call('GET', `/api/v1/${list}?created_from=yesterday`, { token: w.auth.token });
      expect(bad.status, list).toBe(400);
    }
  });
});
