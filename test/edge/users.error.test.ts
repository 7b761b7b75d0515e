import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';

const newUser = (overrides: Record<string, unknown> = {}) => ({
  email: 'someone@isp.test',
  name: 'Someone',
  role: 'support',
  password: 'a-good-password-1',
  ...overrides,
});

describe('users validation', () => {
  it('lists every invalid field of a new user', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = await edge.call('POST', '/api/v1/users', {
      token: tenant.owner.token,
      body: { email: 'not-an-email', name: '', role: 'superuser', password: 'short' },
    });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors!.map((e) => e.path).sort()).toEqual(['email', 'name', 'password', 'role']);
    expect(problem.errors!.find((e) => e.path === 'password')!.message).toBe('must be at least 12 characters');
  });

  it('refuses unknown fields in a patch (no mass assignment of email, ids or hashes)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    for (const body of [
      { email: 'new@isp.test' },
      { id: crypto.randomUUID() },
      { password_hash: 'x' },
      { deleted_at: null },
      { role: 'root' },
      { status: 'deleted' },
    ]) {
      expectProblem(
        await edge.call('PATCH', `/api/v1/users/${staff.id}`, { token: tenant.owner.token, body }),
        400,
        'validation_failed',
      );
    }
    expect(
      edge.ok(await edge.call('GET', `/api/v1/users/${staff.id}`, { token: tenant.owner.token }), 200).body,
    ).toMatchObject({ email: staff.email, role: 'support', status: 'active' });
  });

  it('answers a malformed id with 400 and an unknown id with 404', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { token } = tenant.owner;
    for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as [string, unknown?][]) {
      expectProblem(await edge.call(method, '/api/v1/users/not-a-uuid', { token, body }), 400, 'validation_failed');
      expectProblem(await edge.call(method, `/api/v1/users/${crypto.randomUUID()}`, { token, body }), 404, 'not_found');
    }
  });

  it('refuses a duplicate email, whatever its case, with 409', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    expectProblem(
      await edge.call('POST', '/api/v1/users', {
        token: tenant.owner.token,
        body: newUser({ email: staff.email.toUpperCase() }),
      }),
      409,
      'conflict',
    );
    expectProblem(
      await edge.call('POST', '/api/v1/users', {
        token: tenant.owner.token,
        body: newUser({ email: tenant.owner.email }),
      }),
      409,
      'conflict',
    );
  });

  it('the same email may exist in two tenants', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    edge.ok(await edge.call('POST', '/api/v1/users', { token: a.owner.token, body: newUser() }), 201);
    edge.ok(
      await edge.call('POST', '/api/v1/users', {
        token: b.owner.token,
        body: newUser({ password: 'b-has-its-own-password' }),
      }),
      201,
    );
    await edge.login(a.slug, 'someone@isp.test', 'a-good-password-1');
    await edge.login(b.slug, 'someone@isp.test', 'b-has-its-own-password');
    expect(
      (
        await edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: b.slug, email: 'someone@isp.test', password: 'a-good-password-1' },
        })
      ).status,
    ).toBe(401);
  });
});

describe('invariants', () => {
  it('a user cannot delete themself (409)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const admin = await edge.createStaff(tenant, 'admin');
    expectProblem(await edge.call('DELETE', `/api/v1/users/${admin.id}`, { token: admin.token }), 409, 'invalid_state');
    await edge.createStaff(tenant, 'owner');
    expectProblem(
      await edge.call('DELETE', `/api/v1/users/${tenant.owner.id}`, { token: tenant.owner.token }),
      409,
      'invalid_state',
    );
    expect((await edge.call('GET', '/api/v1/me', { token: admin.token })).status).toBe(200);
  });

  it('the last active owner cannot be demoted or disabled (409)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { id, token } = tenant.owner;
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${id}`, { token, body: { role: 'admin' } }),
      409,
      'invalid_state',
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${id}`, { token, body: { status: 'disabled' } }),
      409,
      'invalid_state',
    );
    expect(edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200).body.role).toBe('owner');
  });

  it('the last active owner cannot be deleted, even by an owner-role API key (409)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'owner');
    expectProblem(
      await edge.call('DELETE', `/api/v1/users/${tenant.owner.id}`, { token: key.secret }),
      409,
      'invalid_state',
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${tenant.owner.id}`, { token: key.secret, body: { role: 'read_only' } }),
      409,
      'invalid_state',
    );
    expect((await edge.call('GET', '/api/v1/me', { token: tenant.owner.token })).status).toBe(200);
  });

  it('a disabled owner does not count as the remaining owner', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const second = await edge.createStaff(tenant, 'owner');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${second.id}`, {
        token: tenant.owner.token,
        body: { status: 'disabled' },
      }),
      200,
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${tenant.owner.id}`, {
        token: tenant.owner.token,
        body: { role: 'admin' },
      }),
      409,
      'invalid_state',
    );
    // Re-enabling the second owner makes the demotion possible again.
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${second.id}`, { token: tenant.owner.token, body: { status: 'active' } }),
      200,
    );
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${tenant.owner.id}`, {
        token: tenant.owner.token,
        body: { role: 'admin' },
      }),
      200,
    );
  });

  it('an owner can delete another owner while one remains', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const second = await edge.createStaff(tenant, 'owner');
    expect((await edge.call('DELETE', `/api/v1/users/${second.id}`, { token: tenant.owner.token })).status).toBe(204);
  });
});
