// API keys with scopes (a subset of the key's role, never more than its creator holds) and
// an optional expiry (issue 13, "An API integrators build on").
import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type TestEdge } from '../support/edge-app.ts';

const createKey = (edge: TestEdge, token: string, body: Record<string, unknown>) =>
  edge.call('POST', '/api/v1/api-keys', { token, body: { name: 'integration', ...body } });

const subscriber = { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.test' };

describe('API key scopes', () => {
  it('limits a key to its scopes: other permissions of its role answer 403', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const body = { role: 'operations', scopes: ['subscribers:read'] };
    const created = edge.ok(await createKey(edge, tenant.owner.token, body), 201);
    expect(created.body.scopes).toEqual(['subscribers:read']);
    const token = String(created.body.secret);
    edge.ok(await edge.call('GET', '/api/v1/subscribers', { token }), 200);
    expectProblem(await edge.call('POST', '/api/v1/subscribers', { token, body: subscriber }), 403, 'forbidden');
    expectProblem(await edge.call('GET', '/api/v1/tickets', { token }), 403, 'forbidden');
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200);
    expect(me.body.permissions).toEqual(['subscribers:read']);
    const listed = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200).body.data!;
    const shown = listed.find((k) => k.id === created.body.id);
    expect(shown).toMatchObject({ scopes: ['subscribers:read'], expires_at: null });
  });

  it('without scopes a key has its whole role, listed as its scopes', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const created = edge.ok(await createKey(edge, tenant.owner.token, { role: 'field_tech' }), 201);
    const fieldTech = ['network:read', 'network:write', 'subscribers:read', 'tickets:read', 'tickets:write'];
    expect([...(created.body.scopes as string[])].sort()).toEqual(fieldTech);
  });

  it("refuses scopes outside the key's role with 422, naming each", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const scopes = ['subscribers:read', 'billing:write', 'users:write'];
    const res = await createKey(edge, tenant.owner.token, { role: 'support', scopes });
    const problem = expectProblem(res, 422, 'unprocessable');
    expect(problem.errors).toEqual([
      { path: 'scopes.1', message: 'the support role does not have billing:write' },
      { path: 'scopes.2', message: 'the support role does not have users:write' },
    ]);
    for (const bad of [['no:such'], []]) {
      const res = await createKey(edge, tenant.owner.token, { role: 'support', scopes: bad });
      expectProblem(res, 400, 'validation_failed');
    }
    const listed = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
    expect(listed.body.data).toEqual([]);
  });

  it('a scoped key cannot grant what it does not hold: not in keys (403), not in users it creates', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const scopes = ['api_keys:write', 'users:write', 'subscribers:read'];
    const key = String(edge.ok(await createKey(edge, tenant.owner.token, { role: 'admin', scopes }), 201).body.secret);
    // read_only holds more than subscribers:read, so neither its key nor its user may be made.
    const wider = await createKey(edge, key, { role: 'read_only' });
    expect(expectProblem(wider, 403, 'forbidden').detail).toMatch(/billing:read/);
    const user = { email: 'escalate@isp.test', name: 'Escalate', role: 'admin', password: 'a-long-password-1' };
    expectProblem(await edge.call('POST', '/api/v1/users', { token: key, body: user }), 403, 'forbidden');
    // Within its own scopes it may.
    edge.ok(await createKey(edge, key, { role: 'read_only', scopes: ['subscribers:read'] }), 201);
  });
});

describe('API key expiry', () => {
  it('works until expires_at, then answers 401', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const expiresAt = new Date(edge.clock.now + 3_600_000).toISOString();
    const res = await createKey(edge, tenant.owner.token, { role: 'read_only', expires_at: expiresAt });
    const created = edge.ok(res, 201);
    expect(created.body.expires_at).toBe(expiresAt);
    const token = String(created.body.secret);
    edge.clock.now += 3_599_000;
    edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200);
    edge.clock.now += 1_000;
    const expired = expectProblem(await edge.call('GET', '/api/v1/me', { token }), 401, 'unauthenticated');
    expect(expired.detail).toMatch(/expired/);
  });

  it('refuses an expiry that is not in the future (422) or not an instant (400)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const past = new Date(edge.clock.now - 1000).toISOString();
    const res = await createKey(edge, tenant.owner.token, { role: 'read_only', expires_at: past });
    const problem = expectProblem(res, 422, 'unprocessable');
    expect(problem.errors).toEqual([{ path: 'expires_at', message: 'must be in the future' }]);
    const notAnInstant = await createKey(edge, tenant.owner.token, { role: 'read_only', expires_at: 'tomorrow' });
    expectProblem(notAnInstant, 400, 'validation_failed');
  });
});
