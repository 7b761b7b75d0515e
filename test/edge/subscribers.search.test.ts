// ?q= full-text search (FTS5), and the plans that keep it and the filters off table scans.
import { drizzle } from 'drizzle-orm/libsql/web';
import { describe, expect, it } from 'vitest';
import * as tenantSchema from '../../db/tenant/index.ts';
import { decodeCursor } from '../../edge/services/page-of.ts';
import { listSubscriberRows } from '../../edge/services/subscribers/manage-subscribers.ts';
import { startEdge, type Json } from '../support/edge-app.ts';

describe('subscriber search', () => {
  it(
    'finds by name prefix, email, phone digits in any format, number, address and contact; never archived; nothing ' +
      'for a non-match',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const token = tenant.owner.token;
      const create = async (body: Json) => {
        const s = edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body }), 201).body;
        edge.clock.now += 1;
        return String(s.id);
      };
      const zoe = await create({
        first_name: 'Zoë',
        last_name: 'Washburne',
        email: 'zoe.w@serenity.test',
        phone: '+1 (555) 123-4567',
        addresses: [{ line1: '42 Firefly Lane', city: 'Persephone', postal_code: '90210', country: 'US' }],
      });
      const mal = await create({
        first_name: 'Malcolm',
        last_name: 'Reynolds',
        email: 'captain@serenity.test',
        phone: '+44 7700 900123',
      });
      const inara = await create({ first_name: 'Inara', last_name: 'Serra', email: 'inara@guild.test' });
      edge.ok(
        await edge.call('POST', `/api/v1/subscribers/${inara}/contacts`, {
          token,
          body: { channel: 'sms', value: '+61 491 570 156' },
        }),
        201,
      );
      const gone = await create({ first_name: 'Zoltan', last_name: 'Washington', email: 'zoltan@archived.test' });
      expect((await edge.call('DELETE', `/api/v1/subscribers/${gone}`, { token })).status).toBe(204);

      const search = async (q: string, extra = '') =>
        edge
          .ok(await edge.call('GET', `/api/v1/subscribers?q=${encodeURIComponent(q)}${extra}`, { token }), 200)
          .body.data!.map((s) => String(s.id));
      expect(await search('wash')).toEqual([zoe]); // prefix (type-ahead); the archived Washington is hidden
      expect(await search('wash', '&archived=include')).toEqual([gone, zoe]);
      expect(await search('zoe')).toEqual([zoe]); // diacritics folded
      expect(await search('ZOE WASH')).toEqual([zoe]); // every word must match, any case
      expect(await search('zoe reynolds')).toEqual([]);
      expect(await search('serenity')).toEqual([mal, zoe]); // email domain
      expect(await search('captain@seren')).toEqual([mal]);
      expect(await search('555-123')).toEqual([zoe]); // digits inside the number, formatting ignored
      expect(await search('(555) 1234567')).toEqual([zoe]);
      expect(await search('15551234567')).toEqual([zoe]);
      expect(await search('7700900')).toEqual([mal]);
      expect(await search('0491570')).toEqual([]); // national format is not what was stored
      expect(await search('491 570 156')).toEqual([inara]); // a contact's number
      expect(await search('SUB-000002')).toEqual([mal]);
      expect(await search('000003')).toEqual([inara]);
      expect(await search('firefly')).toEqual([zoe]);
      expect(await search('persephone 90210')).toEqual([zoe]);
      expect(await search('nobody-here')).toEqual([]);
      expect(await search('"*) OR (')).toEqual([]); // FTS5 syntax in the input is plain text
      expect(await search('serenity', '&status=suspended')).toEqual([]);

      // A change is searchable at once; the old text is not.
      edge.ok(
        await edge.call('PATCH', `/api/v1/subscribers/${mal}`, {
          token,
          body: { last_name: 'Tam', email: 'mal@tam.test' },
        }),
        200,
      );
      expect(await search('reynolds')).toEqual([]);
      expect(await search('tam')).toEqual([mal]);
    },
  );

  it('pages city and tag lists newest first, one row per subscriber, like the default list', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const tag = String(edge.ok(await edge.call('POST', '/api/v1/tags', { token, body: { name: 'vip' } }), 201).body.id);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const city = i === 2 ? 'Elsewhere' : 'Berlin';
      const addresses = [
        { kind: 'service', line1: `${i} Main St`, city, country: 'DE' },
        { kind: 'billing', line1: `${i} Post St`, city: city.toUpperCase(), country: 'DE' },
      ];
      const id = String(
        edge.ok(
          await edge.call('POST', '/api/v1/subscribers', {
            token,
            body: { first_name: `S${i}`, last_name: 'B', addresses },
          }),
          201,
        ).body.id,
      );
      edge.ok(await edge.call('PUT', `/api/v1/subscribers/${id}/tags/${tag}`, { token }), 204);
      ids.push(id);
      edge.clock.now += i % 2; // some share a created_at: the id breaks the tie
    }
    const walk = async (filter: string) => {
      const seen: string[] = [];
      let cursor = '';
      do {
        const page = edge.ok(
          await edge.call('GET', `/api/v1/subscribers?limit=2${filter}${cursor ? `&cursor=${cursor}` : ''}`, { token }),
          200,
        ).body;
        seen.push(...page.data!.map((s) => String(s.id)));
        cursor = page.next_cursor ? encodeURIComponent(String(page.next_cursor)) : '';
      } while (cursor);
      return seen;
    };
    const all = await walk('');
    expect([...all].sort()).toEqual([...ids].sort());
    expect(await walk('&city=berlin')).toEqual(all.filter((id) => id !== ids[2]));
    expect(await walk(`&tag=${tag}`)).toEqual(all);
    expect(await walk(`&tag=${tag}&city=elsewhere`)).toEqual([ids[2]]);
  });

  it('uses the FTS index and the list indexes: no table scan (EXPLAIN QUERY PLAN)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    for (const first_name of ['A', 'C'])
      edge.ok(
        await edge.call('POST', '/api/v1/subscribers', {
          token: tenant.owner.token,
          body: { first_name, last_name: 'B' },
        }),
        201,
      );
    const lease = await edge.platform.databases.leaseTenant(tenant.slug);
    try {
      const db = drizzle(lease.client, { schema: tenantSchema });
      const plans: Record<string, string> = {};
      // Capture the statement the list service runs, then ask SQLite how it would run it.
      const planOf = async (name: string, input: Parameters<typeof listSubscriberRows>[1]) => {
        let statement: { sql: string; params: unknown[] } | undefined;
        const spy = drizzle(lease.client, {
          schema: tenantSchema,
          logger: { logQuery: (sql, params) => (statement ??= { sql, params }) },
        });
        await listSubscriberRows(spy, input);
        const rows = await db.$client.execute({
          sql: `EXPLAIN QUERY PLAN ${statement!.sql}`,
          args: statement!.params as (string | number | null)[],
        });
        plans[name] = rows.rows.map((r) => String(r.detail)).join('\n');
      };
      // The service takes the sort key the route decodes from the opaque cursor.
      const cursor = decodeCursor(
        String(
          edge.ok(await edge.call('GET', '/api/v1/subscribers?limit=1', { token: tenant.owner.token }), 200).body
            .next_cursor,
        ),
      )!;
      await planOf('search', { q: 'ali', limit: 50 });
      await planOf('default', { limit: 50 });
      await planOf('default, cursor', { limit: 50, cursor });
      await planOf('status', { status: 'active', limit: 50 });
      await planOf('status, cursor', { status: 'active', limit: 50, cursor });
      await planOf('status, archived included', { status: 'active', archived: 'include', limit: 50, cursor });
      await planOf('city', { city: 'Berlin', limit: 50 });
      await planOf('city, cursor', { city: 'Berlin', status: 'active', limit: 50, cursor });
      await planOf('tag', { tag: crypto.randomUUID(), limit: 50 });
      await planOf('tag, cursor', { tag: crypto.randomUUID(), limit: 50, cursor });
      expect(plans.search).toMatch(/SCAN subscribers_fts VIRTUAL TABLE INDEX/);
      expect(plans.search).toMatch(/SEARCH subscribers USING INDEX subscribers_seq_unique \(seq=\?\)/);
      // Every other list is one seek of the index that holds its rows in page order (no
      // sort, no walk past newer rows), then a primary-key look-up per row.
      const seek = (index: string, terms: string) =>
        new RegExp(`^SEARCH \\w+ USING (COVERING )?INDEX ${index} \\(${terms.replace(/[()?]/g, '\\$&')}\\)$`, 'm');
      expect(plans.default).toMatch(seek('subscribers_live_created', 'archived_at=?'));
      expect(plans['default, cursor']).toMatch(
        seek('subscribers_live_created', 'archived_at=? AND (created_at,id)<(?,?)'),
      );
      expect(plans.status).toMatch(seek('subscribers_live_status_created', 'status=?'));
      expect(plans['status, cursor']).toMatch(
        seek('subscribers_live_status_created', 'status=? AND (created_at,id)<(?,?)'),
      );
      expect(plans['status, archived included']).toMatch(
        seek('subscribers_status_created', 'status=? AND (created_at,id)<(?,?)'),
      );
      expect(plans.city).toMatch(seek('subscriber_addresses_city', '<expr>=?'));
      expect(plans['city, cursor']).toMatch(seek('subscriber_addresses_city', '<expr>=? AND subscriber_id<?'));
      expect(plans.tag).toMatch(seek('subscriber_tags_tag', 'tag_id=?'));
      expect(plans['tag, cursor']).toMatch(seek('subscriber_tags_tag', 'tag_id=? AND subscriber_id<?'));
      for (const name of ['city', 'city, cursor', 'tag', 'tag, cursor']) {
        // the filter's index drives the loop
        expect(plans[name]!.split('\n')[0], name).toMatch(/^SEARCH subscriber_(addresses|tags) /);
        expect(plans[name], name).toMatch(/SEARCH subscribers USING INDEX sqlite_autoindex_subscribers_1 \(id=\?\)/);
      }
      // A search sorts its hits (few, from the FTS index); no list sorts its rows.
      for (const [name, plan] of Object.entries(plans))
        if (name !== 'search') expect(plan, `${name}:\n${plan}`).not.toMatch(/TEMP B-TREE/);
      for (const [name, plan] of Object.entries(plans))
        expect(plan, `${name}:\n${plan}`).not.toMatch(
          /SCAN (subscribers|subscriber_addresses|subscriber_tags)\b(?! VIRTUAL)/,
        );
    } finally {
      lease.release();
    }
  });
});
