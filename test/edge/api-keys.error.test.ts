import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';

describe('API key failures', () => {
  it('validates name and role', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = await edge.call('POST', '/api/v1/api-keys', {
      token: tenant.owner.token,
      body: { name: '   ', role: 'root' },
    });
    expect(
      expectProblem(res, 400, 'validation_failed')
        .errors!.map((e) => e.path)
        .sort(),
    ).toEqual(['name', 'role']);
    const list = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
    expect(list.body.data).toEqual([]);
  });

  it('answers a malformed key id with 400 and an unknown one with 404', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    expectProblem(
      await edge.call('DELETE', '/api/v1/api-keys/123', { token: tenant.owner.token }),
      400,
      'validation_failed',
    );
    expectProblem(
      await edge.call('DELETE', `/api/v1/api-keys/${crypto.randomUUID()}`, { token: tenant.owner.token }),
      404,
      'not_found',
    );
  });

  it('cannot be created with a role the caller cannot grant', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const admin = await edge.createStaff(tenant, 'admin');
    const adminKey = await edge.createApiKey(tenant.owner.token, 'admin');
    for (const token of [admin.token, adminKey.secret]) {
      const res = await edge.call('POST', '/api/v1/api-keys', { token, body: { name: 'escalate', role: 'owner' } });
      expectProblem(res, 403, 'forbidden');
      expect(res.body.detail).toMatch(/owner/);
    }
    const list = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
    expect(list.body.data!.map((k) => k.id)).toEqual([adminKey.id]);
    // The owner may.
    await edge.createApiKey(tenant.owner.token, 'owner');
  });

  it('refuses wrong, truncated, retargeted and revoked keys with 401', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const key = await edge.createApiKey(a.owner.token, 'admin');
    const [, id, secret] = key.secret.split('.') as [string, string, string];
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    for (const token of [
      `isk_${a.slug}.${id}.${flipped}`,
      `isk_${a.slug}.${id}.${secret.slice(0, -1)}`,
      `isk_${b.slug}.${id}.${secret}`,
      `isk_no-such-tenant.${id}.${secret}`,
      `isk_${a.slug}.${crypto.randomUUID().replaceAll('-', '')}.${secret}`,
    ]) {
      expectProblem(await edge.call('GET', '/api/v1/me', { token }), 401, 'unauthenticated');
    }
    expect((await edge.call('DELETE', `/api/v1/api-keys/${key.id}`, { token: a.owner.token })).status).toBe(204);
    expectProblem(await edge.call('GET', '/api/v1/me', { token: key.secret }), 401, 'unauthenticated');
  });

  it('rate-limits each key per minute with 429 and Retry-After, then lets it through in the next window', async () => {
    const edge = await startEdge({ API_KEY_RATE_LIMIT: 3 });
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    const other = await edge.createApiKey(tenant.owner.token, 'admin');
    for (let i = 0; i < 3; i++) expect((await edge.call('GET', '/api/v1/me', { token: key.secret })).status).toBe(200);
    edge.clock.now += 45_000;
    const limited = await edge.call('GET', '/api/v1/me', { token: key.secret });
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBe('15');
    // Writes are limited too, and a limited request has no effect.
    expectProblem(
      await edge.call('POST', '/api/v1/api-keys', { token: key.secret, body: { name: 'n', role: 'read_only' } }),
      429,
      'rate_limited',
    );
    // Other keys and staff tokens have their own budgets.
    expect((await edge.call('GET', '/api/v1/me', { token: other.secret })).status).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await edge.call('GET', '/api/v1/me', { token: tenant.owner.token })).status).toBe(200);
    edge.clock.now += 15_000;
    expect((await edge.call('GET', '/api/v1/me', { token: key.secret })).status).toBe(200);
    const list = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
    expect(list.body.data).toHaveLength(2);
  });

  it("does not spend a key's budget on requests with a wrong secret", async () => {
    const edge = await startEdge({ API_KEY_RATE_LIMIT: 2 });
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    const wrong = `${key.secret.slice(0, -2)}${key.secret.endsWith('AA') ? 'BB' : 'AA'}`;
    for (let i = 0; i < 5; i++) expect((await edge.call('GET', '/api/v1/me', { token: wrong })).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await edge.call('GET', '/api/v1/me', { token: key.secret })).status).toBe(200);
  });
});

describe('API key storage', () => {
  it('stores only a hash of the secret', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    const secret = key.secret.split('.')[2]!;
    const rows = await edge.tenantSql(tenant.slug, 'SELECT * FROM api_keys');
    const dump = JSON.stringify(rows.rows);
    expect(dump).not.toContain(secret);
    expect(String(rows.rows[0]!.secret_hash)).toMatch(/^[0-9a-f]{64}$/);
  });
});
