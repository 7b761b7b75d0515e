// A password change signs the user out everywhere: tokens carry the session epoch.
import { describe, expect, it } from 'vitest';
import { startEdge } from '../support/edge-app.ts';

describe('password change revokes earlier tokens', () => {
  it('POST /me/password: proves the current password, returns a fresh token, revokes every earlier one', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const secondDevice = await edge.login(tenant.slug, staff.email, staff.password);

    const wrong = await edge.call('POST', '/api/v1/me/password', {
      token: staff.token,
      body: { current_password: 'not-the-password', new_password: 'a-brand-new-password' },
    });
    expect(wrong.status).toBe(401);
    edge.ok(await edge.call('GET', '/api/v1/me', { token: staff.token }), 200);

    const same = await edge.call('POST', '/api/v1/me/password', {
      token: staff.token,
      body: { current_password: staff.password, new_password: staff.password },
    });
    expect(same.status).toBe(400);
    expect(same.body.errors).toEqual([{ path: 'new_password', message: 'same as the current password' }]);

    const changed = edge.ok(
      await edge.call('POST', '/api/v1/me/password', {
        token: staff.token,
        body: { current_password: staff.password, new_password: 'a-brand-new-password' },
      }),
      200,
    );
    for (const old of [staff.token, secondDevice]) {
      const res = await edge.call('GET', '/api/v1/me', { token: old });
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/password changed/);
    }
    expect(
      edge.ok(await edge.call('GET', '/api/v1/me', { token: String(changed.body.access_token) }), 200).body.id,
    ).toBe(staff.id);
    expect(
      (
        await edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: tenant.slug, email: staff.email, password: staff.password },
        })
      ).status,
    ).toBe(401);
    await edge.login(tenant.slug, staff.email, 'a-brand-new-password');

    const audit = await edge.tenantSql(
      tenant.slug,
      "SELECT action FROM audit_events WHERE resource_id = ? AND action LIKE 'user.password%' ORDER BY seq",
      [staff.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['user.password_change_failed', 'user.password_changed']);
  });

  it("an administrator setting a password revokes that user's tokens, not the administrator's", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'billing');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, { token: tenant.owner.token, body: { name: 'Renamed' } }),
      200,
    );
    edge.ok(await edge.call('GET', '/api/v1/me', { token: staff.token }), 200);
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { password: 'reset-by-the-owner-1' },
      }),
      200,
    );
    expect((await edge.call('GET', '/api/v1/me', { token: staff.token })).status).toBe(401);
    edge.ok(await edge.call('GET', '/api/v1/me', { token: tenant.owner.token }), 200);
    await edge.login(tenant.slug, staff.email, 'reset-by-the-owner-1');
  });

  it('an API key cannot change a password (it has none)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    const res = await edge.call('POST', '/api/v1/me/password', {
      token: key.secret,
      body: { current_password: 'x', new_password: 'a-brand-new-password' },
    });
    expect(res.status).toBe(403);
  });
});
