import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type CallResult } from '../support/edge-app.ts';

const withoutRequestId = (res: CallResult) => {
  const { request_id: _id, ...rest } = res.body;
  return rest;
};

describe('staff login failures', () => {
  it('answers wrong password, unknown email, wrong tenant and unknown tenant with one identical 401', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const login = (tenant: string, email: string, password: string) =>
      edge.call('POST', '/api/v1/auth/login', { body: { tenant, email, password } });
    const answers = [
      await login(a.slug, a.owner.email, 'wrong-password-123'),
      await login(a.slug, 'nobody@nowhere.test', a.owner.password),
      await login(b.slug, a.owner.email, a.owner.password),
      await login('no-such-tenant', a.owner.email, a.owner.password),
    ];
    for (const res of answers) expectProblem(res, 401, 'invalid_credentials');
    for (const res of answers.slice(1)) expect(withoutRequestId(res)).toEqual(withoutRequestId(answers[0]!));
  });

  it(
    'locks the account after LOGIN_MAX_FAILURES wrong passwords (429 + Retry-After) and unlocks after ' +
      'LOGIN_LOCK_SECONDS',
    async () => {
      const edge = await startEdge({ LOGIN_MAX_FAILURES: 4, LOGIN_LOCK_SECONDS: 300 });
      const tenant = await edge.createTenant();
      const staff = await edge.createStaff(tenant, 'support');
      const attempt = (password: string) =>
        edge.call('POST', '/api/v1/auth/login', { body: { tenant: tenant.slug, email: staff.email, password } });
      for (let i = 0; i < 4; i++) expectProblem(await attempt('wrong-password-123'), 401, 'invalid_credentials');
      const locked = await attempt(staff.password);
      expectProblem(locked, 429, 'account_locked');
      expect(locked.headers.get('retry-after')).toBe('300');
      // Another user of the same tenant is not locked.
      expect(
        (
          await edge.call('POST', '/api/v1/auth/login', {
            body: { tenant: tenant.slug, email: tenant.owner.email, password: tenant.owner.password },
          })
        ).status,
      ).toBe(200);
      // Existing tokens keep working: the lock guards the password, not the session.
      expect((await edge.call('GET', '/api/v1/me', { token: staff.token })).status).toBe(200);
      edge.clock.now += 299_000;
      expect((await attempt(staff.password)).status).toBe(429);
      edge.clock.now += 1_000;
      expect((await attempt(staff.password)).status).toBe(200);
    },
  );

  it('audits failed logins against the user, without the attempted password', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.owner.email, password: 'guessed-password-xyz' },
    });
    const events = edge.ok(
      await edge.call('GET', '/api/v1/audit-events?action=auth.login_failed', { token: tenant.owner.token }),
      200,
    );
    expect(events.body.data).toHaveLength(1);
    expect(events.body.data![0]).toMatchObject({
      resource: 'user',
      resource_id: tenant.owner.id,
      actor_id: tenant.owner.id,
      ip: '127.0.0.1',
    });
    expect(events.text).not.toContain('guessed-password-xyz');
  });

  it('refuses disabled and deleted users with the same 401 as a wrong password', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const disabled = await edge.createStaff(tenant, 'support');
    const deleted = await edge.createStaff(tenant, 'support');
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${disabled.id}`, {
        token: tenant.owner.token,
        body: { status: 'disabled' },
      }),
      200,
    );
    expect((await edge.call('DELETE', `/api/v1/users/${deleted.id}`, { token: tenant.owner.token })).status).toBe(204);
    for (const user of [disabled, deleted]) {
      expectProblem(
        await edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: tenant.slug, email: user.email, password: user.password },
        }),
        401,
        'invalid_credentials',
      );
      expectProblem(await edge.call('GET', '/api/v1/me', { token: user.token }), 401, 'unauthenticated');
    }
  });

  it('validates the login body and lists the fields', async () => {
    const edge = await startEdge();
    const res = await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: '', email: 'x', password: '', totp: '12345' },
    });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors!.map((e) => e.path).sort()).toEqual(['email', 'password', 'tenant', 'totp']);
  });
});

describe('TOTP failures', () => {
  const enable = async (edge: Awaited<ReturnType<typeof startEdge>>, token: string) => {
    const secret = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
    edge.ok(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(secret) } }),
      200,
    );
    edge.clock.now += 30_000;
    return secret;
  };

  it('answers a wrong password with invalid_credentials even when MFA is on (no mfa_required oracle)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    await enable(edge, tenant.owner.token);
    const res = await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: tenant.owner.email, password: 'wrong-password-123' },
    });
    expectProblem(res, 401, 'invalid_credentials');
  });

  it('refuses a wrong code and counts it towards the lockout', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 3 });
    const tenant = await edge.createTenant();
    const secret = await enable(edge, tenant.owner.token);
    const good = await edge.totp(secret);
    const bad = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');
    const attempt = (totp: string) =>
      edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: tenant.slug, email: tenant.owner.email, password: tenant.owner.password, totp },
      });
    for (let i = 0; i < 3; i++) expectProblem(await attempt(bad), 401, 'invalid_credentials');
    expectProblem(await attempt(good), 429, 'account_locked');
  });

  it('never accepts the code used to confirm enrolment for a login (replay across endpoints)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { token, email, password } = tenant.owner;
    const secret = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
    const code = await edge.totp(secret);
    edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code } }), 200);
    expectProblem(
      await edge.call('POST', '/api/v1/auth/login', { body: { tenant: tenant.slug, email, password, totp: code } }),
      401,
      'invalid_credentials',
    );
    // An older step than the last one used is refused too, even within the drift window.
    expectProblem(
      await edge.call('POST', '/api/v1/auth/login', {
        body: { tenant: tenant.slug, email, password, totp: await edge.totp(secret, -1) },
      }),
      401,
      'invalid_credentials',
    );
  });

  it('refuses codes outside the drift window', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const secret = await enable(edge, tenant.owner.token);
    for (const offset of [-3, -2, 2, 3]) {
      const res = await edge.call('POST', '/api/v1/auth/login', {
        body: {
          tenant: tenant.slug,
          email: tenant.owner.email,
          password: tenant.owner.password,
          totp: await edge.totp(secret, offset),
        },
      });
      expect(res.status, `offset ${offset}`).toBe(401);
    }
  });

  it('refuses MFA management in the wrong state', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { token } = tenant.owner;
    expectProblem(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: '123456' } }),
      409,
      'invalid_state',
    );
    expectProblem(
      await edge.call('DELETE', '/api/v1/me/mfa/totp', { token, body: { code: '123456' } }),
      409,
      'invalid_state',
    );
    const secret = await enable(edge, token);
    expectProblem(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 409, 'invalid_state');
    expectProblem(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(secret) } }),
      409,
      'invalid_state',
    );
  });

  it('keeps MFA on when disabling with a wrong code, listing the field', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const { token } = tenant.owner;
    const secret = await enable(edge, token);
    const good = await edge.totp(secret);
    const res = await edge.call('DELETE', '/api/v1/me/mfa/totp', {
      token,
      body: { code: good === '000000' ? '000001' : '000000' },
    });
    const problem = expectProblem(res, 422, 'unprocessable');
    expect(problem.errors).toEqual([{ path: 'code', message: 'invalid code' }]);
    const me = edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200);
    expect((me.body.user as Record<string, unknown>).mfa_enabled).toBe(true);
  });

  it('validates the code format (six digits)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    for (const code of ['12345', '1234567', 'abcdef', '']) {
      const res = await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token: tenant.owner.token, body: { code } });
      expect(expectProblem(res, 400, 'validation_failed').errors![0]!.path).toBe('code');
    }
  });

  it('refuses MFA routes for API keys: only staff users have MFA', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    expectProblem(await edge.call('POST', '/api/v1/me/mfa/totp', { token: key.secret }), 403, 'forbidden');
    expectProblem(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token: key.secret, body: { code: '123456' } }),
      403,
      'forbidden',
    );
    expectProblem(
      await edge.call('DELETE', '/api/v1/me/mfa/totp', { token: key.secret, body: { code: '123456' } }),
      403,
      'forbidden',
    );
  });
});
