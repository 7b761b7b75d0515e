import { describe, expect, it } from 'vitest';
import { startEdge, type Json, type TestEdge } from '../support/edge-app.ts';

const person = (overrides: Json = {}): Json => ({
  first_name: 'Ada',
  last_name: 'Lovelace',
  email: 'Ada@Example.com',
  phone: '+44 20 7946 0018',
  ...overrides,
});

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  // One millisecond apart, so creation order is list order (ids within one millisecond are random).
  const create = async (body: Json) => {
    const created = edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body }), 201).body;
    edge.clock.now += 1;
    return created;
  };
  return { edge, tenant, token, create };
}

const audit = async (edge: TestEdge, token: string, id: string) =>
  edge.ok(
    await edge.call('GET', `/api/v1/audit-events?resource=subscriber&resource_id=${id}&limit=200`, { token }),
    200,
  ).body.data!;

describe('subscribers', () => {
  it(
    'creates a person with canonical fields, a number, ' + 'defaults, an address, an audit entry and an event',
    async () => {
      const { edge, tenant, token, create } = await setup();
      const s = await create(
        person({
          locale: 'en-gb',
          timezone: 'Europe/London',
          billing_day: 28,
          payment_due_days: 10,
          grace_days: 3,
          min_balance: -5000,
          marketing_opt_in: true,
          notes: 'prefers mornings',
          addresses: [
            {
              line1: '12 St James Sq',
              city: 'London',
              postal_code: 'SW1Y 4JH',
              country: 'gb',
              latitude: 51.5074,
              longitude: -0.1278,
            },
          ],
        }),
      );
      expect(s).toMatchObject({
        subscriber_number: 'SUB-000001',
        kind: 'person',
        status: 'active',
        display_name: 'Ada Lovelace',
        email: 'ada@example.com',
        phone: '+442079460018',
        locale: 'en-GB',
        timezone: 'Europe/London',
        billing_day: 28,
        payment_due_days: 10,
        grace_days: 3,
        min_balance: -5000,
        marketing_opt_in: true,
        notes: 'prefers mornings',
        custom_fields: {},
        archived_at: null,
        erased_at: null,
        created_at: new Date(edge.clock.now - 1).toISOString(),
      });
      expect(s.addresses).toEqual([
        expect.objectContaining({
          kind: 'service',
          is_primary: true,
          country: 'GB',
          city: 'London',
          latitude: 51.5074,
          longitude: -0.1278,
        }),
      ]);
      const defaults = await create({ kind: 'organization', organization_name: 'Initech' });
      expect(defaults).toMatchObject({
        subscriber_number: 'SUB-000002',
        display_name: 'Initech',
        billing_day: null,
        payment_due_days: 14,
        grace_days: 0,
        min_balance: 0,
        marketing_opt_in: false,
        email: null,
      });
      expect(edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token }), 200).body).toEqual(s);

      const entries = await audit(edge, token, String(s.id));
      expect(entries.map((e) => e.action)).toEqual(['subscriber.created']);
      // Personal values never enter the (permanent) audit log.
      expect(JSON.stringify(entries)).not.toMatch(/ada@example\.com|Lovelace|prefers mornings|London/);
      expect(entries[0]!.changes).toMatchObject({
        email: '[changed]',
        billing_day: 28,
        subscriber_number: 'SUB-000001',
      });
      const events = await edge.tenantSql(tenant.slug, 'SELECT type, payload FROM domain_events WHERE subject_id = ?', [
        String(s.id),
      ]);
      expect(events.rows.map((r) => r.type)).toEqual(['subscriber.created']);
    },
  );

  it(
    'creates with several addresses: one primary per kind, the reply is what a read returns, the addresses are ' +
      'searchable',
    async () => {
      const { edge, token, create } = await setup();
      const s = await create(
        person({
          addresses: [
            { line1: '1 First St', city: 'Austin', country: 'US' },
            { kind: 'billing', line1: '2 Bill St', city: 'Dallas', country: 'US' },
            { line1: '3 Third St', city: 'Waco', country: 'US', is_primary: true },
            { line1: '4 Fourth St', city: 'Plano', country: 'US' },
          ],
        }),
      );
      const primaries = (s.addresses as Json[]).map((a) => [a.kind, a.line1, a.is_primary]);
      expect(primaries).toEqual(
        expect.arrayContaining([
          ['service', '1 First St', false],
          ['billing', '2 Bill St', true],
          ['service', '3 Third St', true],
          ['service', '4 Fourth St', false],
        ]),
      );
      expect(edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token }), 200).body).toEqual(s);
      const found = edge.ok(await edge.call('GET', '/api/v1/subscribers?q=waco', { token }), 200).body.data!;
      expect(found.map((f) => f.id)).toEqual([s.id]);
    },
  );

  it('patches fields, keeps a derived display name in step, audits only real changes', async () => {
    const { edge, token, create } = await setup();
    const s = await create(person());
    const id = String(s.id);
    edge.clock.now += 60_000;
    const patched = edge.ok(
      await edge.call('PATCH', `/api/v1/subscribers/${id}`, {
        token,
        body: { last_name: 'King', phone: '+1 (555) 010-9999', notes: null },
      }),
      200,
    ).body;
    expect(patched).toMatchObject({
      last_name: 'King',
      display_name: 'Ada King',
      status: 'active',
      phone: '+15550109999',
      notes: null,
      updated_at: new Date(edge.clock.now).toISOString(),
      created_at: s.created_at,
    });
    const manual = edge.ok(
      await edge.call('PATCH', `/api/v1/subscribers/${id}`, { token, body: { display_name: 'Countess of Lovelace' } }),
      200,
    ).body;
    expect(manual.display_name).toBe('Countess of Lovelace');
    expect(
      edge.ok(await edge.call('PATCH', `/api/v1/subscribers/${id}`, { token, body: { first_name: 'Augusta' } }), 200)
        .body.display_name,
    ).toBe('Countess of Lovelace');
    expect(
      edge.ok(await edge.call('PATCH', `/api/v1/subscribers/${id}`, { token, body: { display_name: null } }), 200).body
        .display_name,
    ).toBe('Augusta King');
    // The same values again: nothing to record.
    edge.ok(await edge.call('PATCH', `/api/v1/subscribers/${id}`, { token, body: { last_name: 'King' } }), 200);
    const actions = (await audit(edge, token, id)).map((e) => e.action);
    expect(actions).toEqual([
      'subscriber.updated',
      'subscriber.updated',
      'subscriber.updated',
      'subscriber.updated',
      'subscriber.created',
    ]);
  });

  it('archives on DELETE, hides archived from lists unless asked, restores', async () => {
    const { edge, token, create } = await setup();
    const kept = await create(person({ email: 'kept@example.com' }));
    const gone = await create(person({ email: 'gone@example.com' }));
    expect((await edge.call('DELETE', `/api/v1/subscribers/${String(gone.id)}`, { token })).status).toBe(204);
    const ids = async (query: string) =>
      edge.ok(await edge.call('GET', `/api/v1/subscribers${query}`, { token }), 200).body.data!.map((s) => s.id);
    expect(await ids('')).toEqual([kept.id]);
    expect(await ids('?archived=only')).toEqual([gone.id]);
    expect(await ids('?archived=include')).toEqual([gone.id, kept.id]);
    expect(
      edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(gone.id)}`, { token }), 200).body.archived_at,
    ).toBe(new Date(edge.clock.now).toISOString());
    const restored = edge.ok(
      await edge.call('POST', `/api/v1/subscribers/${String(gone.id)}/restore`, { token }),
      200,
    ).body;
    expect(restored.archived_at).toBeNull();
    expect(await ids('')).toEqual([gone.id, kept.id]);
    expect((await audit(edge, token, String(gone.id))).map((e) => e.action)).toEqual([
      'subscriber.restored',
      'subscriber.archived',
      'subscriber.created',
    ]);
  });

  it(
    'paginates with an opaque cursor in a stable order and filters by status, ' + 'created range, city and tag',
    async () => {
      const { edge, tenant, token, create } = await setup();
      const made: Json[] = [];
      for (let i = 0; i < 7; i++) {
        made.push(
          await create(
            person({
              email: `p${i}@example.com`,
              addresses: [{ line1: `${i} Main St`, city: i < 3 ? 'Springfield' : 'Shelbyville', country: 'US' }],
            }),
          ),
        );
        edge.clock.now += 1000;
      }
      // Status is derived from subscriptions (subscribers.account-status.test.ts); here the
      // derived column is set directly, to test the filter alone.
      const odd = made.filter((_, i) => i % 2).map((s) => String(s.id));
      await edge.tenantSql(
        tenant.slug,
        `UPDATE subscribers SET status = 'suspended' WHERE id IN (${odd.map(() => '?').join(', ')})`,
        odd,
      );
      const newestFirst = [...made].reverse().map((s) => s.id);
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const res = edge.ok(
          await edge.call(
            'GET',
            `/api/v1/subscribers?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            {
              token,
            },
          ),
          200,
        ).body;
        seen.push(...res.data!.map((s) => s.id));
        cursor = res.next_cursor as string | null;
        if (cursor) expect(cursor).not.toContain(String(res.data!.at(-1)!.id));
      } while (cursor);
      expect(seen).toEqual(newestFirst);

      const ids = async (query: string) =>
        edge.ok(await edge.call('GET', `/api/v1/subscribers?${query}`, { token }), 200).body.data!.map((s) => s.id);
      expect(await ids('status=suspended')).toEqual(newestFirst.filter((_, i) => (6 - i) % 2 === 1));
      const from = String(made[2]!.created_at);
      const to = String(made[5]!.created_at);
      expect(await ids(`created_from=${from}&created_to=${to}`)).toEqual([made[4]!.id, made[3]!.id, made[2]!.id]);
      expect(await ids('city=springfield')).toEqual([made[2]!.id, made[1]!.id, made[0]!.id]);
      expect(await ids('city=springfield&status=active')).toEqual([made[2]!.id, made[0]!.id]);
      const tag = edge.ok(
        await edge.call('POST', '/api/v1/tags', { token, body: { name: 'VIP', color: '#ff0000' } }),
        201,
      ).body;
      expect(
        (await edge.call('PUT', `/api/v1/subscribers/${String(made[6]!.id)}/tags/${String(tag.id)}`, { token })).status,
      ).toBe(204);
      expect(await ids(`tag=${String(tag.id)}`)).toEqual([made[6]!.id]);
    },
  );

  it('exports the list as CSV with the same filters, every page, and formula cells neutralised', async () => {
    const { edge, token, create } = await setup();
    for (let i = 0; i < 4; i++) {
      await create(
        person({
          first_name: i === 0 ? '=HYPERLINK("x")' : `P${i}`,
          email: `c${i}@example.com`,
          addresses: [{ line1: 'x', city: i < 3 ? 'Gotham' : 'Metropolis', country: 'US' }],
        }),
      );
      edge.clock.now += 1000;
    }
    const res = edge.ok(await edge.call('GET', '/api/v1/subscribers?format=csv&city=Gotham&limit=1', { token }), 200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="subscribers.csv"');
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^subscriber_number,kind,status,display_name,/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['"SUB-000003"', '"SUB-000002"', '"SUB-000001"']);
    expect(res.text).toContain(`"'=HYPERLINK(""x"") Lovelace"`);
    expect(res.text).not.toContain('c3@example.com');
  });

  it('manages addresses with one primary per kind', async () => {
    const { edge, token, create } = await setup();
    const s = await create(person());
    const base = `/api/v1/subscribers/${String(s.id)}/addresses`;
    const first = edge.ok(
      await edge.call('POST', base, {
        token,
        body: { kind: 'billing', line1: '1 A St', city: 'Austin', country: 'US' },
      }),
      201,
    ).body;
    edge.clock.now += 1;
    expect(first.is_primary).toBe(true);
    const second = edge.ok(
      await edge.call('POST', base, {
        token,
        body: {
          kind: 'billing',
          line1: '2 B St',
          city: 'Austin',
          country: 'US',
          is_primary: true,
          latitude: -90,
          longitude: 180,
        },
      }),
      201,
    ).body;
    const service = edge.ok(
      await edge.call('POST', base, {
        token,
        body: { kind: 'service', line1: '3 C St', city: 'Dallas', country: 'US' },
      }),
      201,
    ).body;
    const list = async () => edge.ok(await edge.call('GET', base, { token }), 200).body.data!;
    expect((await list()).map((a) => [a.id, a.is_primary])).toEqual([
      [first.id, false],
      [second.id, true],
      [service.id, true],
    ]);
    const moved = edge.ok(
      await edge.call('PATCH', `${base}/${String(first.id)}`, {
        token,
        body: { is_primary: true, line2: 'Suite 5', postal_code: '73301' },
      }),
      200,
    ).body;
    expect(moved).toMatchObject({ is_primary: true, line2: 'Suite 5', postal_code: '73301', line1: '1 A St' });
    expect((await list()).find((a) => a.id === second.id)!.is_primary).toBe(false);
    expect((await edge.call('DELETE', `${base}/${String(service.id)}`, { token })).status).toBe(204);
    expect((await list()).map((a) => a.id)).toEqual([first.id, second.id]);
    const actions = (await audit(edge, token, String(s.id))).map((e) => e.action);
    expect(actions.slice(0, 5)).toEqual([
      'subscriber.address_removed',
      'subscriber.address_updated',
      'subscriber.address_added',
      'subscriber.address_added',
      'subscriber.address_added',
    ]);
  });

  it('manages contacts per channel with opt-in and verified flags', async () => {
    const { edge, token, create } = await setup();
    const s = await create(person());
    const base = `/api/v1/subscribers/${String(s.id)}/contacts`;
    const wa = edge.ok(
      await edge.call('POST', base, { token, body: { channel: 'whatsapp', value: '+49 151 2345 6789', opt_in: true } }),
      201,
    ).body;
    expect(wa).toMatchObject({ channel: 'whatsapp', value: '+4915123456789', opt_in: true, verified: false });
    edge.clock.now += 1;
    const mail = edge.ok(
      await edge.call('POST', base, {
        token,
        body: { channel: 'email', value: 'Billing@Example.com', label: 'accounts' },
      }),
      201,
    ).body;
    expect(mail).toMatchObject({ value: 'billing@example.com', opt_in: false, label: 'accounts' });
    expect(
      edge.ok(
        await edge.call('PATCH', `${base}/${String(wa.id)}`, { token, body: { verified: true, opt_in: false } }),
        200,
      ).body,
    ).toMatchObject({ verified: true, opt_in: false });
    expect((await edge.call('DELETE', `${base}/${String(mail.id)}`, { token })).status).toBe(204);
    expect(edge.ok(await edge.call('GET', base, { token }), 200).body.data!.map((c) => c.id)).toEqual([wa.id]);
    expect(
      edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token }), 200).body.contacts,
    ).toHaveLength(1);
  });

  it('validates custom field values against the tenant definitions', async () => {
    const { edge, token, create } = await setup();
    const def = async (body: Json) =>
      edge.ok(await edge.call('POST', '/api/v1/custom-fields', { token, body }), 201).body;
    const plan = await def({
      key: 'plan_tier',
      label: 'Plan tier',
      type: 'select',
      options: ['gold', 'silver'],
      required: true,
    });
    await def({ key: 'contract_ref', label: 'Contract', type: 'text' });
    await def({ key: 'seats', label: 'Seats', type: 'number' });
    await def({ key: 'vip', label: 'VIP', type: 'boolean' });
    await def({ key: 'since', label: 'Customer since', type: 'date' });
    const s = await create(
      person({ custom_fields: { plan_tier: 'gold', contract_ref: 'C-1', seats: 3, vip: true, since: '2024-02-29' } }),
    );
    expect(s.custom_fields).toEqual({
      plan_tier: 'gold',
      contract_ref: 'C-1',
      seats: 3,
      vip: true,
      since: '2024-02-29',
    });
    const patched = edge.ok(
      await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
        token,
        body: { custom_fields: { seats: null, plan_tier: 'silver' } },
      }),
      200,
    ).body;
    expect(patched.custom_fields).toEqual({ plan_tier: 'silver', contract_ref: 'C-1', vip: true, since: '2024-02-29' });
    const list = edge.ok(await edge.call('GET', '/api/v1/custom-fields', { token }), 200).body.data!;
    expect(list.map((f) => f.key)).toEqual(['contract_ref', 'plan_tier', 'seats', 'since', 'vip']);
    edge.ok(
      await edge.call('PATCH', `/api/v1/custom-fields/${String(plan.id)}`, {
        token,
        body: { options: ['gold', 'silver', 'bronze'], label: 'Tier' },
      }),
      200,
    );
    expect(
      edge.ok(
        await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
          token,
          body: { custom_fields: { plan_tier: 'bronze' } },
        }),
        200,
      ).body.custom_fields,
    ).toMatchObject({ plan_tier: 'bronze' });
    // Deleting a definition removes its values everywhere.
    expect((await edge.call('DELETE', `/api/v1/custom-fields/${String(plan.id)}`, { token })).status).toBe(204);
    expect(
      edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token }), 200).body.custom_fields,
    ).toEqual({ contract_ref: 'C-1', vip: true, since: '2024-02-29' });
  });

  it('tags: a per-tenant set, attached and detached idempotently, deleted everywhere', async () => {
    const { edge, token, create } = await setup();
    const s = await create(person());
    const tag = edge.ok(await edge.call('POST', '/api/v1/tags', { token, body: { name: 'Fiber' } }), 201).body;
    const other = edge.ok(
      await edge.call('POST', '/api/v1/tags', { token, body: { name: 'Business', color: '#00aa00' } }),
      201,
    ).body;
    const base = `/api/v1/subscribers/${String(s.id)}/tags`;
    for (let i = 0; i < 2; i++)
      expect((await edge.call('PUT', `${base}/${String(tag.id)}`, { token })).status).toBe(204);
    expect((await edge.call('PUT', `${base}/${String(other.id)}`, { token })).status).toBe(204);
    expect(edge.ok(await edge.call('GET', base, { token }), 200).body.data!.map((t) => t.name)).toEqual([
      'Business',
      'Fiber',
    ]);
    expect(
      edge.ok(await edge.call('PATCH', `/api/v1/tags/${String(tag.id)}`, { token, body: { name: 'FTTH' } }), 200).body
        .name,
    ).toBe('FTTH');
    for (let i = 0; i < 2; i++)
      expect((await edge.call('DELETE', `${base}/${String(other.id)}`, { token })).status).toBe(204);
    expect(edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token }), 200).body.tags).toEqual([
      expect.objectContaining({ name: 'FTTH' }),
    ]);
    expect((await edge.call('DELETE', `/api/v1/tags/${String(tag.id)}`, { token })).status).toBe(204);
    expect(edge.ok(await edge.call('GET', base, { token }), 200).body.data).toEqual([]);
    expect(edge.ok(await edge.call('GET', '/api/v1/tags', { token }), 200).body.data!.map((t) => t.name)).toEqual([
      'Business',
    ]);
    const actions = (await audit(edge, token, String(s.id))).map((e) => e.action);
    expect(actions.filter((a) => a === 'subscriber.tag_attached')).toHaveLength(2);
    expect(actions.filter((a) => a === 'subscriber.tag_detached')).toHaveLength(1);
  });

  it('organizations are subscribers of kind organization with member persons', async () => {
    const { edge, token, create } = await setup();
    const org = await create({ kind: 'organization', organization_name: 'Acme Corp', email: 'it@acme.test' });
    const a = await create(person({ email: 'a@acme.test', organization_id: org.id }));
    const b = await create(person({ email: 'b@acme.test' }));
    edge.ok(
      await edge.call('PATCH', `/api/v1/subscribers/${String(b.id)}`, { token, body: { organization_id: org.id } }),
      200,
    );
    const members = edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(org.id)}/members`, { token }), 200)
      .body.data!;
    expect(members.map((m) => m.id)).toEqual([b.id, a.id]);
    expect(
      edge
        .ok(await edge.call('GET', `/api/v1/subscribers?kind=organization`, { token }), 200)
        .body.data!.map((s) => s.id),
    ).toEqual([org.id]);
    edge.ok(
      await edge.call('PATCH', `/api/v1/subscribers/${String(a.id)}`, { token, body: { organization_id: null } }),
      200,
    );
    expect(
      edge
        .ok(await edge.call('GET', `/api/v1/subscribers/${String(org.id)}/members`, { token }), 200)
        .body.data!.map((m) => m.id),
    ).toEqual([b.id]);
  });
});
