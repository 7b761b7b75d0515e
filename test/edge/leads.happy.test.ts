import { describe, expect, it } from 'vitest';
import { startEdge, startTime, type Json } from '../support/edge-app.ts';

const address = { line1: '1 Fiber Way', city: 'Springfield', postal_code: '12345', country: 'us' };

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  const create = async (body: Json) => edge.ok(await edge.call('POST', '/api/v1/leads', { token, body }), 201).body;
  return { edge, tenant, token, create };
}

describe('leads', () => {
  it('captures numbered leads with normalised contact data and an audit entry', async () => {
    const { edge, tenant, token, create } = await setup();
    const partner = '0192f0c0-0000-7000-8000-00000000abcd';
    const lead = await create({
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'Ada@Example.COM',
      phone: '+1 (555) 123-4567',
      address,
      source: 'partner',
      partner_id: partner,
      interested_offer: 'Fiber 1G',
      notes: 'Call after 5pm',
    });
    expect(lead).toMatchObject({
      number: 'LEAD-000001',
      status: 'new',
      email: 'ada@example.com',
      phone: '+15551234567',
      address: { ...address, country: 'US' },
      source: 'partner',
      partner_id: partner,
      interested_offer: 'Fiber 1G',
      converted_subscriber_id: null,
      created_by: tenant.owner.id,
      created_at: new Date(startTime).toISOString(),
    });
    expect((await create({ organization_name: 'Acme Corp', phone: '+441632960961', source: 'walk_in' })).number).toBe(
      'LEAD-000002',
    );
    expect(edge.ok(await edge.call('GET', `/api/v1/leads/${String(lead.id)}`, { token }), 200).body).toEqual(lead);
    const audit = edge.ok(await edge.call('GET', `/api/v1/audit-events?resource_id=${String(lead.id)}`, { token }), 200)
      .body.data!;
    expect(audit.map((e) => [e.action, e.changes])).toEqual([
      ['lead.created', { number: 'LEAD-000001', source: 'partner', partner_id: partner }],
    ]);
  });

  it('edits, contacts, disqualifies, re-qualifies and loses leads', async () => {
    const { edge, token, create } = await setup();
    const lead = await create({ first_name: 'Grace', email: 'grace@example.com', source: 'web' });
    const path = `/api/v1/leads/${String(lead.id)}`;
    expect(
      edge.ok(await edge.call('PATCH', path, { token, body: { last_name: 'Hopper', status: 'contacted' } }), 200).body,
    ).toMatchObject({ last_name: 'Hopper', status: 'contacted' });
    expect(
      edge.ok(await edge.call('POST', `${path}/disqualify`, { token, body: { reason: 'Outside coverage' } }), 200).body,
    ).toMatchObject({ status: 'unqualified', status_reason: 'Outside coverage' });
    expect(edge.ok(await edge.call('POST', `${path}/qualify`, { token }), 200).body).toMatchObject({
      status: 'qualified',
      status_reason: null,
    });
    expect(
      edge.ok(
        await edge.call('PATCH', path, { token, body: { status: 'lost', status_reason: 'Chose a competitor' } }),
        200,
      ).body,
    ).toMatchObject({ status: 'lost', status_reason: 'Chose a competitor' });
    const actions = edge
      .ok(await edge.call('GET', `/api/v1/audit-events?resource_id=${String(lead.id)}`, { token }), 200)
      .body.data!.map((e) => e.action);
    expect(actions).toEqual(['lead.updated', 'lead.qualified', 'lead.disqualified', 'lead.updated', 'lead.created']);
  });

  it('converts a lead into a subscriber in one step, keeping the link, once', async () => {
    const { edge, tenant, token, create } = await setup();
    const lead = await create({
      first_name: 'Alan',
      last_name: 'Turing',
      email: 'alan@example.com',
      phone: '+447700900123',
      address,
      source: 'referral',
      notes: 'Wants static IP',
    });
    edge.ok(await edge.call('POST', `/api/v1/leads/${String(lead.id)}/qualify`, { token }), 200);
    edge.clock.now += 5_000;
    const converted = edge.ok(
      await edge.call('POST', `/api/v1/leads/${String(lead.id)}/convert`, {
        token,
        body: { billing_day: 15, marketing_opt_in: true },
      }),
      201,
    ).body;
    const subscriberId = String((converted.subscriber as Json).id);
    expect(converted).toMatchObject({
      lead: {
        status: 'converted',
        converted_subscriber_id: subscriberId,
        converted_at: new Date(startTime + 5_000).toISOString(),
      },
      subscriber: { id: subscriberId, number: 'SUB-000001' },
    });
    const subscriber = edge.ok(await edge.call('GET', `/api/v1/subscribers/${subscriberId}`, { token }), 200).body;
    expect(subscriber).toMatchObject({
      kind: 'person',
      first_name: 'Alan',
      last_name: 'Turing',
      email: 'alan@example.com',
      phone: '+447700900123',
      billing_day: 15,
      marketing_opt_in: true,
      notes: 'Wants static IP',
    });
    expect(subscriber.addresses).toEqual([
      expect.objectContaining({
        kind: 'service',
        is_primary: true,
        line1: '1 Fiber Way',
        city: 'Springfield',
        country: 'US',
      }),
    ]);

    const events = await edge.tenantSql(
      tenant.slug,
      "SELECT type, subject_id, payload FROM domain_events WHERE type IN ('lead.converted', 'subscriber.created') " +
        'ORDER BY seq',
    );
    expect(events.rows.map((r) => [r.type, r.subject_id])).toEqual([
      ['subscriber.created', subscriberId],
      ['lead.converted', lead.id],
    ]);
    expect(JSON.parse(String(events.rows[1]!.payload))).toEqual({
      number: 'LEAD-000001',
      subscriber_id: subscriberId,
      subscriber_number: 'SUB-000001',
    });

    // An organization-only lead becomes an organization; options may be left out entirely.
    const org = await create({ organization_name: 'Initech', email: 'it@initech.example', source: 'phone' });
    const orgConverted = edge.ok(
      await edge.call('POST', `/api/v1/leads/${String(org.id)}/convert`, { token }),
      201,
    ).body;
    expect(orgConverted.subscriber).toMatchObject({ number: 'SUB-000002' });
    expect(
      edge.ok(
        await edge.call('GET', `/api/v1/subscribers/${String((orgConverted.subscriber as Json).id)}`, { token }),
        200,
      ).body,
    ).toMatchObject({ kind: 'organization', organization_name: 'Initech' });
  });

  it('lists newest first with filters and a cursor, and exports the same filters as CSV', async () => {
    const { edge, token, create } = await setup();
    const partner = '0192f0c0-0000-7000-8000-0000000000aa';
    for (const [i, source] of (['web', 'partner', 'web', 'partner', 'walk_in'] as const).entries()) {
      await create({
        first_name: `L${i}`,
        email: `l${i}@example.com`,
        source,
        ...(source === 'partner' ? { partner_id: partner } : {}),
        ...(i === 3 ? { address } : {}),
      });
      edge.clock.now++;
    }
    const list = async (query: string) =>
      edge.ok(await edge.call('GET', `/api/v1/leads?${query}`, { token }), 200).body;
    expect((await list('')).data!.map((l) => l.first_name)).toEqual(['L4', 'L3', 'L2', 'L1', 'L0']);
    expect((await list('source=web')).data!.map((l) => l.first_name)).toEqual(['L2', 'L0']);
    expect((await list(`partner_id=${partner}`)).data!.map((l) => l.first_name)).toEqual(['L3', 'L1']);
    const first = await list('limit=3');
    expect((await list(`limit=3&cursor=${String(first.next_cursor)}`)).data!.map((l) => l.first_name)).toEqual([
      'L1',
      'L0',
    ]);

    const csv = await edge.call('GET', `/api/v1/leads?format=csv&source=partner`, { token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = csv.text.trimEnd().split('\r\n');
    expect(header).toBe(
      'number,id,status,first_name,last_name,organization_name,email,phone,address_line1,address_line2,address_city,' +
        'address_region,address_postal_code,address_country,source,partner_id,interested_offer,notes,' +
        'status_reason,converted_subscriber_id,converted_at,created_at,updated_at',
    );
    expect(
      rows.map((r) => r.split(',').slice(0, 4).concat(r.split(',').slice(8, 11), r.split(',').slice(13, 16)).join(',')),
    ).toEqual([
      `"LEAD-000004",${rows[0]!.split(',')[1]},"new","L3","1 Fiber Way","","Springfield","US","partner","${partner}"`,
      `"LEAD-000002",${rows[1]!.split(',')[1]},"new","L1","","","","","partner","${partner}"`,
    ]);
  });

  it('replays a conversion retried with the same Idempotency-Key instead of answering 409', async () => {
    const { edge, tenant, token, create } = await setup();
    const lead = await create({ first_name: 'Retry', email: 'retry@example.com', source: 'web' });
    const send = () =>
      edge.call('POST', `/api/v1/leads/${String(lead.id)}/convert`, {
        token,
        body: {},
        headers: { 'idempotency-key': 'convert-1' },
      });
    const first = edge.ok(await send(), 201);
    const again = edge.ok(await send(), 201);
    expect([again.headers.get('idempotent-replayed'), again.body]).toEqual(['true', first.body]);
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n).toBe(1);
  });
});
