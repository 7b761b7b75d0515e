// Issue 13 "one list helper": every list hands out opaque cursors (never a row's id or
// name a client could build one from), follows them, and refuses any other cursor.
import { describe, expect, it } from 'vitest';
import { hour, ownerWorld } from '../support/billing.ts';
import { expectProblem, startEdge, startTime, unique, type Json } from '../support/edge-app.ts';

describe('list cursors', () => {
  it('are opaque, lead to the next page, and a raw id or name is refused as a cursor', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const post = async (path: string, body: Json) =>
      edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), 201).body;
    for (let i = 0; i < 2; i++) {
      await post('tags', { name: unique('tag') });
      await post('leads', { last_name: unique('L'), email: `${unique('l')}@x.test`, source: 'web' });
      await post('tickets', { subject: unique('T') });
      await post('subscribers', { last_name: unique('S') });
      await post('custom-fields', { key: unique('f'), label: 'F', type: 'text' });
      edge.clock.now += 1;
    }
    for (const list of ['tags', 'leads', 'tickets', 'subscribers', 'custom-fields']) {
      const first = edge.ok(await edge.call('GET', `/api/v1/${list}?limit=1`, { token }), 200).body;
      const [row] = first.data!;
      const cursor = String(first.next_cursor);
      for (const value of [row!.id, row!.name, row!.key].filter((v) => typeof v === 'string')) {
        expect(cursor, list).not.toContain(String(value));
        expect(cursor.toLowerCase(), list).not.toContain(String(value).toLowerCase());
      }
      const second = edge.ok(await edge.call('GET', `/api/v1/${list}?limit=1&cursor=${cursor}`, { token }), 200).body;
      expect(
        second.data!.map((r) => r.id),
        list,
      ).not.toContain(row!.id);
      expect(second.data, list).toHaveLength(1);
      expect(second.next_cursor, list).toBeNull();
      const raw = expectProblem(
        await edge.call('GET', `/api/v1/${list}?limit=1&cursor=${String(row!.id)}`, { token }),
        400,
        'validation_failed',
      );
      expect(raw.errors, list).toEqual([{ path: 'cursor', message: 'not a cursor this API returned' }]);
    }
  });
});

describe('billing run list', () => {
  // It returned the newest `limit` runs and next_cursor null: older runs could not be reached.
  it('pages every run once, newest first, with opaque cursors', async () => {
    const w = await ownerWorld();
    const ids: string[] = [];
    for (let h = 0; h < 5; h++) {
      await w.travel(startTime + h * hour);
      ids.push(String((await w.bill(startTime + h * hour)).id));
    }
    const seen: string[] = [];
    let cursor: unknown = null;
    do {
      const page = await w.get(`billing-runs?limit=2${cursor ? `&cursor=${String(cursor)}` : ''}`);
      expect(page.data!.length).toBeLessThanOrEqual(2);
      seen.push(...page.data!.map((run) => String(run.id)));
      cursor = page.next_cursor;
      if (cursor) expect(String(cursor)).not.toContain(seen.at(-1));
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const raw = expectProblem(
      await w.edge.call('GET', `/api/v1/billing-runs?cursor=${ids[2]!}`, { token: w.auth.token }),
      400,
      'validation_failed',
    );
    expect(raw.errors).toEqual([{ path: 'cursor', message: 'not a cursor this API returned' }]);
  });
});

describe("a billing run's failures", () => {
  it('ride on the run up to 100, with the cursor of GET …/failures, which pages them all once', async () => {
    const w = await ownerWorld();
    const small = await w.bill(startTime);
    const big = await w.bill(startTime + hour);
    // A run that met 123 subscriptions it could not price (written as the run writes them).
    for (let i = 0; i < 123; i++)
      await w.rows(
        'INSERT INTO billing_run_failures (id, run_id, subscription_id, message, created_at) VALUES (?, ?, ?, ?, 0)',
        [`f-${String(i).padStart(4, '0')}`, String(big.id), `sub-${i}`, `cannot price ${i}`],
      );
    const run = await w.get(`billing-runs/${String(big.id)}`);
    expect((run.failures as Json[]).map((f) => f.subscription_id)).toEqual(
      Array.from({ length: 100 }, (_, i) => `sub-${i}`),
    );
    expect(run.failures_next_cursor).toEqual(expect.any(String));
    const listed = (await w.get('billing-runs')).data!;
    expect(listed.map((r) => [r.id, (r.failures as Json[]).length, r.failures_next_cursor])).toEqual([
      [big.id, 100, run.failures_next_cursor],
      [small.id, 0, null],
    ]);
    const rest = await w.get(`billing-runs/${String(big.id)}/failures?cursor=${String(run.failures_next_cursor)}`);
    expect(rest.data!.map((f) => f.subscription_id)).toEqual([
      'sub-100',
      'sub-101',
      ...Array.from({ length: 21 }, (_, i) => `sub-${i + 102}`),
    ]);
    expect(rest.next_cursor).toBeNull();
    const seen: unknown[] = [];
    let cursor: unknown = null;
    do {
      const page = await w.get(
        `billing-runs/${String(big.id)}/failures?limit=50${cursor ? `&cursor=${String(cursor)}` : ''}`,
      );
      seen.push(...page.data!.map((f) => f.subscription_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 123 }, (_, i) => `sub-${i}`));
    const csv = (
      await w.edge.call('GET', `/api/v1/billing-runs/${String(big.id)}/failures?format=csv`, { token: w.auth.token })
    ).text;
    expect(csv.split('\r\n')).toHaveLength(125);
    expectProblem(
      await w.edge.call('GET', `/api/v1/billing-runs/${crypto.randomUUID()}/failures`, { token: w.auth.token }),
      404,
      'not_found',
    );
  });
});

describe("a collections run's actions", () => {
  it('ride on the run up to 100, with the cursor of GET …/actions, which pages them all once', async () => {
    const w = await ownerWorld();
    const run = await w.post('collections/runs', { as_of: new Date(startTime).toISOString() });
    expect(run.actions).toEqual([]);
    expect(run.actions_next_cursor).toBeNull();
    // A run that acted 105 times (written as the run writes them, by position).
    for (let i = 0; i < 105; i++)
      await w.rows(
        `INSERT INTO collection_run_actions (run_id, position, subscriber_id, action, reason, step)
         VALUES (?, ?, ?, 'notify', 'overdue', 7)`,
        [String(run.id), i, `sub-${i}`],
      );
    const read = await w.get(`collections/runs/${String(run.id)}`);
    expect((read.actions as Json[]).map((a) => a.subscriber_id)).toEqual(
      Array.from({ length: 100 }, (_, i) => `sub-${i}`),
    );
    const rest = await w.get(`collections/runs/${String(run.id)}/actions?cursor=${String(read.actions_next_cursor)}`);
    expect(rest.data!.map((a) => a.subscriber_id)).toEqual(['sub-100', 'sub-101', 'sub-102', 'sub-103', 'sub-104']);
    expect(rest.next_cursor).toBeNull();
    const seen: unknown[] = [];
    let cursor: unknown = null;
    do {
      const query = `limit=40${cursor ? `&cursor=${String(cursor)}` : ''}`;
      const page = await w.get(`collections/runs/${String(run.id)}/actions?${query}`);
      seen.push(...page.data!.map((a) => a.subscriber_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 105 }, (_, i) => `sub-${i}`));
    const path = `/api/v1/collections/runs/${String(run.id)}/actions`;
    const csv = (await w.edge.call('GET', `${path}?format=csv`, { token: w.auth.token })).text.split('\r\n');
    expect(csv[0]).toBe('action,reason,step,subscriber_id,subscription_id,invoice_id');
    expect(csv[1]).toBe('"notify","overdue","7","sub-0","",""');
    expect(csv).toHaveLength(107);
    expectProblem(await w.edge.call('GET', `${path}?cursor=abc`, { token: w.auth.token }), 400, 'validation_failed');
  });
});
