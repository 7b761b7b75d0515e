// GDPR: erase (art. 17) removes personal data for good; export (art. 15/20) returns all of it.
import { describe, expect, it } from 'vitest';
import { startEdge, type Json, type TestEdge } from '../support/edge-app.ts';

const personal = [
  'Hermione',
  'Granger',
  'hermione@hogwarts.test',
  '447700900077',
  '4 Privet Drive',
  'Little Whinging',
  'GU15 3XX',
  'Surrey',
  'time-turner',
  'S.P.E.W.',
  'Europe/London',
  'hermione.work@ministry.test',
  '447700900088',
];

async function populated() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  edge.ok(
    await edge.call('POST', '/api/v1/custom-fields', {
      token,
      body: { key: 'society', label: 'Society', type: 'text' },
    }),
    201,
  );
  const org = edge.ok(
    await edge.call('POST', '/api/v1/subscribers', {
      token,
      body: { kind: 'organization', organization_name: 'Ministry of Magic' },
    }),
    201,
  ).body;
  edge.clock.now += 1;
  const s = edge.ok(
    await edge.call('POST', '/api/v1/subscribers', {
      token,
      body: {
        first_name: 'Hermione',
        last_name: 'Granger',
        email: 'Hermione@Hogwarts.test',
        phone: '+44 7700 900077',
        timezone: 'Europe/London',
        notes: 'owns a time-turner',
        organization_id: org.id,
        custom_fields: { society: 'S.P.E.W.' },
        addresses: [
          {
            line1: '4 Privet Drive',
            city: 'Little Whinging',
            region: 'Surrey',
            postal_code: 'GU15 3XX',
            country: 'GB',
            latitude: 51.3,
            longitude: -0.7,
          },
        ],
      },
    }),
    201,
  ).body;
  const id = String(s.id);
  edge.ok(
    await edge.call('POST', `/api/v1/subscribers/${id}/contacts`, {
      token,
      body: { channel: 'email', value: 'hermione.work@ministry.test', opt_in: true },
    }),
    201,
  );
  edge.clock.now += 1;
  edge.ok(
    await edge.call('POST', `/api/v1/subscribers/${id}/contacts`, {
      token,
      body: { channel: 'whatsapp', value: '+447700900088' },
    }),
    201,
  );
  const tag = edge.ok(await edge.call('POST', '/api/v1/tags', { token, body: { name: 'Prefect' } }), 201).body;
  expect((await edge.call('PUT', `/api/v1/subscribers/${id}/tags/${String(tag.id)}`, { token })).status).toBe(204);
  edge.ok(await edge.call('PATCH', `/api/v1/subscribers/${id}`, { token, body: { marketing_opt_in: true } }), 200);
  return { edge, tenant, token, id, org, s };
}

/** Every row of every table (FTS shadow tables included), as text and as raw bytes. */
async function tenantDump(edge: TestEdge, slug: string) {
  const tables = await edge.tenantSql(
    slug,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
  );
  const names = tables.rows.map((r) => String(r.name));
  expect(names).toEqual(expect.arrayContaining(['subscribers_fts_data', 'subscribers_fts_idx']));
  let dump = '';
  for (const name of names) {
    // hex() of every column: text and blobs alike as raw bytes (FTS segments hold 64-bit ids JS cannot read as
    // numbers).
    const columns = (await edge.tenantSql(slug, `SELECT name FROM pragma_table_info('${name}')`)).rows.map((r) =>
      String(r.name),
    );
    const rows = await edge.tenantSql(slug, `SELECT ${columns.map((c) => `hex("${c}")`).join(', ')} FROM "${name}"`);
    for (const row of rows.rows)
      dump += `${name}: ${Object.values(row)
        .map((hex) => Buffer.from(String(hex), 'hex').toString('latin1'))
        .join(' ')}\n`;
  }
  return dump;
}

/** None of `texts` (nor a long phone number's digits) anywhere in the dump; a failure shows the row. */
function expectNoneOf(dump: string, texts: readonly string[]) {
  for (const text of texts) {
    const at = dump.toLowerCase().indexOf(text.toLowerCase());
    expect(at === -1 ? '' : dump.slice(Math.max(0, dump.lastIndexOf('\n', at)), at + 40), text).toBe('');
    expect(dump, text).not.toContain(text.replace(/\D/g, '').length > 6 ? text.replace(/\D/g, '') : text);
  }
}

describe('subscriber privacy', () => {
  it(
    'export returns the record, addresses, contacts, ' + 'custom values, tags, organization, audit trail and events',
    async () => {
      const { edge, token, id, org } = await populated();
      const res = edge.ok(await edge.call('GET', `/api/v1/subscribers/${id}/export`, { token }), 200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="SUB-000002.json"');
      const body = res.body as Json & {
        subscriber: Json & { addresses: Json[]; contacts: Json[]; tags: Json[] };
        audit_events: Json[];
        domain_events: Json[];
      };
      expect(body.subscriber).toMatchObject({
        id,
        email: 'hermione@hogwarts.test',
        notes: 'owns a time-turner',
        custom_fields: { society: 'S.P.E.W.' },
        status: 'active',
      });
      expect(body.subscriber.addresses.map((a) => a.line1)).toEqual(['4 Privet Drive']);
      expect(body.subscriber.contacts.map((c) => c.value)).toEqual(['hermione.work@ministry.test', '+447700900088']);
      expect(body.subscriber.tags.map((t) => t.name)).toEqual(['Prefect']);
      expect(body.organization).toEqual({
        id: org.id,
        subscriber_number: 'SUB-000001',
        display_name: 'Ministry of Magic',
      });
      expect(body.audit_events.map((e) => e.action)).toEqual([
        'subscriber.created',
        'subscriber.contact_added',
        'subscriber.contact_added',
        'subscriber.tag_attached',
        'subscriber.updated',
      ]);
      expect(body.domain_events.map((e) => e.type)).toEqual(['subscriber.created', 'subscriber.updated']);
      const orgExport = edge.ok(
        await edge.call('GET', `/api/v1/subscribers/${String(org.id)}/export`, { token }),
        200,
      ).body;
      expect(orgExport.members).toEqual([{ id, subscriber_number: 'SUB-000002', display_name: 'Hermione Granger' }]);
    },
  );

  it(
    'erase leaves no personal string in any table row or the search index, keeps the row and number, and is audited ' +
      'without the data',
    async () => {
      const { edge, tenant, token, id } = await populated();
      expect((await edge.call('POST', `/api/v1/subscribers/${id}/erase`, { token })).status).toBe(204);
      const after = edge.ok(await edge.call('GET', `/api/v1/subscribers/${id}`, { token }), 200).body;
      expect(after).toMatchObject({
        id,
        subscriber_number: 'SUB-000002',
        status: 'active',
        display_name: 'Erased subscriber',
        first_name: null,
        last_name: null,
        email: null,
        phone: null,
        notes: null,
        timezone: null,
        organization_id: null,
        custom_fields: {},
        addresses: [],
        contacts: [],
        erased_at: new Date(edge.clock.now).toISOString(),
      });

      const dump = await tenantDump(edge, tenant.slug);
      expect(dump).toContain('SUB-000002');
      expectNoneOf(dump, personal);
      for (const q of ['hermione', 'granger', 'privet', '7700900077', 'ministry']) {
        expect(
          edge
            .ok(await edge.call('GET', `/api/v1/subscribers?q=${q}&archived=include`, { token }), 200)
            .body.data!.map((s) => s.id),
        ).not.toContain(id);
      }
      expect(
        edge.ok(await edge.call('GET', '/api/v1/subscribers?q=SUB-000002', { token }), 200).body.data!.map((s) => s.id),
      ).toEqual([id]);

      const audit = edge.ok(
        await edge.call('GET', `/api/v1/audit-events?resource_id=${id}&action=subscriber.erased`, { token }),
        200,
      ).body.data!;
      expect(audit).toHaveLength(1);
      expect(audit[0]!.changes).toMatchObject({
        fields: expect.arrayContaining(['email', 'phone']),
        addresses: 1,
        contacts: 2,
      });
      expect(edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token }), 200).body.valid).toBe(true);

      // Irreversible and final: no personal data can be written back; erasing again is a no-op.
      expect(
        (await edge.call('PATCH', `/api/v1/subscribers/${id}`, { token, body: { last_name: 'Granger' } })).status,
      ).toBe(409);
      expect(
        (
          await edge.call('POST', `/api/v1/subscribers/${id}/addresses`, {
            token,
            body: { line1: 'x', city: 'y', country: 'GB' },
          })
        ).status,
      ).toBe(409);
      expect((await edge.call('POST', `/api/v1/subscribers/${id}/erase`, { token })).status).toBe(204);
      expect(
        edge.ok(
          await edge.call('GET', `/api/v1/audit-events?resource_id=${id}&action=subscriber.erased`, { token }),
          200,
        ).body.data,
      ).toHaveLength(1);
    },
  );

  it(
    'erase drops the stored Idempotency-Key replies that could quote the person: a retry runs again, it does not ' +
      'replay them',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const token = tenant.owner.token;
      const create = {
        first_name: 'Luna',
        last_name: 'Lovegood',
        email: 'luna@quibbler.test',
        addresses: [{ line1: '1 Rook Lane', city: 'Ottery St Catchpole', country: 'GB' }],
      };
      const first = edge.ok(
        await edge.call('POST', '/api/v1/subscribers', {
          token,
          body: create,
          headers: { 'idempotency-key': 'create-luna' },
        }),
        201,
      );
      const id = String(first.body.id);
      const address = { line1: '9 Quibbler Way', city: 'Ottery St Catchpole', country: 'GB' };
      edge.ok(
        await edge.call('POST', `/api/v1/subscribers/${id}/addresses`, {
          token,
          body: address,
          headers: { 'idempotency-key': 'add-address' },
        }),
        201,
      );
      // Before the erase both keys replay.
      expect(
        (
          await edge.call('POST', `/api/v1/subscribers/${id}/addresses`, {
            token,
            body: address,
            headers: { 'idempotency-key': 'add-address' },
          })
        ).headers.get('idempotent-replayed'),
      ).toBe('true');

      expect((await edge.call('POST', `/api/v1/subscribers/${id}/erase`, { token })).status).toBe(204);
      const retriedAddress = await edge.call('POST', `/api/v1/subscribers/${id}/addresses`, {
        token,
        body: address,
        headers: { 'idempotency-key': 'add-address' },
      });
      expect(retriedAddress.headers.get('idempotent-replayed')).toBeNull();
      expect(retriedAddress.status).toBe(409); // runs again, and an erased subscriber takes no new data
      expect(JSON.stringify(retriedAddress.body)).not.toMatch(/Quibbler|Rook/);
      const retriedCreate = await edge.call('POST', '/api/v1/subscribers', {
        token,
        body: create,
        headers: { 'idempotency-key': 'create-luna' },
      });
      expect(retriedCreate.headers.get('idempotent-replayed')).toBeNull();
      expect(retriedCreate.body.id).not.toBe(id); // a new subscriber, not the erased one's stored reply
    },
  );

  it("erase drops the stored reply of the lead conversion that made the subscriber, and only that lead's", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const convert = async (lastName: string) => {
      const lead = edge.ok(
        await edge.call('POST', '/api/v1/leads', {
          token,
          body: { first_name: 'Xeno', last_name: lastName, email: `${lastName}@quibbler.test`, source: 'web' },
        }),
        201,
      ).body;
      const path = `/api/v1/leads/${String(lead.id)}/convert`;
      const converted = edge.ok(
        await edge.call('POST', path, { token, body: {}, headers: { 'idempotency-key': `convert-${lastName}` } }),
        201,
      ).body;
      expect(
        (
          await edge.call('POST', path, { token, body: {}, headers: { 'idempotency-key': `convert-${lastName}` } })
        ).headers.get('idempotent-replayed'),
      ).toBe('true');
      return { path, subscriberId: String((converted.subscriber as Json).id) };
    };
    const erased = await convert('Lovegood');
    const kept = await convert('Scamander');

    expect((await edge.call('POST', `/api/v1/subscribers/${erased.subscriberId}/erase`, { token })).status).toBe(204);
    const retried = await edge.call('POST', erased.path, {
      token,
      body: {},
      headers: { 'idempotency-key': 'convert-Lovegood' },
    });
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(retried.status).toBe(409); // runs again: the lead is already converted
    expect(
      (
        await edge.call('POST', kept.path, { token, body: {}, headers: { 'idempotency-key': 'convert-Scamander' } })
      ).headers.get('idempotent-replayed'),
    ).toBe('true');
  });

  // Issue 13 D8: a lead's edits are audited as "[changed]", and erasing the subscriber a
  // lead became erases the lead's copy of the person too.
  it(
    'erasing a converted subscriber erases its lead, ' + 'whose edits never put personal values in the audit log',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const token = tenant.owner.token;
      const lead = edge.ok(
        await edge.call('POST', '/api/v1/leads', {
          token,
          body: {
            first_name: 'Luna',
            last_name: 'Lovegood',
            email: 'luna@quibbler.test',
            phone: '+447700900111',
            address: { line1: 'The Rookery', city: 'Ottery', country: 'GB' },
            notes: 'sees nargles',
            source: 'web',
          },
        }),
        201,
      ).body;
      const path = `/api/v1/leads/${String(lead.id)}`;
      const edited = {
        first_name: 'Pandora',
        last_name: 'Rosier',
        organization_name: 'Quibbler Ltd',
        email: 'pandora@quibbler.test',
        phone: '+447700900222',
        address: { line1: '9 Crumple Lane', city: 'Devon', country: 'GB' },
        notes: 'moved house',
      };
      edge.ok(await edge.call('PATCH', path, { token, body: edited }), 200);
      const audit = edge.ok(
        await edge.call('GET', `/api/v1/audit-events?resource_id=${String(lead.id)}&action=lead.updated`, { token }),
        200,
      ).body.data!;
      expect(audit.map((e) => e.changes)).toEqual([
        Object.fromEntries(Object.keys(edited).map((k) => [k, '[changed]'])),
      ]);

      const converted = edge.ok(await edge.call('POST', `${path}/convert`, { token, body: {} }), 201).body;
      const subscriberId = String((converted.subscriber as Json).id);
      expect((await edge.call('POST', `/api/v1/subscribers/${subscriberId}/erase`, { token })).status).toBe(204);
      expect(edge.ok(await edge.call('GET', path, { token }), 200).body).toMatchObject({
        number: 'LEAD-000001',
        status: 'converted',
        converted_subscriber_id: subscriberId,
        first_name: null,
        last_name: null,
        organization_name: null,
        email: null,
        phone: null,
        address: null,
        notes: null,
      });
      expectNoneOf(await tenantDump(edge, tenant.slug), [
        'Luna',
        'Lovegood',
        'luna@quibbler',
        '+447700900111',
        'Rookery',
        'Ottery',
        'nargles',
        'Pandora',
        'Rosier',
        'Quibbler Ltd',
        'pandora@',
        '+447700900222',
        'Crumple',
        'moved house',
      ]);
      const erasedAudit = edge.ok(
        await edge.call('GET', `/api/v1/audit-events?resource_id=${String(lead.id)}&action=lead.erased`, { token }),
        200,
      ).body.data!;
      expect(erasedAudit.map((e) => e.changes)).toEqual([{ subscriber_id: subscriberId }]);
      expect(edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token }), 200).body.valid).toBe(true);
    },
  );
});
