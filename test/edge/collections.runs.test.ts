// Issue 13, defect 10: a collection run appends each chunk's actions; it never rewrites
// what earlier chunks stored (one JSON array rewritten per chunk made long runs quadratic).
import { describe, expect, it } from 'vitest';
import { startTime } from '../support/edge-app.ts';
import { billingWorld, brief, day, hour, startCollectionsEdge, type Action } from '../support/billing.ts';

describe('collection runs', () => {
  it('append their actions chunk by chunk, in order, without rewriting the run', async () => {
    const edge = await startCollectionsEdge();
    const w = await billingWorld(edge);
    const offer = await w.offer();
    // More overdue invoices than one chunk (200) marks: the run takes two chunks.
    const count = 201;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await w.activeSubscription(offer.id, startTime)).subscriberId);
    await w.billAt(startTime);
    const due = Date.parse(String((await w.invoices(ids[0]))[0]!.due_at));
    // Any rewrite of a stored run fails the run.
    await w.rows(
      `CREATE TRIGGER collection_runs_frozen BEFORE UPDATE ON collection_runs BEGIN SELECT RAISE(ABORT, 'run ` +
        `rewritten'); END`,
    );
    const run = await w.collect(due + 9 * hour);
    // The run embeds its first 100 actions; GET …/actions pages them all, in the order taken.
    expect(run.actions).toHaveLength(100);
    expect(await w.get(`collections/runs/${run.id}`)).toEqual(run);
    const actions = [...run.actions];
    for (let cursor = run.actions_next_cursor; cursor;) {
      const page = await w.get(`collections/runs/${run.id}/actions?limit=200&cursor=${String(cursor)}`);
      actions.push(...(page.data as unknown as Action[]));
      cursor = page.next_cursor;
    }
    expect(actions).toHaveLength(count);
    expect(new Set(actions.map((a) => a.invoice_id)).size).toBe(count);
    expect(new Set(brief(actions).map((a) => a.join()))).toEqual(new Set(['mark_overdue,overdue,,inv']));
    const [listed] = (await w.get('collections/runs?limit=1')).data!;
    expect(listed).toMatchObject({ id: run.id, action_counts: { mark_overdue: count } });
    // The next day's run restarts from nothing: no action is stored twice.
    expect((await w.collect(due + day + 9 * hour)).actions).toEqual([]);
  });
});
