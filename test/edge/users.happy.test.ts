import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, startTime } from '../support/edge-app.ts';

describe('users CRUD', () => {
  it('creates a user (201), storing the email lower-cased and never returning the password', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    edge.clock.now += 5_000;
    const res = edge.ok(
      await edge.call('POST', '/api/v1/users', {
        token: tenant.owner.token,
        body: {
          email: 'Ada.Lovelace@Example.TEST',
          name: '  Ada  ',
          role: 'operations',
          password: 'analytical-engine-1843',
        },
      }),
      201,
    );
    const at = new Date(startTime + 5_000).toISOString();
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: 'ada.lovelace@example.test',
      name: 'Ada',
      role: 'operations',
      status: 'active',
      mfa_enabled: false,
      last_login_at: null,
      created_at: at,
      updated_at: at,
    });
    expect(res.text).not.toContain('analytical-engine-1843');
    expect(res.text).not.toMatch(/pbkdf2|password/);
    await edge.login(tenant.slug, 'ada.lovelace@example.test', 'analytical-engine-1843');
  });

  it('reads a user by id and lists live users with cursor pagination', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const created = [];
    for (let i = 0; i < 4; i++) created.push(await edge.createStaff(tenant, 'support'));
    const one = edge.ok(await edge.call('GET', `/api/v1/users/${created[2]!.id}`, { token: tenant.owner.token }), 200);
    expect(one.body).toMatchObject({ id: created[2]!.id, email: created[2]!.email, role: 'support' });

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = edge.ok(await edge.call('GET', `/api/v1/users${query}`, { token: tenant.owner.token }), 200);
      expect(page.body.data!.length).toBeLessThanOrEqual(2);
      ids.push(...page.body.data!.map((u) => String(u.id)));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    expect(ids).toEqual([tenant.owner.id, ...created.map((u) => u.id)].sort());
  });

  it('updates name, role, status and password; a new password replaces the old one', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    edge.clock.now += 60_000;
    const res = edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { name: 'Renamed', role: 'billing', password: 'a-completely-new-password' },
      }),
      200,
    );
    expect(res.body).toMatchObject({
      id: staff.id,
      name: 'Renamed',
      role: 'billing',
      status: 'active',
      updated_at: new Date(edge.clock.now).toISOString(),
    });
    expect(
      (
        await edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: tenant.slug, email: staff.email, password: staff.password },
        })
      ).status,
    ).toBe(401);
    const token = await edge.login(tenant.slug, staff.email, 'a-completely-new-password');
    expect(edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200).body.role).toBe('billing');

    const disabled = edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { status: 'disabled' },
      }),
      200,
    );
    expect(disabled.body.status).toBe('disabled');
    const enabled = edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, { token: tenant.owner.token, body: { status: 'active' } }),
      200,
    );
    expect(enabled.body.status).toBe('active');
    await edge.login(tenant.slug, staff.email, 'a-completely-new-password');
  });

  it('a password reset by an admin also clears a lockout', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 2 });
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    for (let i = 0; i < 2; i++)
      await edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: tenant.slug, email: staff.email, password: 'wrong-password-123' },
      });
    expect(
      (
        await edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: tenant.slug, email: staff.email, password: staff.password },
        })
      ).status,
    ).toBe(429);
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { password: 'reset-by-the-owner-1' },
      }),
      200,
    );
    await edge.login(tenant.slug, staff.email, 'reset-by-the-owner-1');
  });

  it('deletes a user (204): gone from reads and lists, cannot log in, existing token refused', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const res = await edge.call('DELETE', `/api/v1/users/${staff.id}`, { token: tenant.owner.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(await edge.call('GET', `/api/v1/users/${staff.id}`, { token: tenant.owner.token }), 404, 'not_found');
    const list = edge.ok(await edge.call('GET', '/api/v1/users', { token: tenant.owner.token }), 200);
    expect(list.body.data!.map((u) => u.id)).toEqual([tenant.owner.id]);
    expectProblem(
      await edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: tenant.slug, email: staff.email, password: staff.password },
      }),
      401,
    );
    expectProblem(await edge.call('GET', '/api/v1/me', { token: staff.token }), 401, 'unauthenticated');
    expectProblem(
      await edge.call('DELETE', `/api/v1/users/${staff.id}`, { token: tenant.owner.token }),
      404,
      'not_found',
    );
    expectProblem(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, { token: tenant.owner.token, body: { status: 'active' } }),
      404,
      'not_found',
    );
  });

  it("lets a deleted user's email be reused by a new user, whose login is theirs alone", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const old = await edge.createStaff(tenant, 'support');
    expect((await edge.call('DELETE', `/api/v1/users/${old.id}`, { token: tenant.owner.token })).status).toBe(204);
    const res = edge.ok(
      await edge.call('POST', '/api/v1/users', {
        token: tenant.owner.token,
        body: { email: old.email.toUpperCase(), name: 'Successor', role: 'billing', password: 'successor-password-1' },
      }),
      201,
    );
    expect(res.body.id).not.toBe(old.id);
    expect(res.body.email).toBe(old.email);
    expectProblem(
      await edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: tenant.slug, email: old.email, password: old.password },
      }),
      401,
    );
    const token = await edge.login(tenant.slug, old.email, 'successor-password-1');
    expect(edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200).body).toMatchObject({
      id: res.body.id,
      role: 'billing',
    });
    expectProblem(await edge.call('GET', '/api/v1/me', { token: old.token }), 401);
    // The old user's audit history still points at its id.
    const history = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource_id=${old.id}`, { token: tenant.owner.token }),
      200,
    );
    expect(history.body.data!.map((e) => e.action)).toContain('user.deleted');
    // And the email can be reused again after the successor is deleted.
    expect(
      (await edge.call('DELETE', `/api/v1/users/${String(res.body.id)}`, { token: tenant.owner.token })).status,
    ).toBe(204);
    edge.ok(
      await edge.call('POST', '/api/v1/users', {
        token: tenant.owner.token,
        body: { email: old.email, name: 'Third', role: 'support', password: 'third-password-123' },
      }),
      201,
    );
  });

  it('a tenant may have several owners; an owner may demote themself while another owner remains', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const second = await edge.createStaff(tenant, 'owner');
    const res = edge.ok(
      await edge.call('PATCH', `/api/v1/users/${tenant.owner.id}`, {
        token: tenant.owner.token,
        body: { role: 'admin' },
      }),
      200,
    );
    expect(res.body.role).toBe('admin');
    expect(edge.ok(await edge.call('GET', '/api/v1/me', { token: second.token }), 200).body.role).toBe('owner');
  });

  it('records each write in the audit log with the changed fields, never the password', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { name: 'New Name', password: 'changed-password-123' },
      }),
      200,
    );
    expect((await edge.call('DELETE', `/api/v1/users/${staff.id}`, { token: tenant.owner.token })).status).toBe(204);
    const events = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource=user&resource_id=${staff.id}`, {
        token: tenant.owner.token,
      }),
      200,
    );
    const byAction = Object.fromEntries(events.body.data!.map((e) => [e.action, e]));
    expect(byAction['user.created']).toMatchObject({
      actor_id: tenant.owner.id,
      changes: { email: staff.email, name: 'Staff support', role: 'support' },
    });
    expect(byAction['user.updated']).toMatchObject({
      actor_id: tenant.owner.id,
      changes: { name: 'New Name', password: '[changed]' },
    });
    expect(byAction['user.deleted']).toMatchObject({ actor_id: tenant.owner.id, changes: null });
    expect(events.text).not.toContain('changed-password-123');
    expect(events.text).not.toContain(staff.password);
  });

  it('does not write or audit a patch that changes nothing', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const before = edge.ok(await edge.call('GET', `/api/v1/users/${staff.id}`, { token: tenant.owner.token }), 200);
    edge.clock.now += 10_000;
    const res = edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { name: 'Staff support', role: 'support' },
      }),
      200,
    );
    expect(res.body).toEqual(before.body);
    const events = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?action=user.updated`, { token: tenant.owner.token }),
      200,
    );
    expect(events.body.data).toEqual([]);
  });
});
