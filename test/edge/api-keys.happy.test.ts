import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, startTime } from '../support/edge-app.ts';

describe('API keys', () => {
  it('returns the secret once, at creation, in the isk_<tenant>.<id>.<secret> format', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: '  billing sync  ', role: 'billing' },
      }),
      201,
    );
    const id = String(res.body.id);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'billing sync',
      role: 'billing',
      scopes: ['subscribers:read', 'subscribers:write', 'billing:read', 'billing:write', 'tickets:read'],
      prefix: String(res.body.secret).slice(0, 16),
      created_by: tenant.owner.id,
      created_at: new Date(startTime).toISOString(),
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
      secret: `isk_${tenant.slug}.${id.replaceAll('-', '')}.${String(res.body.secret).split('.')[2]}`,
    });
    expect(String(res.body.secret).split('.')[2]).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never shows the secret again: the list has no secret, and two keys never share one', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const a = await edge.createApiKey(tenant.owner.token, 'admin');
    const b = await edge.createApiKey(tenant.owner.token, 'admin');
    expect(a.secret).not.toBe(b.secret);
    const list = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
    expect(list.body.data!.map((k) => k.id)).toEqual([a.id, b.id]);
    for (const key of list.body.data!) expect(key).not.toHaveProperty('secret');
    for (const key of [a, b]) {
      expect(list.text).not.toContain(key.secret);
      expect(list.text).not.toContain(key.secret.split('.')[2]!);
    }
  });

  it("works as a Bearer token with exactly its role's powers", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'operations');
    expect(
      edge.ok(await edge.call('GET', '/api/v1/users', { token: key.secret }), 200).body.data!.map((u) => u.id),
    ).toEqual([tenant.owner.id]);
    expectProblem(await edge.call('GET', '/api/v1/api-keys', { token: key.secret }), 403, 'forbidden');
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    expect((await edge.call('GET', '/api/v1/me', { headers: { authorization: `bearer ${key.secret}` } })).status).toBe(
      200,
    );
  });

  it('keeps last_used_at at minute resolution on the platform clock', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'read_only');
    const lastUsed = async () => {
      const list = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
      return list.body.data!.find((k) => k.id === key.id)!.last_used_at;
    };
    expect(await lastUsed()).toBeNull();
    edge.clock.now += 1_000;
    edge.ok(await edge.call('GET', '/api/v1/me', { token: key.secret }), 200);
    expect(await lastUsed()).toBe(new Date(startTime + 1_000).toISOString());
    edge.clock.now += 30_000;
    edge.ok(await edge.call('GET', '/api/v1/me', { token: key.secret }), 200);
    expect(await lastUsed()).toBe(new Date(startTime + 1_000).toISOString());
    edge.clock.now += 31_000;
    edge.ok(await edge.call('GET', '/api/v1/me', { token: key.secret }), 200);
    expect(await lastUsed()).toBe(new Date(startTime + 62_000).toISOString());
  });

  it(
    'revokes a key (204): it stops working at once and leaves the default list, but stays listable with ' +
      'include_revoked',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const keep = await edge.createApiKey(tenant.owner.token, 'admin');
      const key = await edge.createApiKey(tenant.owner.token, 'admin');
      expect(edge.ok(await edge.call('GET', '/api/v1/me', { token: key.secret }), 200).body.id).toBe(key.id);
      edge.clock.now += 10_000;
      const res = await edge.call('DELETE', `/api/v1/api-keys/${key.id}`, { token: tenant.owner.token });
      expect(res.status).toBe(204);
      expectProblem(await edge.call('GET', '/api/v1/me', { token: key.secret }), 401, 'unauthenticated');
      expect((await edge.call('GET', '/api/v1/me', { token: keep.secret })).status).toBe(200);
      const active = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
      expect(active.body.data!.map((k) => k.id)).toEqual([keep.id]);
      const all = edge.ok(
        await edge.call('GET', '/api/v1/api-keys?include_revoked=true', { token: tenant.owner.token }),
        200,
      );
      expect(all.body.data!.find((k) => k.id === key.id)).toMatchObject({
        revoked_at: new Date(startTime + 10_000).toISOString(),
      });
      expectProblem(
        await edge.call('DELETE', `/api/v1/api-keys/${key.id}`, { token: tenant.owner.token }),
        404,
        'not_found',
      );
    },
  );

  it('a key can revoke itself', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    expect((await edge.call('DELETE', `/api/v1/api-keys/${key.id}`, { token: key.secret })).status).toBe(204);
    expect((await edge.call('GET', '/api/v1/me', { token: key.secret })).status).toBe(401);
  });

  it('pages through keys with a cursor', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await edge.createApiKey(tenant.owner.token, 'read_only')).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = edge.ok(await edge.call('GET', `/api/v1/api-keys${query}`, { token: tenant.owner.token }), 200);
      seen.push(...page.body.data!.map((k) => String(k.id)));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it('audits creation and revocation with the acting key or user', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const admin = await edge.createApiKey(tenant.owner.token, 'admin');
    const child = await edge.createApiKey(admin.secret, 'support');
    expect((await edge.call('DELETE', `/api/v1/api-keys/${child.id}`, { token: tenant.owner.token })).status).toBe(204);
    const events = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource=api_key&resource_id=${child.id}`, {
        token: tenant.owner.token,
      }),
      200,
    );
    expect(events.body.data).toEqual([
      expect.objectContaining({ action: 'api_key.revoked', actor_type: 'user', actor_id: tenant.owner.id }),
      expect.objectContaining({
        action: 'api_key.created',
        actor_type: 'api_key',
        actor_id: admin.id,
        changes: { name: child.body.name, role: 'support', scopes: null, expires_at: null },
      }),
    ]);
    expect(child.body.created_by).toBe(admin.id);
    expect(events.text).not.toContain(child.secret.split('.')[2]!);
  });
});
