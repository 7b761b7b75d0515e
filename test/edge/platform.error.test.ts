import { describe, expect, it } from 'vitest';
import { expectProblem, platformAdmin, startEdge, unique } from '../support/edge-app.ts';

const tenantBody = (overrides: Record<string, unknown> = {}) => {
  const slug = String(overrides.slug ?? unique('isp-'));
  return {
    slug,
    name: 'Some ISP',
    currency: 'USD',
    timezone: 'UTC',
    admin_email: `owner@${slug}.test`,
    admin_password: 'owner-password-long',
    ...overrides,
  };
};

describe('platform login failures', () => {
  it('answers a wrong password and an unknown email with the same 401 problem', async () => {
    const edge = await startEdge();
    const wrong = await edge.call('POST', '/api/v1/platform/auth/login', {
      body: { email: platformAdmin.email, password: 'not-the-password' },
    });
    const unknown = await edge.call('POST', '/api/v1/platform/auth/login', {
      body: { email: 'nobody@platform.test', password: 'not-the-password' },
    });
    const a = expectProblem(wrong, 401, 'invalid_credentials');
    const b = expectProblem(unknown, 401, 'invalid_credentials');
    const { request_id: _a, ...restA } = a;
    const { request_id: _b, ...restB } = b;
    expect(restA).toEqual(restB);
    expect(wrong.body.access_token).toBeUndefined();
  });

  it('rejects a malformed login body with a 400 listing the fields', async () => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/platform/auth/login', {
      body: { email: 'not-an-email', password: '' },
    });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors!.map((e) => e.path).sort()).toEqual(['email', 'password']);
  });

  it(
    'locks the account after LOGIN_MAX_FAILURES failures with 429 and Retry-After, even for the right password, and ' +
      'unlocks after LOGIN_LOCK_SECONDS',
    async () => {
      const edge = await startEdge({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_SECONDS: 120 });
      const attempt = (password: string) =>
        edge.call('POST', '/api/v1/platform/auth/login', { body: { email: platformAdmin.email, password } });
      for (let i = 0; i < 2; i++) expectProblem(await attempt('wrong-password'), 401, 'invalid_credentials');
      expectProblem(await attempt('wrong-password'), 401, 'invalid_credentials');
      const locked = await attempt(platformAdmin.password);
      expectProblem(locked, 429, 'account_locked');
      expect(locked.headers.get('retry-after')).toBe('120');
      edge.clock.now += 100_000;
      const still = await attempt(platformAdmin.password);
      expectProblem(still, 429, 'account_locked');
      expect(still.headers.get('retry-after')).toBe('20');
      edge.clock.now += 20_000;
      expect((await attempt(platformAdmin.password)).status).toBe(200);
    },
  );

  it('resets the failure count after a successful login', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 3 });
    const attempt = (password: string) =>
      edge.call('POST', '/api/v1/platform/auth/login', { body: { email: platformAdmin.email, password } });
    for (let i = 0; i < 2; i++) expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt(platformAdmin.password)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt(platformAdmin.password)).status).toBe(200);
  });
});

describe('tenant creation failures', () => {
  it.each([
    ['uppercase', 'MyIsp'],
    ['leading hyphen', '-isp'],
    ['trailing hyphen', 'isp-'],
    ['underscore', 'my_isp'],
    ['dot', 'my.isp'],
    ['space', 'my isp'],
    ['one character', 'a'],
    ['64 characters', 'a'.repeat(64)],
    ['non-ASCII', 'ìsp'],
    ['empty', ''],
  ])('refuses a slug with %s (400 naming slug)', async (_label, slug) => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/platform/tenants', {
      token: await edge.rootToken(),
      body: tenantBody({ slug }),
    });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors!.map((e) => e.path)).toContain('slug');
  });

  it.each(['control', 'api', 'admin', 'platform', 'www', 'app', 'static', 'assets'])(
    'refuses the reserved slug %s',
    async (slug) => {
      const edge = await startEdge();
      const res = await edge.call('POST', '/api/v1/platform/tenants', {
        token: await edge.rootToken(),
        body: tenantBody({ slug }),
      });
      const problem = expectProblem(res, 400, 'validation_failed');
      expect(problem.errors).toContainEqual({ path: 'slug', message: 'this slug is reserved' });
    },
  );

  it('refuses a duplicate slug with 409 and leaves the existing tenant intact', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = await edge.call('POST', '/api/v1/platform/tenants', {
      token: await edge.rootToken(),
      body: tenantBody({ slug: tenant.slug, admin_email: 'intruder@evil.test', admin_password: 'intruder-password' }),
    });
    expectProblem(res, 409, 'conflict');
    expect((await edge.call('GET', '/api/v1/me', { token: tenant.owner.token })).status).toBe(200);
    expect(
      (
        await edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: tenant.slug, email: 'intruder@evil.test', password: 'intruder-password' },
        })
      ).status,
    ).toBe(401);
    const users = edge.ok(await edge.call('GET', '/api/v1/users', { token: tenant.owner.token }), 200);
    expect(users.body.data!.map((u) => u.email)).toEqual([tenant.owner.email]);
  });

  it('lists every invalid field at once: currency, timezone, email, password, name, max_subscribers', async () => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/platform/tenants', {
      token: await edge.rootToken(),
      body: tenantBody({
        currency: 'usd',
        timezone: 'Mars/Olympus',
        admin_email: 'nope',
        admin_password: 'short',
        name: '   ',
        max_subscribers: -1,
      }),
    });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors!.map((e) => e.path).sort()).toEqual([
      'admin_email',
      'admin_password',
      'currency',
      'max_subscribers',
      'name',
      'timezone',
    ]);
    expect(problem.errors!.find((e) => e.path === 'currency')!.message).toMatch(/ISO 4217/);
    expect(problem.errors!.find((e) => e.path === 'timezone')!.message).toMatch(/IANA/);
    const list = edge.ok(await edge.call('GET', '/api/v1/platform/tenants', { token: await edge.rootToken() }), 200);
    expect(list.body.data).toEqual([]);
  });

  it.each([['XYZ'], ['US'], ['DOLLARS']])('refuses the currency %s', async (currency) => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/platform/tenants', {
      token: await edge.rootToken(),
      body: tenantBody({ currency }),
    });
    expect(expectProblem(res, 400, 'validation_failed').errors!.map((e) => e.path)).toEqual(['currency']);
  });

  it('refuses missing required fields', async () => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/platform/tenants', { token: await edge.rootToken(), body: {} });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors!.map((e) => e.path).sort()).toEqual([
      'admin_email',
      'admin_password',
      'currency',
      'name',
      'slug',
      'timezone',
    ]);
  });
});

describe('tenant read and update failures', () => {
  it('answers an unknown slug with 404 on GET and PATCH', async () => {
    const edge = await startEdge();
    const token = await edge.rootToken();
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants/no-such-isp', { token }), 404, 'not_found');
    expectProblem(
      await edge.call('PATCH', '/api/v1/platform/tenants/no-such-isp', { token, body: { name: 'x' } }),
      404,
      'not_found',
    );
  });

  it('refuses unknown, read-only or invalid fields in a patch', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = await edge.rootToken();
    for (const body of [
      { slug: 'renamed' },
      { currency: 'EUR' },
      { status: 'provisioning' },
      { status: 'deleted' },
      { name: '' },
      { max_subscribers: 1.5 },
    ]) {
      const res = await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, { token, body });
      expectProblem(res, 400, 'validation_failed');
    }
    const after = edge.ok(await edge.call('GET', `/api/v1/platform/tenants/${tenant.slug}`, { token }), 200);
    expect(after.body).toMatchObject({ slug: tenant.slug, currency: 'USD', status: 'active' });
  });

  it('rejects page sizes outside 1..200', async () => {
    const edge = await startEdge();
    const token = await edge.rootToken();
    for (const limit of ['0', '201', 'ten', '-1']) {
      expectProblem(
        await edge.call('GET', `/api/v1/platform/tenants?limit=${limit}`, { token }),
        400,
        'validation_failed',
      );
    }
  });

  it('needs a token: no Authorization header or a malformed one is a 401', async () => {
    const edge = await startEdge();
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants'), 401, 'unauthenticated');
    expectProblem(
      await edge.call('GET', '/api/v1/platform/tenants', { headers: { authorization: 'Basic cm9vdDpyb290' } }),
      401,
      'unauthenticated',
    );
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants', { token: 'not.a.token' }), 401, 'unauthenticated');
  });

  it('a tenant left in provisioning (a crash mid-creation) can neither be patched nor logged into', async () => {
    const edge = await startEdge();
    const control = await edge.platform.databases.control();
    await control.execute({
      sql:
        'INSERT INTO tenants (id, slug, name, currency, timezone, status, created_at, updated_at) VALUES (?, ' +
        "'half-made', 'Half', 'USD', 'UTC', 'provisioning', ?, ?)",
      args: [crypto.randomUUID(), edge.clock.now, edge.clock.now],
    });
    const token = await edge.rootToken();
    expect(edge.ok(await edge.call('GET', '/api/v1/platform/tenants/half-made', { token }), 200).body.status).toBe(
      'provisioning',
    );
    expectProblem(
      await edge.call('PATCH', '/api/v1/platform/tenants/half-made', { token, body: { status: 'active' } }),
      409,
      'invalid_state',
    );
    expectProblem(
      await edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: 'half-made', email: 'a@b.test', password: 'whatever-password' },
      }),
      401,
      'invalid_credentials',
    );
    // And its slug stays taken until an operator cleans it up.
    expectProblem(
      await edge.call('POST', '/api/v1/platform/tenants', { token, body: tenantBody({ slug: 'half-made' }) }),
      409,
      'conflict',
    );
  });
});
