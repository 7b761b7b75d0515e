import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';

const mib = 1024 * 1024;

describe('unknown routes', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/api/v1/nope'],
    ['GET', '/api/v2/users'],
    ['PUT', '/api/v1/users'],
    ['POST', '/api/v1/me'],
    ['GET', '/api/v1/users/00000000-0000-7000-8000-000000000000/keys'],
  ])('answers %s %s with a 404 problem naming the route', async (method, path) => {
    const edge = await startEdge();
    const res = await edge.call(method, path);
    const problem = expectProblem(res, 404, 'not_found');
    expect(problem.instance).toBe(path);
    expect(problem.detail).toBe(`no route for ${method} ${path}`);
  });
});

describe('malformed requests', () => {
  it('answers malformed JSON with a 400 problem, on public and authenticated routes', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    expectProblem(
      await edge.call('POST', '/api/v1/auth/login', { body: '{"tenant": "x", ' }),
      400,
      'malformed_request',
    );
    expectProblem(
      await edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body: '{not json' }),
      400,
      'malformed_request',
    );
    expectProblem(
      await edge.call('POST', '/api/v1/platform/tenants', { token: await edge.rootToken(), body: '[' }),
      400,
      'malformed_request',
    );
  });

  it('answers a non-object JSON body with a 400 validation problem', async () => {
    const edge = await startEdge();
    for (const body of ['[]', '"text"', '42', 'null']) {
      expectProblem(await edge.call('POST', '/api/v1/auth/login', { body }), 400);
    }
  });

  it('answers a body without a JSON content type with a 400 problem, not a crash', async () => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/auth/login', {
      body: 'tenant=x&email=y',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(res, 400);
  });

  it(
    'answers a body over 1 MiB with 413, ' + 'with or without Content-Length, before authenticating or parsing',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const big = JSON.stringify({ tenant: 'x', email: 'a@b.test', password: 'p'.repeat(mib) });
      expectProblem(await edge.call('POST', '/api/v1/auth/login', { body: big }), 413, 'payload_too_large');
      expectProblem(
        await edge.call('POST', '/api/v1/auth/login', { body: big, headers: { 'content-length': String(big.length) } }),
        413,
        'payload_too_large',
      );
      expectProblem(
        await edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body: big }),
        413,
        'payload_too_large',
      );
      expectProblem(await edge.call('POST', '/api/v1/users', { body: big }), 413, 'payload_too_large');
      // Just under the limit is parsed (and then refused for what it says).
      const under = JSON.stringify({ tenant: 'x', email: 'a@b.test', password: 'p'.repeat(mib - 100) });
      expect(under.length).toBeLessThan(mib);
      expectProblem(await edge.call('POST', '/api/v1/auth/login', { body: under }), 400, 'validation_failed');
    },
  );

  it('lists validation errors per field with a path and a message', async () => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/auth/login', { body: { email: 'a@b.test' } });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.detail).toBe('2 field(s) failed validation');
    expect(problem.errors).toEqual([
      { path: 'tenant', message: expect.any(String) },
      { path: 'password', message: expect.any(String) },
    ]);
  });
});

describe('request ids', () => {
  it('echoes a well-formed X-Request-Id in the header and in problems, and replaces a malformed one', async () => {
    const edge = await startEdge();
    const good = await edge.call('GET', '/api/v1/me', { headers: { 'x-request-id': 'client-trace.0001' } });
    expect(expectProblem(good, 401).request_id).toBe('client-trace.0001');
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(129), '<script>alert(1)</script>']) {
      const res = await edge.call('GET', '/api/v1/me', { headers: { 'x-request-id': bad } });
      const id = expectProblem(res, 401).request_id;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('gives every response a request id, successful ones included', async () => {
    const edge = await startEdge();
    const res = await edge.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('internal errors', () => {
  const leaks = new RegExp(
    String.raw`stack|at \w+ \(|\.ts:\d+|file:\/\/|node_modules|SQLITE|LibsqlError|` +
      String.raw`UnknownDatabaseError|no such table|tenant-|\/tmp\/`,
    'i',
  );

  it('answers a lost tenant database with a bare 500 problem and logs the cause under the request id', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    await edge.platform.databases.dropTenant(tenant.slug);
    const res = await edge.call('GET', '/api/v1/me', { token: tenant.owner.token });
    const problem = expectProblem(res, 500, 'internal');
    expect(problem.detail).toBe('something went wrong; quote the request id when reporting it');
    expect(Object.keys(problem).sort()).toEqual([
      'code',
      'detail',
      'instance',
      'request_id',
      'status',
      'title',
      'type',
    ]);
    expect(res.text).not.toMatch(leaks);
    const logged = edge.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'unhandled error');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'error', request_id: problem.request_id });
    expect(JSON.stringify(logged[0])).toMatch(/no database for tenant/);
  });

  it('answers a broken schema with a 500 that names no table, statement or engine', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    await edge.tenantSql(tenant.slug, 'DROP TABLE api_keys');
    const res = await edge.call('POST', '/api/v1/api-keys', {
      token: tenant.owner.token,
      body: { name: 'k', role: 'read_only' },
    });
    expectProblem(res, 500, 'internal');
    expect(res.text).not.toMatch(leaks);
    expect(res.text).not.toMatch(/api_keys|INSERT|select/i);
  });

  it('answers a lost data directory on login with a bare 500', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    edge.platform.databases.close();
    rmSync(edge.dir, { recursive: true, force: true });
    const res = await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.owner.email, password: tenant.owner.password },
    });
    expectProblem(res, 500, 'internal');
    expect(res.text).not.toMatch(leaks);
    expect(res.text).not.toContain(edge.dir);
  });
});
