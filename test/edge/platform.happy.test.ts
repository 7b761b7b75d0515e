import { describe, expect, it } from 'vitest';
import { activeTenantTtlMs } from '../../edge/services/tenants/find-tenant.ts';
import { platformAdmin, startEdge, startTime, unique } from '../support/edge-app.ts';

const newTenant = (slug = unique('isp-')) => ({
  slug,
  name: `  Fiber ${slug}  `,
  currency: 'NGN',
  timezone: 'Africa/Lagos',
  admin_email: `Boss@${slug}.Test`,
  admin_password: 'a-long-owner-password',
});

describe('platform login', () => {
  it('issues a bearer token for the configured platform administrator', async () => {
    const edge = await startEdge({ TOKEN_TTL_SECONDS: 1800 });
    const res = edge.ok(await edge.call('POST', '/api/v1/platform/auth/login', { body: platformAdmin }), 200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'Bearer',
      expires_in: 1800,
    });
    const list = await edge.call('GET', '/api/v1/platform/tenants', { token: String(res.body.access_token) });
    expect(list.status).toBe(200);
  });

  it('matches the email case-insensitively', async () => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/platform/auth/login', {
      body: { ...platformAdmin, email: platformAdmin.email.toUpperCase() },
    });
    expect(res.status).toBe(200);
  });

  it('keeps the token valid until its expiry on the platform clock, then refuses it', async () => {
    const edge = await startEdge({ TOKEN_TTL_SECONDS: 600 });
    const token = await edge.platformToken();
    edge.clock.now += 599_000;
    expect((await edge.call('GET', '/api/v1/platform/tenants', { token })).status).toBe(200);
    edge.clock.now += 1_000;
    expect((await edge.call('GET', '/api/v1/platform/tenants', { token })).status).toBe(401);
  });
});

describe('tenant creation', () => {
  it('creates an active tenant with its database and owner, and returns it with 201', async () => {
    const edge = await startEdge();
    const input = newTenant();
    const res = edge.ok(
      await edge.call('POST', '/api/v1/platform/tenants', {
        token: await edge.rootToken(),
        body: { ...input, max_subscribers: 5000 },
      }),
      201,
    );
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      slug: input.slug,
      name: input.name.trim(),
      currency: 'NGN',
      timezone: 'Africa/Lagos',
      status: 'active',
      max_subscribers: 5000,
      created_at: new Date(startTime).toISOString(),
      updated_at: new Date(startTime).toISOString(),
    });
    // The owner exists in the tenant's own database and can log in (email stored lower-cased).
    const token = await edge.login(input.slug, input.admin_email.toLowerCase(), input.admin_password);
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200);
    expect(me.body).toMatchObject({
      kind: 'user',
      role: 'owner',
      tenant: { slug: input.slug, name: input.name.trim(), currency: 'NGN', timezone: 'Africa/Lagos' },
    });
    expect(me.body.user).toMatchObject({
      email: input.admin_email.toLowerCase(),
      role: 'owner',
      status: 'active',
      mfa_enabled: false,
    });
  });

  it('defaults max_subscribers to null and accepts UTC and the longest legal slug', async () => {
    const edge = await startEdge();
    const slug = `a${'-b'.repeat(31)}`;
    expect(slug).toHaveLength(63);
    const res = edge.ok(
      await edge.call('POST', '/api/v1/platform/tenants', {
        token: await edge.rootToken(),
        body: { ...newTenant(slug), timezone: 'UTC' },
      }),
      201,
    );
    expect(res.body).toMatchObject({ slug, max_subscribers: null, timezone: 'UTC' });
  });

  it("records the tenant creation and its owner in the new tenant's audit log", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const events = edge.ok(await edge.call('GET', '/api/v1/audit-events', { token: tenant.owner.token }), 200).body
      .data!;
    const actions = events.map((e) => e.action).reverse();
    expect(actions.slice(0, 3)).toEqual(['tenant.created', 'user.created', 'auth.login']);
    expect(events.find((e) => e.action === 'user.created')).toMatchObject({
      resource: 'user',
      resource_id: tenant.owner.id,
      changes: { email: tenant.owner.email, role: 'owner' },
    });
    expect(events.find((e) => e.action === 'tenant.created')).toMatchObject({
      resource: 'tenant',
      resource_id: tenant.id,
      actor_type: 'platform_user',
    });
  });
});

describe('tenant listing and reading', () => {
  it('lists tenants by slug with cursor pagination, every tenant exactly once', async () => {
    const edge = await startEdge();
    const token = await edge.rootToken();
    const slugs = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
    for (const slug of slugs) await edge.createTenant({ slug });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const res = edge.ok(await edge.call('GET', `/api/v1/platform/tenants${query}`, { token }), 200);
      const data = res.body.data!;
      expect(data.length).toBeLessThanOrEqual(2);
      seen.push(...data.map((t) => String(t.slug)));
      cursor = res.body.next_cursor as string | null;
      pages++;
    } while (cursor);
    expect(seen).toEqual([...slugs].sort());
    expect(pages).toBe(3);
  });

  it('returns next_cursor null when everything fits and uses a default page size', async () => {
    const edge = await startEdge();
    await edge.createTenant({ slug: 'only-one' });
    const res = edge.ok(await edge.call('GET', '/api/v1/platform/tenants', { token: await edge.rootToken() }), 200);
    expect(res.body.data!.map((t) => t.slug)).toEqual(['only-one']);
    expect(res.body.next_cursor).toBeNull();
  });

  it('reads one tenant by slug', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = edge.ok(
      await edge.call('GET', `/api/v1/platform/tenants/${tenant.slug}`, { token: await edge.rootToken() }),
      200,
    );
    expect(res.body).toMatchObject({ id: tenant.id, slug: tenant.slug, status: 'active' });
  });
});

describe('tenant updates', () => {
  it('renames and changes limits, stamping updated_at with the platform clock', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    edge.clock.now += 1_800_000;
    const res = edge.ok(
      await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
        token: await edge.rootToken(),
        body: { name: 'Renamed ISP', max_subscribers: 10 },
      }),
      200,
    );
    expect(res.body).toMatchObject({
      name: 'Renamed ISP',
      max_subscribers: 10,
      status: 'active',
      updated_at: new Date(edge.clock.now).toISOString(),
      created_at: new Date(startTime).toISOString(),
    });
    const cleared = edge.ok(
      await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
        token: await edge.rootToken(),
        body: { max_subscribers: null },
      }),
      200,
    );
    expect(cleared.body.max_subscribers).toBeNull();
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token: tenant.owner.token }), 200);
    expect(me.body.tenant).toMatchObject({ name: 'Renamed ISP' });
  });

  it('a suspension written by another process reaches this one within activeTenantTtlMs', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    edge.ok(await edge.call('GET', '/api/v1/me', { token: tenant.owner.token }), 200);
    // Another process (or Worker isolate) suspends the tenant in the shared control database.
    const control = await edge.platform.databases.control();
    await control.execute({ sql: "UPDATE tenants SET status = 'suspended' WHERE slug = ?", args: [tenant.slug] });
    edge.ok(await edge.call('GET', '/api/v1/me', { token: tenant.owner.token }), 200);
    edge.clock.now += activeTenantTtlMs;
    const res = await edge.call('GET', '/api/v1/me', { token: tenant.owner.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('tenant_suspended');
    // Refusals are not remembered: reactivation there is seen on the next request.
    await control.execute({ sql: "UPDATE tenants SET status = 'active' WHERE slug = ?", args: [tenant.slug] });
    edge.ok(await edge.call('GET', '/api/v1/me', { token: tenant.owner.token }), 200);
  });

  it(
    'suspends a tenant: its existing tokens and API keys get 403 tenant_suspended at once, ' + 'and login is refused',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const other = await edge.createTenant();
      const staff = await edge.createStaff(tenant, 'support');
      const key = await edge.createApiKey(tenant.owner.token, 'admin');
      const root = await edge.rootToken();

      const suspended = edge.ok(
        await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
          token: root,
          body: { status: 'suspended' },
        }),
        200,
      );
      expect(suspended.body.status).toBe('suspended');

      for (const token of [tenant.owner.token, staff.token, key.secret]) {
        const res = await edge.call('GET', '/api/v1/me', { token });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('tenant_suspended');
      }
      const write = await edge.call('POST', '/api/v1/users', {
        token: tenant.owner.token,
        body: { email: 'x@y.test', name: 'x', role: 'support', password: 'password-12345' },
      });
      expect(write.body.code).toBe('tenant_suspended');
      const login = await edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: tenant.slug, email: tenant.owner.email, password: tenant.owner.password },
      });
      expect(login.status).toBe(403);
      expect(login.body.code).toBe('tenant_suspended');
      // Other tenants are unaffected.
      expect((await edge.call('GET', '/api/v1/me', { token: other.owner.token })).status).toBe(200);

      const reactivated = edge.ok(
        await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
          token: root,
          body: { status: 'active' },
        }),
        200,
      );
      expect(reactivated.body.status).toBe('active');
      for (const token of [tenant.owner.token, staff.token, key.secret])
        expect((await edge.call('GET', '/api/v1/me', { token })).status).toBe(200);
      expect(
        (
          await edge.call('POST', '/api/v1/auth/login', {
            body: { tenant: tenant.slug, email: tenant.owner.email, password: tenant.owner.password },
          })
        ).status,
      ).toBe(200);
    },
  );

  it(
    'records suspension and reactivation in the tenant audit trail of the control plane without touching the tenant ' +
      'log',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const root = await edge.rootToken();
      const before = edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token: tenant.owner.token }), 200);
      edge.ok(
        await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
          token: root,
          body: { status: 'suspended' },
        }),
        200,
      );
      edge.ok(
        await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
          token: root,
          body: { status: 'active' },
        }),
        200,
      );
      const control = await edge.platform.databases.control();
      const rows = await control.execute({
        sql: 'SELECT action, changes FROM audit_events WHERE resource_id = ? ORDER BY seq',
        args: [tenant.id],
      });
      expect(rows.rows.map((r) => r.action)).toEqual(['tenant.created', 'tenant.suspended', 'tenant.reactivated']);
      const after = edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token: tenant.owner.token }), 200);
      expect(after.body).toEqual(before.body);
    },
  );

  it('returns the tenant unchanged for a no-op patch', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const root = await edge.rootToken();
    const before = edge.ok(await edge.call('GET', `/api/v1/platform/tenants/${tenant.slug}`, { token: root }), 200);
    edge.clock.now += 60_000;
    const res = edge.ok(
      await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, { token: root, body: { status: 'active' } }),
      200,
    );
    expect(res.body).toEqual(before.body);
  });
});
