import { describe, expect, it } from 'vitest';
import { permissions } from '../../edge/permissions.ts';
import { startEdge, startTime } from '../support/edge-app.ts';

describe('staff login', () => {
  it('logs in by tenant and email and returns a bearer token bound to tenant and role', async () => {
    const edge = await startEdge({ TOKEN_TTL_SECONDS: 900 });
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'billing');
    const res = edge.ok(
      await edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: tenant.slug, email: staff.email, password: staff.password },
      }),
      200,
    );
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900 });
    const claims = JSON.parse(
      Buffer.from(String(res.body.access_token).split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({ typ: 'staff', sub: staff.id, tenant: tenant.slug, role: 'billing' });
  });

  it('matches the email case-insensitively', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = await edge.login(tenant.slug, tenant.owner.email.toUpperCase(), tenant.owner.password);
    expect(edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200).body.id).toBe(tenant.owner.id);
  });

  it('stamps last_login_at with the platform clock', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    edge.clock.now += 42_000;
    const token = await edge.login(tenant.slug, tenant.owner.email, tenant.owner.password);
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200);
    expect((me.body.user as Record<string, unknown>).last_login_at).toBe(new Date(startTime + 42_000).toISOString());
  });
});

describe('GET /api/v1/me', () => {
  it('describes a staff user: role, permissions, tenant, profile', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant({ currency: 'KES', timezone: 'Africa/Nairobi' });
    const staff = await edge.createStaff(tenant, 'support');
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token: staff.token }), 200);
    expect(me.body).toEqual({
      kind: 'user',
      id: staff.id,
      role: 'support',
      permissions: expect.arrayContaining(['subscribers:read', 'tickets:write']),
      tenant: { slug: tenant.slug, name: `ISP ${tenant.slug}`, currency: 'KES', timezone: 'Africa/Nairobi' },
      user: expect.objectContaining({
        id: staff.id,
        email: staff.email,
        role: 'support',
        status: 'active',
        mfa_enabled: false,
      }),
    });
    expect(me.body.permissions).not.toContain('users:write');
    expect(me.body.user).not.toHaveProperty('password_hash');
  });

  it('describes an API key: kind api_key, its role and permissions, no user', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token: key.secret }), 200);
    expect(me.body).toMatchObject({
      kind: 'api_key',
      id: key.id,
      role: 'admin',
      user: null,
      tenant: { slug: tenant.slug },
    });
    expect([...(me.body.permissions as string[])].sort()).toEqual([...permissions].sort());
  });
});

describe('TOTP multi-factor authentication', () => {
  it('enrols, verifies, then requires a fresh code at every login, and disables with a valid code', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { slug } = tenant;
    const { email, password, token } = tenant.owner;

    const enrol = edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200);
    const secret = String(enrol.body.secret);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrol.body.otpauth_url).toBe(
      `otpauth://totp/${encodeURIComponent(`ISP ${slug}`)}:${encodeURIComponent(email)}?secret=${secret}&` +
        `issuer=${encodeURIComponent(`ISP ${slug}`)}&algorithm=SHA1&digits=6&period=30`,
    );
    // Enrolment alone does not switch MFA on.
    expect((await edge.call('POST', '/api/v1/auth/login', { body: { tenant: slug, email, password } })).status).toBe(
      200,
    );

    const verified = edge.ok(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(secret) } }),
      200,
    );
    expect(verified.body).toEqual({ mfa_enabled: true });
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200);
    expect((me.body.user as Record<string, unknown>).mfa_enabled).toBe(true);

    const noCode = await edge.call('POST', '/api/v1/auth/login', { body: { tenant: slug, email, password } });
    expect(noCode.status).toBe(401);
    expect(noCode.body.code).toBe('mfa_required');

    edge.clock.now += 30_000;
    const code = await edge.totp(secret);
    const withCode = await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: slug, email, password, totp: code },
    });
    expect(withCode.status).toBe(200);
    const fresh = String(withCode.body.access_token);

    const replay = await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: slug, email, password, totp: code },
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_credentials');

    edge.clock.now += 30_000;
    const wrong = await edge.call('DELETE', '/api/v1/me/mfa/totp', {
      token: fresh,
      body: { code: String((Number(await edge.totp(secret)) + 1) % 1_000_000).padStart(6, '0') },
    });
    expect(wrong.status).toBe(422);
    const disabled = edge.ok(
      await edge.call('DELETE', '/api/v1/me/mfa/totp', { token: fresh, body: { code: await edge.totp(secret) } }),
      200,
    );
    expect(disabled.body).toEqual({ mfa_enabled: false });
    expect((await edge.call('POST', '/api/v1/auth/login', { body: { tenant: slug, email, password } })).status).toBe(
      200,
    );
  });

  it('accepts a code one step either side of the server clock (RFC 6238 §5.2 drift)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { email, password, token } = tenant.owner;
    const secret = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
    edge.ok(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(secret, -1) } }),
      200,
    );
    const ahead = await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email, password, totp: await edge.totp(secret, 1) },
    });
    expect(ahead.status).toBe(200);
    edge.clock.now += 5 * 30_000;
    const behind = await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email, password, totp: await edge.totp(secret, -1) },
    });
    expect(behind.status).toBe(200);
  });

  it('restarting enrolment replaces the secret: codes from the old one no longer verify', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { token } = tenant.owner;
    const first = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
    const second = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
    expect(second).not.toBe(first);
    expect(
      (await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(first) } })).status,
    ).toBe(422);
    expect(
      (await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(second) } }))
        .status,
    ).toBe(200);
  });

  it('audits enrolment, activation and deactivation', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { token, id } = tenant.owner;
    const secret = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
    edge.ok(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(secret) } }),
      200,
    );
    edge.clock.now += 30_000;
    edge.ok(await edge.call('DELETE', '/api/v1/me/mfa/totp', { token, body: { code: await edge.totp(secret) } }), 200);
    const events = edge.ok(await edge.call('GET', `/api/v1/audit-events?resource_id=${id}`, { token }), 200).body.data!;
    expect(events.slice(0, 3).map((e) => e.action)).toEqual([
      'user.mfa_disabled',
      'user.mfa_enabled',
      'user.mfa_enrolment_started',
    ]);
    for (const e of events.slice(0, 3)) expect(e).toMatchObject({ actor_type: 'user', actor_id: id, resource: 'user' });
  });
});
