import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

const worker = exports.default;
const call = (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  return worker.fetch(`https://edge.test${path}`, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
};
const login = async (path: string, body: unknown) => {
  const response = await call(path, { method: 'POST', json: body });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
};
const unique = () => crypto.randomUUID().slice(0, 8);

describe('edge in workerd against sqld namespaces', () => {
  it('logs in the platform admin, creates a tenant, logs in its owner, and keeps tenants apart', async () => {
    const platform = await login('/api/v1/platform/auth/login', {
      email: 'root@platform.test',
      password: 'platform-admin-password',
    });

    const slugs = [`wa-${unique()}`, `wb-${unique()}`];
    for (const slug of slugs) {
      const created = await call('/api/v1/platform/tenants', {
        method: 'POST',
        token: platform,
        json: {
          slug,
          name: slug,
          currency: 'KWD',
          timezone: 'Asia/Kuwait',
          admin_email: `owner@${slug}.test`,
          admin_password: 'owner-password-123',
        },
      });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ slug, status: 'active', currency: 'KWD' });
    }
    const [a, b] = await Promise.all(
      slugs.map((slug) =>
        login('/api/v1/auth/login', { tenant: slug, email: `owner@${slug}.test`, password: 'owner-password-123' }),
      ),
    );

    const me = await call('/api/v1/me', { token: a });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'user', role: 'owner', tenant: { slug: slugs[0] } });

    const user = await call('/api/v1/users', {
      method: 'POST',
      token: a,
      json: { email: 'tech@a.test', name: 'Tech', role: 'field_tech', password: 'field-tech-password' },
    });
    expect(user.status).toBe(201);
    const { id } = (await user.json()) as { id: string };

    // Tenant B sees none of A's data, and A's resources are 404 to it.
    expect((await call(`/api/v1/users/${id}`, { token: b })).status).toBe(404);
    expect((await call(`/api/v1/users/${id}`, { method: 'PATCH', token: b, json: { name: 'x' } })).status).toBe(404);
    expect((await call(`/api/v1/users/${id}`, { method: 'DELETE', token: b })).status).toBe(404);
    const listed = JSON.stringify(await (await call('/api/v1/users', { token: b })).json());
    expect(listed).not.toContain(id);
    expect(listed).not.toContain('tech@a.test');
    // A tenant token cannot call platform routes.
    expect((await call('/api/v1/platform/tenants', { token: a })).status).toBe(403);

    // Suspension stops the tenant's tokens on the next request.
    const suspended = await call(`/api/v1/platform/tenants/${slugs[0]}`, {
      method: 'PATCH',
      token: platform,
      json: { status: 'suspended' },
    });
    expect(suspended.status).toBe(200);
    const refused = await call('/api/v1/me', { token: a });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({ code: 'tenant_suspended', status: 403 });
  });

  it('answers unknown routes and bad input with problem+json', async () => {
    const missing = await call('/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not_found', instance: '/api/v1/nothing-here' });
    const bad = await call('/api/v1/auth/login', { method: 'POST', json: { tenant: '', email: 'no' } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path).sort()).toEqual(['email', 'password', 'tenant']);
  });

  it('serves the OpenAPI document and the reference page from bundled assets', async () => {
    const doc = (await (await call('/api/v1/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/platform/tenants');
    const bundle = await call('/api/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });
});
