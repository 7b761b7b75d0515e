import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';

const valid: Json = { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' };

// One bad value per field, and the path the 400 must name.
const badFields: [string, Json, string][] = [
  ['kind', { kind: 'robot' }, 'kind'],
  ['status (read-only: derived)', { status: 'active' }, '(body)'],
  ['first_name', { first_name: '' }, 'first_name'],
  ['last_name', { last_name: 'x'.repeat(201) }, 'last_name'],
  ['display_name', { display_name: 42 }, 'display_name'],
  ['email', { email: 'not-an-email' }, 'email'],
  ['phone (letters)', { phone: '555-CALL-NOW' }, 'phone'],
  ['phone (no country code)', { phone: '0301234567' }, 'phone'],
  ['phone (too long)', { phone: '+1234567890123456' }, 'phone'],
  ['locale', { locale: 'english please' }, 'locale'],
  ['timezone', { timezone: 'Mars/Olympus_Mons' }, 'timezone'],
  ['billing_day (29)', { billing_day: 29 }, 'billing_day'],
  ['billing_day (0)', { billing_day: 0 }, 'billing_day'],
  ['billing_day (fraction)', { billing_day: 1.5 }, 'billing_day'],
  ['payment_due_days', { payment_due_days: -1 }, 'payment_due_days'],
  ['grace_days', { grace_days: 366 }, 'grace_days'],
  ['min_balance (float money)', { min_balance: 10.5 }, 'min_balance'],
  ['min_balance (string)', { min_balance: '100' }, 'min_balance'],
  ['marketing_opt_in', { marketing_opt_in: 'yes' }, 'marketing_opt_in'],
  ['notes', { notes: 'x'.repeat(10_001) }, 'notes'],
  ['organization_id', { organization_id: 'acme' }, 'organization_id'],
  ['custom_fields', { custom_fields: [] }, 'custom_fields'],
  ['unknown field', { subscriber_number: 'SUB-999999' }, '(body)'],
  ['address country', { addresses: [{ line1: 'x', city: 'y', country: 'XX' }] }, 'addresses.0.country'],
  [
    'address latitude',
    { addresses: [{ line1: 'x', city: 'y', country: 'US', latitude: 91, longitude: 0 }] },
    'addresses.0.latitude',
  ],
  [
    'address longitude',
    { addresses: [{ line1: 'x', city: 'y', country: 'US', latitude: 0, longitude: -181 }] },
    'addresses.0.longitude',
  ],
  [
    'address half a coordinate',
    { addresses: [{ line1: 'x', city: 'y', country: 'US', latitude: 10 }] },
    'addresses.0.longitude',
  ],
  ['address line1', { addresses: [{ city: 'y', country: 'US' }] }, 'addresses.0.line1'],
  ['address kind', { addresses: [{ kind: 'home', line1: 'x', city: 'y', country: 'US' }] }, 'addresses.0.kind'],
  [
    'two primaries',
    {
      addresses: [
        { line1: 'x', city: 'y', country: 'US', is_primary: true },
        { line1: 'z', city: 'y', country: 'US', is_primary: true },
      ],
    },
    'addresses.1.is_primary',
  ],
];

describe('subscriber validation', () => {
  it.each(badFields)(
    'refuses a bad %s on create and on patch, naming the field, writing nothing',
    async (_name, bad, path) => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const token = tenant.owner.token;
      const created = expectProblem(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { ...valid, ...bad } }),
        400,
        'validation_failed',
      );
      expect(created.errors!.map((e) => e.path)).toContain(path);
      const s = edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: valid }), 201).body;
      expect(s.subscriber_number).toBe('SUB-000001');
      if (!('kind' in bad) && !('addresses' in bad)) {
        // A valid change next to the bad one is not written either.
        const patched = expectProblem(
          await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
            token,
            body: { marketing_opt_in: true, ...bad },
          }),
          400,
          'validation_failed',
        );
        expect(patched.errors!.map((e) => e.path)).toContain(path);
        expect(edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token }), 200).body).toEqual(s);
      }
    },
  );

  it('lists every bad field at once', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = await edge.call('POST', '/api/v1/subscribers', {
      token: tenant.owner.token,
      body: { email: 'x', phone: 'y', timezone: 'z', billing_day: 31 },
    });
    expect(
      expectProblem(res, 400, 'validation_failed')
        .errors!.map((e) => e.path)
        .sort(),
    ).toEqual(['billing_day', 'email', 'phone', 'timezone']);
  });

  it('requires a name for a person and organization_name for an organization, also after a patch', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    expect(
      expectProblem(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { email: 'a@b.test' } }),
        400,
      ).errors!.map((e) => e.path),
    ).toEqual(['last_name']);
    expect(
      expectProblem(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { kind: 'organization', first_name: 'x' } }),
        400,
      ).errors!.map((e) => e.path),
    ).toEqual(['organization_name']);
    const s = edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Solo' } }), 201).body;
    expect(
      expectProblem(
        await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, { token, body: { last_name: null } }),
        400,
      ).errors!.map((e) => e.path),
    ).toEqual(['last_name']);
  });

  it('answers a malformed id with 400 and an unknown id with 404 on every subscriber route', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { token } = tenant.owner;
    const unknown = crypto.randomUUID();
    const cases: [string, string, unknown?][] = [
      ['GET', ''],
      ['PATCH', '', { notes: 'x' }],
      ['DELETE', ''],
      ['POST', '/restore'],
      ['POST', '/erase'],
      ['GET', '/export'],
      ['GET', '/addresses'],
      ['POST', '/addresses', { line1: 'x', city: 'y', country: 'US' }],
      ['GET', '/contacts'],
      ['POST', '/contacts', { channel: 'sms', value: '+15551234567' }],
      ['GET', '/tags'],
    ];
    for (const [method, suffix, body] of cases) {
      expectProblem(
        await edge.call(method, `/api/v1/subscribers/not-a-uuid${suffix}`, { token, body }),
        400,
        'validation_failed',
      );
      expectProblem(
        await edge.call(method, `/api/v1/subscribers/${unknown}${suffix}`, { token, body }),
        404,
        'not_found',
      );
    }
    const s = edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: valid }), 201).body;
    for (const [method, suffix, body] of [
      ['PATCH', `/addresses/${unknown}`, { city: 'x' }],
      ['DELETE', `/addresses/${unknown}`],
      ['PATCH', `/contacts/${unknown}`, { opt_in: true }],
      ['DELETE', `/contacts/${unknown}`],
      ['PUT', `/tags/${unknown}`],
      ['GET', '/members'],
    ] as [string, string, unknown?][]) {
      expectProblem(
        await edge.call(method, `/api/v1/subscribers/${String(s.id)}${suffix}`, { token, body }),
        404,
        'not_found',
      );
    }
  });

  it('refuses a duplicate email whatever its case with 409, on create and on patch', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: valid }), 201);
    const clash = expectProblem(
      await edge.call('POST', '/api/v1/subscribers', { token, body: { ...valid, email: 'ADA@Example.COM' } }),
      409,
      'conflict',
    );
    expect(clash.errors).toEqual([{ path: 'email', message: expect.any(String) }]);
    const other = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', { token, body: { ...valid, email: 'other@example.com' } }),
      201,
    ).body;
    // The failed create did not use up a number.
    expect(other.subscriber_number).toBe('SUB-000002');
    expectProblem(
      await edge.call('PATCH', `/api/v1/subscribers/${String(other.id)}`, {
        token,
        body: { email: 'Ada@example.com' },
      }),
      409,
      'conflict',
    );
    // An archived subscriber keeps its email (it can be restored).
    expect((await edge.call('DELETE', `/api/v1/subscribers/${String(other.id)}`, { token })).status).toBe(204);
    expectProblem(
      await edge.call('POST', '/api/v1/subscribers', { token, body: { ...valid, email: 'OTHER@example.com' } }),
      409,
      'conflict',
    );
  });

  it('validates custom field values against their definitions', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    for (const body of [
      { key: 'tier', label: 'Tier', type: 'select', options: ['gold', 'silver'], required: true },
      { key: 'seats', label: 'Seats', type: 'number' },
      { key: 'vip', label: 'VIP', type: 'boolean' },
      { key: 'since', label: 'Since', type: 'date' },
      { key: 'ref', label: 'Ref', type: 'text' },
    ])
      edge.ok(await edge.call('POST', '/api/v1/custom-fields', { token, body }), 201);
    const errorsOf = async (custom_fields: Json) =>
      expectProblem(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { ...valid, custom_fields } }),
        400,
        'validation_failed',
      )
        .errors!.map((e) => e.path)
        .sort();
    expect(await errorsOf({})).toEqual(['custom_fields.tier']);
    expect(await errorsOf({ tier: 'platinum', seats: '3', vip: 'yes', since: '2023-02-29', ref: 7, nope: 1 })).toEqual([
      'custom_fields.nope',
      'custom_fields.ref',
      'custom_fields.seats',
      'custom_fields.since',
      'custom_fields.tier',
      'custom_fields.vip',
    ]);
    const s = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', { token, body: { ...valid, custom_fields: { tier: 'gold' } } }),
      201,
    ).body;
    expect(
      expectProblem(
        await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
          token,
          body: { custom_fields: { tier: null } },
        }),
        400,
      ).errors!.map((e) => e.path),
    ).toEqual(['custom_fields.tier']);
  });

  it('validates definitions, tags, contacts and list parameters', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const paths = async (method: string, url: string, body?: unknown) =>
      expectProblem(await edge.call(method, url, { token, body }), 400, 'validation_failed').errors!.map((e) => e.path);
    expect(await paths('POST', '/api/v1/custom-fields', { key: 'Bad Key', label: 'x', type: 'text' })).toEqual(['key']);
    expect(await paths('POST', '/api/v1/custom-fields', { key: 'k', label: 'x', type: 'select' })).toEqual(['options']);
    expect(
      await paths('POST', '/api/v1/custom-fields', { key: 'k', label: 'x', type: 'text', options: ['a'] }),
    ).toEqual(['options']);
    expect(
      await paths('POST', '/api/v1/custom-fields', { key: 'k', label: 'x', type: 'select', options: ['a', 'a'] }),
    ).toEqual(['options']);
    expect(await paths('POST', '/api/v1/custom-fields', { key: 'k', label: 'x', type: 'json' })).toEqual(['type']);
    edge.ok(
      await edge.call('POST', '/api/v1/custom-fields', { token, body: { key: 'k', label: 'x', type: 'text' } }),
      201,
    );
    expectProblem(
      await edge.call('POST', '/api/v1/custom-fields', { token, body: { key: 'k', label: 'y', type: 'number' } }),
      409,
      'conflict',
    );
    expect(await paths('POST', '/api/v1/tags', { name: '' })).toEqual(['name']);
    expect(await paths('POST', '/api/v1/tags', { name: 'x', color: 'red' })).toEqual(['color']);
    edge.ok(await edge.call('POST', '/api/v1/tags', { token, body: { name: 'Fiber' } }), 201);
    expectProblem(await edge.call('POST', '/api/v1/tags', { token, body: { name: 'FIBER' } }), 409, 'conflict');
    const s = edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: valid }), 201).body;
    const contacts = `/api/v1/subscribers/${String(s.id)}/contacts`;
    expect(await paths('POST', contacts, { channel: 'email', value: '+15551234567' })).toEqual(['value']);
    expect(await paths('POST', contacts, { channel: 'sms', value: 'ada@example.com' })).toEqual(['value']);
    expect(await paths('POST', contacts, { channel: 'pigeon', value: 'x' })).toEqual(['channel']);
    edge.ok(await edge.call('POST', contacts, { token, body: { channel: 'sms', value: '+15551234567' } }), 201);
    expectProblem(
      await edge.call('POST', contacts, { token, body: { channel: 'sms', value: '+1 555 123 4567' } }),
      409,
      'conflict',
    );
    const addr = edge.ok(
      await edge.call('POST', `/api/v1/subscribers/${String(s.id)}/addresses`, {
        token,
        body: { line1: 'x', city: 'y', country: 'US', latitude: 1, longitude: 2 },
      }),
      201,
    ).body;
    expect(
      await paths('PATCH', `/api/v1/subscribers/${String(s.id)}/addresses/${String(addr.id)}`, { latitude: null }),
    ).toEqual(['latitude']);
    expect(await paths('GET', '/api/v1/subscribers?cursor=bm9wZQ')).toEqual(['cursor']);
    expect(await paths('GET', '/api/v1/subscribers?limit=0')).toEqual(['limit']);
    expect(await paths('GET', '/api/v1/subscribers?status=gone')).toEqual(['status']);
    expect(await paths('GET', '/api/v1/subscribers?created_from=yesterday')).toEqual(['created_from']);
    expect(await paths('GET', '/api/v1/subscribers?archived=maybe')).toEqual(['archived']);
    expect(await paths('GET', '/api/v1/subscribers?format=xml')).toEqual(['format']);
  });

  // Issue 13 D11: PATCH /tags/{id} with {} answered 500 (an UPDATE with nothing to set).
  it('a tag PATCH with nothing in it changes nothing and records nothing', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const tag = edge.ok(
      await edge.call('POST', '/api/v1/tags', { token, body: { name: 'VIP', color: '#ff0000' } }),
      201,
    ).body;
    expect(edge.ok(await edge.call('PATCH', `/api/v1/tags/${String(tag.id)}`, { token, body: {} }), 200).body).toEqual(
      tag,
    );
    expect(
      edge.ok(
        await edge.call('PATCH', `/api/v1/tags/${String(tag.id)}`, { token, body: { name: 'VIP', color: '#ff0000' } }),
        200,
      ).body,
    ).toEqual(tag);
    const audit = edge.ok(await edge.call('GET', `/api/v1/audit-events?resource_id=${String(tag.id)}`, { token }), 200)
      .body.data!;
    expect(audit.map((e) => e.action)).toEqual(['tag.created']);
    expect(
      edge.ok(await edge.call('PATCH', `/api/v1/tags/${String(tag.id)}`, { token, body: { color: null } }), 200).body,
    ).toMatchObject({ name: 'VIP', color: null });
  });

  it('an organization cannot join one, and a person joins only an organization', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const org = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token,
        body: { kind: 'organization', organization_name: 'Acme' },
      }),
      201,
    ).body;
    const p = edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: valid }), 201).body;
    const paths = async (method: string, url: string, body: unknown) =>
      expectProblem(await edge.call(method, url, { token, body }), 400, 'validation_failed').errors!.map((e) => e.path);
    expect(
      await paths('POST', '/api/v1/subscribers', {
        kind: 'organization',
        organization_name: 'Sub',
        organization_id: org.id,
      }),
    ).toEqual(['organization_id']);
    expect(await paths('POST', '/api/v1/subscribers', { last_name: 'x', organization_id: p.id })).toEqual([
      'organization_id',
    ]);
    expect(
      await paths('PATCH', `/api/v1/subscribers/${String(p.id)}`, { organization_id: crypto.randomUUID() }),
    ).toEqual(['organization_id']);
  });
});

// Issue 13 D6: the tenant's max_subscribers holds on every path that makes a subscriber.
describe("the tenant's subscriber limit", () => {
  it(
    'refuses POST, lead conversion, ' + 'import and restore past it with subscriber_limit_reached, writing nothing',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant({ max_subscribers: 2 });
      const token = tenant.owner.token;
      const count = async () =>
        Number((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n);
      const first = edge.ok(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'One' } }),
        201,
      ).body;
      edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Two' } }), 201);

      expectProblem(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Three' } }),
        409,
        'subscriber_limit_reached',
      );
      const lead = edge.ok(
        await edge.call('POST', '/api/v1/leads', {
          token,
          body: { last_name: 'Lead', email: 'lead@example.com', source: 'web' },
        }),
        201,
      ).body;
      expectProblem(
        await edge.call('POST', `/api/v1/leads/${String(lead.id)}/convert`, { token }),
        409,
        'subscriber_limit_reached',
      );
      expect(edge.ok(await edge.call('GET', `/api/v1/leads/${String(lead.id)}`, { token }), 200).body.status).toBe(
        'new',
      );
      const file = 'name,street,city,country\r\nImported Person,1 St,Town,US\r\n';
      const imported = await edge.call('POST', '/api/v1/subscriber-imports', {
        token,
        body: file,
        headers: { 'content-type': 'text/csv' },
      });
      expectProblem(imported, 409, 'subscriber_limit_reached');
      expect(await count()).toBe(2);
      expect(
        (await edge.tenantSql(tenant.slug, "SELECT last_value FROM document_sequences WHERE prefix = 'SUB'")).rows[0]!
          .last_value,
      ).toBe(2);

      // Archived subscribers do not count, so restoring one is a creation too.
      edge.ok(await edge.call('DELETE', `/api/v1/subscribers/${String(first.id)}`, { token }), 204);
      edge.ok(await edge.call('POST', `/api/v1/leads/${String(lead.id)}/convert`, { token }), 201);
      expectProblem(
        await edge.call('POST', `/api/v1/subscribers/${String(first.id)}/restore`, { token }),
        409,
        'subscriber_limit_reached',
      );
      const root = await edge.rootToken();
      edge.ok(
        await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
          token: root,
          body: { max_subscribers: 4 },
        }),
        200,
      );
      edge.ok(await edge.call('POST', `/api/v1/subscribers/${String(first.id)}/restore`, { token }), 200);
      expect(
        edge.ok(
          await edge.call('POST', '/api/v1/subscriber-imports', {
            token,
            body: file,
            headers: { 'content-type': 'text/csv' },
          }),
          202,
        ).body,
      ).toMatchObject({ status: 'completed', created_count: 1 });
      expectProblem(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Five' } }),
        409,
        'subscriber_limit_reached',
      );
      expect(await count()).toBe(4);
    },
  );
});
