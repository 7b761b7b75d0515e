import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type TestEdge } from '../support/edge-app.ts';

const count = async (edge: TestEdge, slug: string, sql: string) => Number((await edge.tenantSql(slug, sql)).rows[0]!.n);

describe('lead conversion is one transaction', () => {
  it(
    'leaves no subscriber, number, ' + 'event or audit entry behind when the lead update fails mid-conversion',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const token = tenant.owner.token;
      const lead = edge.ok(
        await edge.call('POST', '/api/v1/leads', {
          token,
          body: {
            first_name: 'Ada',
            email: 'ada@example.com',
            source: 'web',
            address: { line1: '1 Way', city: 'Town', country: 'US' },
          },
        }),
        201,
      ).body;
      const path = `/api/v1/leads/${String(lead.id)}`;
      edge.ok(await edge.call('POST', `${path}/qualify`, { token }), 200);
      const before = edge.ok(await edge.call('GET', path, { token }), 200).body;
      // Fails after the subscriber (with its address, search row, number, event and audit entry) was written.
      await edge.tenantSql(
        tenant.slug,
        "CREATE TRIGGER fail_conversion BEFORE UPDATE OF status ON leads WHEN NEW.status = 'converted' BEGIN SELECT " +
          "RAISE(ABORT, 'forced failure'); END",
      );
      expectProblem(await edge.call('POST', `${path}/convert`, { token }), 500, 'internal');

      expect(edge.ok(await edge.call('GET', path, { token }), 200).body).toEqual(before);
      expect(await count(edge, tenant.slug, 'SELECT count(*) AS n FROM subscribers')).toBe(0);
      expect(await count(edge, tenant.slug, 'SELECT count(*) AS n FROM subscriber_addresses')).toBe(0);
      expect(
        await count(
          edge,
          tenant.slug,
          "SELECT count(*) AS n FROM domain_events WHERE type IN ('subscriber.created', 'lead.converted')",
        ),
      ).toBe(0);
      expect(
        await count(
          edge,
          tenant.slug,
          "SELECT count(*) AS n FROM audit_events WHERE action LIKE 'subscriber.%' OR action = 'lead.converted'",
        ),
      ).toBe(0);

      // With the fault gone the same conversion succeeds and takes the first number: none was used up.
      await edge.tenantSql(tenant.slug, 'DROP TRIGGER fail_conversion');
      const converted = edge.ok(await edge.call('POST', `${path}/convert`, { token }), 201).body;
      expect(converted).toMatchObject({ lead: { status: 'converted' }, subscriber: { number: 'SUB-000001' } });
      expect(edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token }), 200).body.valid).toBe(true);
    },
  );

  it('refuses a conversion whose subscriber would clash, changing nothing', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token,
        body: { first_name: 'Existing', email: 'taken@example.com' },
      }),
      201,
    );
    const lead = edge.ok(
      await edge.call('POST', '/api/v1/leads', {
        token,
        body: { last_name: 'Newcomer', email: 'TAKEN@example.com', source: 'referral' },
      }),
      201,
    ).body;
    const problem = expectProblem(
      await edge.call('POST', `/api/v1/leads/${String(lead.id)}/convert`, { token }),
      409,
      'conflict',
    );
    expect(problem.errors).toEqual([{ path: 'email', message: 'already used by another subscriber' }]);
    expect(edge.ok(await edge.call('GET', `/api/v1/leads/${String(lead.id)}`, { token }), 200).body.status).toBe('new');
    expect(await count(edge, tenant.slug, 'SELECT count(*) AS n FROM subscribers')).toBe(1);
  });

  it('converts a lead once under concurrent conversions', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const lead = edge.ok(
      await edge.call('POST', '/api/v1/leads', {
        token,
        body: { first_name: 'Race', phone: '+15550001111', source: 'web' },
      }),
      201,
    ).body;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => edge.call('POST', `/api/v1/leads/${String(lead.id)}/convert`, { token })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(await count(edge, tenant.slug, 'SELECT count(*) AS n FROM subscribers')).toBe(1);
  });
});

describe('lead permissions and isolation', () => {
  it('lets read-only staff and field techs read leads but not change them', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const lead = edge.ok(
      await edge.call('POST', '/api/v1/leads', {
        token: tenant.owner.token,
        body: { first_name: 'Ada', email: 'ada@example.com', source: 'web' },
      }),
      201,
    ).body;
    const path = `/api/v1/leads/${String(lead.id)}`;
    for (const role of ['read_only', 'field_tech'] as const) {
      const staff = await edge.createStaff(tenant, role);
      edge.ok(await edge.call('GET', '/api/v1/leads', { token: staff.token }), 200);
      edge.ok(await edge.call('GET', path, { token: staff.token }), 200);
      for (const [method, url, body] of [
        ['POST', '/api/v1/leads', { first_name: 'x', email: 'x@example.com', source: 'web' }],
        ['PATCH', path, { notes: 'x' }],
        ['POST', `${path}/qualify`, undefined],
        ['POST', `${path}/disqualify`, { reason: 'x' }],
        ['POST', `${path}/convert`, undefined],
      ] as const) {
        const res = await edge.call(method, url, { token: staff.token, ...(body ? { body } : {}) });
        expect(expectProblem(res, 403, 'forbidden').detail, `${role} ${method} ${url}`).toBe(
          'this action needs the subscribers:write permission',
        );
      }
    }
    const support = await edge.createStaff(tenant, 'support');
    edge.ok(await edge.call('POST', `${path}/qualify`, { token: support.token }), 200);
  });

  it("never shows or converts another tenant's leads", async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const lead = edge.ok(
      await edge.call('POST', '/api/v1/leads', {
        token: a.owner.token,
        body: { first_name: 'Secret', email: 'secret@a.test', source: 'web' },
      }),
      201,
    ).body;
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/qualify'],
      ['POST', '/convert'],
    ] as const) {
      expectProblem(
        await edge.call(method, `/api/v1/leads/${String(lead.id)}${suffix}`, { token: b.owner.token }),
        404,
        'not_found',
      );
    }
    const csv = await edge.call('GET', '/api/v1/leads?format=csv', { token: b.owner.token });
    expect(csv.text).not.toContain('secret@a.test');
    expect(
      edge.ok(await edge.call('GET', `/api/v1/leads/${String(lead.id)}`, { token: a.owner.token }), 200).body.status,
    ).toBe('new');
    expect(await count(edge, b.slug, 'SELECT count(*) AS n FROM subscribers')).toBe(0);
  });
});
