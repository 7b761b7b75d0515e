import { describe, expect, it } from 'vitest';
import type { StaffRole } from '../../db/tenant/index.ts';
import { expectProblem, startEdge, unique } from '../support/edge-app.ts';

const roles: StaffRole[] = ['owner', 'admin', 'operations', 'billing', 'support', 'field_tech', 'read_only'];

// The contract, written out independently of edge/permissions.ts.
const mayReadUsers = new Set<StaffRole>(['owner', 'admin', 'operations', 'read_only']);
const mayWriteUsers = new Set<StaffRole>(['owner', 'admin']);
const mayUseKeysAndAudit = new Set<StaffRole>(['owner', 'admin']);

describe.each(roles)('route permissions for %s', (role) => {
  it.each(['user', 'api key'])('as a %s', async (kind) => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token =
      kind === 'user'
        ? (await edge.createStaff(tenant, role)).token
        : (await edge.createApiKey(tenant.owner.token, role)).secret;
    const target = await edge.createStaff(tenant, 'support');
    const victimKey = await edge.createApiKey(tenant.owner.token, 'read_only');

    const expectAllowed = async (allowed: boolean, method: string, path: string, status: number, body?: unknown) => {
      const res = await edge.call(method, path, { token, body });
      if (allowed) expect(res.status, `${role} ${kind} ${method} ${path}: ${res.text}`).toBe(status);
      else expectProblem(res, 403, 'forbidden');
    };

    await expectAllowed(true, 'GET', '/api/v1/me', 200);
    await expectAllowed(mayReadUsers.has(role), 'GET', '/api/v1/users', 200);
    await expectAllowed(mayReadUsers.has(role), 'GET', `/api/v1/users/${target.id}`, 200);
    await expectAllowed(mayWriteUsers.has(role), 'POST', '/api/v1/users', 201, {
      email: `${unique('new')}@isp.test`,
      name: 'New',
      role: 'read_only',
      password: 'a-good-password-1',
    });
    // Permission is checked before the body is validated: no schema hints for the unauthorised.
    if (!mayWriteUsers.has(role))
      expectProblem(await edge.call('POST', '/api/v1/users', { token, body: {} }), 403, 'forbidden');
    await expectAllowed(mayWriteUsers.has(role), 'PATCH', `/api/v1/users/${target.id}`, 200, {
      name: `Patched by ${role}`,
    });
    await expectAllowed(mayUseKeysAndAudit.has(role), 'GET', '/api/v1/api-keys', 200);
    await expectAllowed(mayUseKeysAndAudit.has(role), 'POST', '/api/v1/api-keys', 201, {
      name: 'k',
      role: 'read_only',
    });
    await expectAllowed(mayUseKeysAndAudit.has(role), 'GET', '/api/v1/audit-events', 200);
    await expectAllowed(mayUseKeysAndAudit.has(role), 'GET', '/api/v1/audit-events/export', 200);
    await expectAllowed(mayUseKeysAndAudit.has(role), 'GET', '/api/v1/audit-events/verify', 200);
    await expectAllowed(mayUseKeysAndAudit.has(role), 'DELETE', `/api/v1/api-keys/${victimKey.id}`, 204);
    await expectAllowed(mayWriteUsers.has(role), 'DELETE', `/api/v1/users/${target.id}`, 204);

    // Refused writes changed nothing.
    const after = await edge.call('GET', `/api/v1/users/${target.id}`, { token: tenant.owner.token });
    if (mayWriteUsers.has(role)) expect(after.status).toBe(404);
    else expect(after.body).toMatchObject({ name: 'Staff support', status: 'active' });
    const keyStill = await edge.call('GET', '/api/v1/me', { token: victimKey.secret });
    expect(keyStill.status).toBe(mayUseKeysAndAudit.has(role) ? 401 : 200);
  });
});

describe('granting roles', () => {
  it('an admin cannot create, promote to, modify or delete an owner', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const admin = await edge.createStaff(tenant, 'admin');
    const peer = await edge.createStaff(tenant, 'support');
    expectProblem(
      await edge.call('POST', '/api/v1/users', {
        token: admin.token,
        body: { email: 'boss@isp.test', name: 'Boss', role: 'owner', password: 'a-good-password-1' },
      }),
      403,
      'forbidden',
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${peer.id}`, { token: admin.token, body: { role: 'owner' } }),
      403,
      'forbidden',
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${admin.id}`, { token: admin.token, body: { role: 'owner' } }),
      403,
      'forbidden',
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${tenant.owner.id}`, {
        token: admin.token,
        body: { name: 'Hijacked', password: 'admin-chose-this-1' },
      }),
      403,
      'forbidden',
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${tenant.owner.id}`, {
        token: admin.token,
        body: { status: 'disabled' },
      }),
      403,
      'forbidden',
    );
    expectProblem(
      await edge.call('DELETE', `/api/v1/users/${tenant.owner.id}`, { token: admin.token }),
      403,
      'forbidden',
    );
    // The owner was not touched, and can still log in with the original password.
    await edge.login(tenant.slug, tenant.owner.email, tenant.owner.password);
    expect(edge.ok(await edge.call('GET', `/api/v1/users/${peer.id}`, { token: admin.token }), 200).body.role).toBe(
      'support',
    );
  });

  it('an admin may create and manage admins and lesser roles', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const admin = await edge.createStaff(tenant, 'admin');
    const other = await edge.createStaff(tenant, 'admin', admin.token);
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${other.id}`, { token: admin.token, body: { role: 'field_tech' } }),
      200,
    );
    expect((await edge.call('DELETE', `/api/v1/users/${other.id}`, { token: admin.token })).status).toBe(204);
  });

  it('an admin API key obeys the same grant rules as an admin user', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    expectProblem(
      await edge.call('POST', '/api/v1/users', {
        token: key.secret,
        body: { email: 'boss@isp.test', name: 'Boss', role: 'owner', password: 'a-good-password-1' },
      }),
      403,
      'forbidden',
    );
    expectProblem(
      await edge.call('DELETE', `/api/v1/users/${tenant.owner.id}`, { token: key.secret }),
      403,
      'forbidden',
    );
    edge.ok(
      await edge.call('POST', '/api/v1/users', {
        token: key.secret,
        body: { email: 'ops@isp.test', name: 'Ops', role: 'operations', password: 'a-good-password-1' },
      }),
      201,
    );
  });
});

describe('token invalidation', () => {
  it("a role change invalidates the user's existing token (401) until they log in again", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'admin');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, { token: tenant.owner.token, body: { role: 'read_only' } }),
      200,
    );
    // The stale admin token must not keep admin powers.
    expectProblem(
      await edge.call('POST', '/api/v1/users', {
        token: staff.token,
        body: { email: 'x@isp.test', name: 'x', role: 'support', password: 'a-good-password-1' },
      }),
      401,
      'unauthenticated',
    );
    expectProblem(await edge.call('GET', '/api/v1/me', { token: staff.token }), 401, 'unauthenticated');
    const fresh = await edge.login(tenant.slug, staff.email, staff.password);
    expect(edge.ok(await edge.call('GET', '/api/v1/me', { token: fresh }), 200).body.role).toBe('read_only');
  });

  it('disabling a user invalidates their token at once; re-enabling restores it', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'admin');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { status: 'disabled' },
      }),
      200,
    );
    expectProblem(await edge.call('GET', '/api/v1/users', { token: staff.token }), 401, 'unauthenticated');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, { token: tenant.owner.token, body: { status: 'active' } }),
      200,
    );
    expect((await edge.call('GET', '/api/v1/users', { token: staff.token })).status).toBe(200);
  });

  it('responses never include password hashes or TOTP secrets', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const secret = String(
      edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token: tenant.owner.token }), 200).body.secret,
    );
    const texts = [
      (await edge.call('GET', '/api/v1/users', { token: tenant.owner.token })).text,
      (await edge.call('GET', `/api/v1/users/${tenant.owner.id}`, { token: tenant.owner.token })).text,
      (await edge.call('GET', '/api/v1/me', { token: tenant.owner.token })).text,
    ];
    for (const text of texts) {
      expect(text).not.toMatch(/pbkdf2|password_hash|totp_secret|v1\.[\w-]+\.[\w-]+/);
      expect(text).not.toContain(secret);
    }
  });
});
