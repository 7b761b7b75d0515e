// Issue 13 "nested lists paged": a subscriber's addresses, contacts and tags are lists of
// their own (limit, opaque cursor, CSV), and the subscriber embeds only the first 50 of each,
// with the cursor that continues them.
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../edge/lib/csv.ts';
import { expectProblem, startEdge, type Json, type TestEdge } from '../support/edge-app.ts';

async function world() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  const call = async (method: string, path: string, status: number, body?: unknown) =>
    edge.ok(await edge.call(method, `/api/v1/${path}`, { token, body }), status).body;
  const subscriber = await call('POST', 'subscribers', 201, { first_name: 'Ada', last_name: 'Lovelace' });
  return { edge, token, call, id: String(subscriber.id) };
}

/** Every row of a nested list in pages of `limit`, and the cursors it was given. */
async function walk(edge: TestEdge, token: string, path: string, limit: number) {
  const rows: Json[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const page = edge.ok(await edge.call('GET', `/api/v1/${path}?${query}`, { token }), 200).body;
    expect(page.data!.length).toBeLessThanOrEqual(limit);
    rows.push(...page.data!);
    cursor = page.next_cursor as string | null;
    if (cursor) cursors.push(cursor);
  } while (cursor);
  return { rows, cursors };
}

describe("a subscriber's nested lists", () => {
  it('page addresses, contacts and tags with opaque cursors, each row once, in one order', async () => {
    const { edge, token, call, id } = await world();
    for (let i = 0; i < 12; i++) {
      edge.clock.now += 1_000;
      await call('POST', `subscribers/${id}/addresses`, 201, {
        kind: i % 3 === 0 ? 'billing' : 'service',
        line1: `${i} Main St`,
        city: 'Town',
        country: 'US',
      });
      await call('POST', `subscribers/${id}/contacts`, 201, { channel: 'email', value: `ada${i}@x.test` });
      const tag = await call('POST', 'tags', 201, { name: `tag-${String(11 - i).padStart(2, '0')}` });
      await call('PUT', `subscribers/${id}/tags/${String(tag.id)}`, 204);
    }
    const addresses = await walk(edge, token, `subscribers/${id}/addresses`, 5);
    expect(addresses.rows).toHaveLength(12);
    expect(addresses.cursors).toHaveLength(2);
    expect(addresses.rows.map((a) => a.kind)).toEqual([...Array(4).fill('billing'), ...Array(8).fill('service')]);
    expect(addresses.rows.filter((a) => a.kind === 'service').map((a) => a.line1)).toEqual(
      [1, 2, 4, 5, 7, 8, 10, 11].map((i) => `${i} Main St`),
    );
    const contacts = await walk(edge, token, `subscribers/${id}/contacts`, 5);
    expect(contacts.rows.map((c) => c.value)).toEqual(Array.from({ length: 12 }, (_, i) => `ada${i}@x.test`));
    const tags = await walk(edge, token, `subscribers/${id}/tags`, 5);
    expect(tags.rows.map((t) => t.name)).toEqual(
      Array.from({ length: 12 }, (_, i) => `tag-${String(i).padStart(2, '0')}`),
    );
    for (const { rows, cursors } of [addresses, contacts, tags]) {
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      for (const cursor of cursors) for (const row of rows) expect(cursor).not.toContain(String(row.id));
    }

    // A cursor of another list, one cut short, or a raw id is not a position in this one.
    for (const [list, cursor] of [
      ['contacts', addresses.cursors[0]!],
      ['addresses', contacts.cursors[0]!],
      ['addresses', addresses.cursors[0]!.slice(0, -2)],
      ['tags', String(tags.rows[0]!.id)],
    ]) {
      const problem = expectProblem(
        await edge.call('GET', `/api/v1/subscribers/${id}/${list}?cursor=${cursor}`, { token }),
        400,
        'validation_failed',
      );
      expect(problem.errors).toEqual([{ path: 'cursor', message: 'not a cursor this API returned' }]);
    }
    expectProblem(
      await edge.call('GET', `/api/v1/subscribers/${crypto.randomUUID()}/contacts`, { token }),
      404,
      'not_found',
    );
  });

  it('embeds the first 50 of each in the subscriber, with the cursor that continues them', async () => {
    const { edge, call, id } = await world();
    for (let i = 0; i < 52; i++) {
      edge.clock.now += 1_000;
      await call('POST', `subscribers/${id}/contacts`, 201, { channel: 'email', value: `ada${i}@x.test` });
    }
    await call('POST', `subscribers/${id}/addresses`, 201, { line1: '1 St', city: 'Town', country: 'US' });
    const detail = await call('GET', `subscribers/${id}`, 200);
    expect((detail.contacts as Json[]).map((c) => c.value)).toEqual(
      Array.from({ length: 50 }, (_, i) => `ada${i}@x.test`),
    );
    expect(detail.addresses as Json[]).toHaveLength(1);
    expect(detail.addresses_next_cursor).toBeNull();
    expect(detail.tags_next_cursor).toBeNull();
    const rest = await call('GET', `subscribers/${id}/contacts?cursor=${String(detail.contacts_next_cursor)}`, 200);
    expect(rest.data!.map((c) => c.value)).toEqual(['ada50@x.test', 'ada51@x.test']);
    expect(rest.next_cursor).toBeNull();
  });

  it('export each as CSV, formulas neutralised', async () => {
    const { edge, token, call, id } = await world();
    await call('POST', `subscribers/${id}/addresses`, 201, { line1: '=1+1', city: 'Town', country: 'US' });
    await call('POST', `subscribers/${id}/contacts`, 201, { channel: 'phone', value: '+44 20 7946 0018' });
    const tag = await call('POST', 'tags', 201, { name: 'vip' });
    await call('PUT', `subscribers/${id}/tags/${String(tag.id)}`, 204);
    const csv = async (list: string) => {
      const res = edge.ok(await edge.call('GET', `/api/v1/subscribers/${id}/${list}?format=csv`, { token }), 200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      return { disposition: res.headers.get('content-disposition'), rows: parseCsv(res.text).map((r) => r.cells) };
    };
    const addresses = await csv('addresses');
    expect(addresses.disposition).toBe('attachment; filename="addresses.csv"');
    expect(addresses.rows[1]![addresses.rows[0]!.indexOf('line1')]).toBe("'=1+1");
    const contacts = await csv('contacts');
    expect(contacts.rows[1]![contacts.rows[0]!.indexOf('value')]).toBe('+442079460018');
    expect((await csv('tags')).rows).toEqual([
      ['name', 'color', 'created_at', 'id'],
      ['vip', '', expect.any(String), tag.id],
    ]);
  });
});

describe("a subscriber's waiting charges", () => {
  it('page oldest first with opaque cursors, and export as CSV', async () => {
    const { edge, token, call, id } = await world();
    for (let i = 0; i < 5; i++) {
      edge.clock.now += 1_000;
      await call('POST', `subscribers/${id}/charges`, 201, { description: `fee ${i}`, amount: 100 + i });
    }
    const { rows, cursors } = await walk(edge, token, `subscribers/${id}/charges`, 2);
    expect(rows.map((r) => r.description)).toEqual(['fee 0', 'fee 1', 'fee 2', 'fee 3', 'fee 4']);
    expect(cursors).toHaveLength(2);
    expectProblem(
      await edge.call('GET', `/api/v1/subscribers/${id}/charges?cursor=${String(rows[0]!.id)}`, { token }),
      400,
      'validation_failed',
    );
    const res = edge.ok(await edge.call('GET', `/api/v1/subscribers/${id}/charges?format=csv`, { token }), 200);
    const [header, ...lines] = parseCsv(res.text).map((r) => r.cells);
    expect(lines.map((l) => l[header!.indexOf('amount')])).toEqual(['100', '101', '102', '103', '104']);
  });
});
