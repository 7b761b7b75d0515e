import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../edge/lib/tokens.ts';
import { expectProblem, platformAdmin, startEdge } from '../support/edge-app.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('secrets never reach the logs', () => {
  it('logs no password, TOTP secret, API key, access token or configured secret across a full session', async () => {
    const edge = await startEdge();
    const secrets: string[] = [platformAdmin.password, edge.platform.config.authSecret, edge.platform.config.dataKey];
    const platformToken = await edge.platformToken();
    secrets.push(platformToken);
    const tenant = await edge.createTenant();
    secrets.push(tenant.owner.password, tenant.owner.token);
    const staff = await edge.createStaff(tenant, 'admin');
    secrets.push(staff.password, staff.token);

    // Failed logins with guessed passwords must not log the guesses either.
    const guesses = ['guess-one-password', 'guess-two-password'];
    secrets.push(...guesses);
    await edge.call('POST', '/api/v1/auth/login', {
      body: { tenant: tenant.slug, email: staff.email, password: guesses[0] },
    });
    await edge.call('POST', '/api/v1/platform/auth/login', {
      body: { email: platformAdmin.email, password: guesses[1] },
    });

    const totpSecret = String(
      edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token: staff.token }), 200).body.secret,
    );
    secrets.push(totpSecret);
    const firstCode = await edge.totp(totpSecret);
    edge.ok(
      await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token: staff.token, body: { code: firstCode } }),
      200,
    );
    edge.clock.now += 30_000;
    const mfaToken = await edge.login(tenant.slug, staff.email, staff.password, await edge.totp(totpSecret));
    secrets.push(mfaToken);

    const key = await edge.createApiKey(staff.token, 'operations');
    secrets.push(key.secret, key.secret.split('.')[2]!);
    edge.ok(await edge.call('GET', '/api/v1/me', { token: key.secret }), 200);
    // A bad key is logged no more than a good one.
    const badKey = `${key.secret.slice(0, -4)}AAAA`;
    secrets.push(badKey);
    await edge.call('GET', '/api/v1/me', { token: badKey });

    const newPassword = 'brand-new-password-99';
    secrets.push(newPassword);
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { password: newPassword },
      }),
      200,
    );
    // A body that fails validation is not echoed into the logs either.
    const rejected = 'rejected-password-with-bad-email';
    secrets.push(rejected);
    await edge.call('POST', '/api/v1/users', {
      token: tenant.owner.token,
      body: { email: 'bad', name: 'x', role: 'support', password: rejected },
    });

    expect(edge.logs.length).toBeGreaterThan(10);
    const all = edge.logs.join('\n');
    for (const secret of secrets)
      expect(all.includes(secret), `a log line contains ${secret.slice(0, 6)}…`).toBe(false);
    // Neither do the audit log or its CSV export (the same audit trail leaves the system).
    const audit = edge.ok(
      await edge.call('GET', '/api/v1/audit-events/export', { token: tenant.owner.token }),
      200,
    ).text;
    for (const secret of secrets)
      expect(audit.includes(secret), `the audit export contains ${secret.slice(0, 6)}…`).toBe(false);
  });

  it('writes one structured JSON access line per request, with request id, tenant and actor', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    edge.logs.length = 0;
    const res = await edge.call('GET', '/api/v1/me', {
      token: tenant.owner.token,
      headers: { 'x-request-id': 'trace-abc-123' },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-abc-123');
    const lines = edge.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 'info',
      request_id: 'trace-abc-123',
      method: 'GET',
      path: '/api/v1/me',
      status: 200,
      tenant: tenant.slug,
      actor: `user:${tenant.owner.id}`,
    });
  });
});

describe('staff tokens are bound to their tenant', () => {
  it('refuses a token whose tenant claim was edited to another tenant', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const [head, , signature] = b.owner.token.split('.');
    const moved = `${head}.${b64({ ...claimsOf(b.owner.token), tenant: a.slug })}.${signature}`;
    expectProblem(await edge.call('GET', '/api/v1/users', { token: moved }), 401, 'unauthenticated');
  });

  it('refuses a token signed with another secret', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const claims = claimsOf(a.owner.token);
    const forged = await signAccessToken(
      {
        typ: 'staff',
        sub: a.owner.id,
        tenant: a.slug,
        role: 'owner',
        epoch: 0,
        iat: Number(claims.iat),
        exp: Number(claims.exp),
      },
      'z'.repeat(40),
    );
    expectProblem(await edge.call('GET', '/api/v1/me', { token: forged }), 401, 'unauthenticated');
  });

  it(
    'refuses a correctly signed token naming a user of another ' +
      "tenant: users are looked up in the token's own tenant",
    async () => {
      const edge = await startEdge();
      const a = await edge.createTenant();
      const b = await edge.createTenant();
      const now = Math.floor(edge.clock.now / 1000);
      // Even if the signing secret leaked, A's user id means nothing in B's database.
      const crossed = await signAccessToken(
        { typ: 'staff', sub: a.owner.id, tenant: b.slug, role: 'owner', epoch: 0, iat: now, exp: now + 600 },
        edge.platform.config.authSecret,
      );
      expectProblem(await edge.call('GET', '/api/v1/me', { token: crossed }), 401, 'unauthenticated');
    },
  );

  it('expires staff tokens after TOKEN_TTL_SECONDS on the platform clock', async () => {
    const edge = await startEdge({ TOKEN_TTL_SECONDS: 120 });
    const tenant = await edge.createTenant();
    edge.clock.now += 119_000;
    expect((await edge.call('GET', '/api/v1/me', { token: tenant.owner.token })).status).toBe(200);
    edge.clock.now += 1_000;
    expectProblem(await edge.call('GET', '/api/v1/me', { token: tenant.owner.token }), 401, 'unauthenticated');
  });

  it('refuses an unknown tenant in a validly signed token', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const now = Math.floor(edge.clock.now / 1000);
    const token = await signAccessToken(
      { typ: 'staff', sub: a.owner.id, tenant: 'ghost-isp', role: 'owner', epoch: 0, iat: now, exp: now + 600 },
      edge.platform.config.authSecret,
    );
    expectProblem(await edge.call('GET', '/api/v1/me', { token }), 401, 'unauthenticated');
  });

  it('refuses a token claiming a role the user does not have', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'read_only');
    const now = Math.floor(edge.clock.now / 1000);
    const token = await signAccessToken(
      { typ: 'staff', sub: staff.id, tenant: tenant.slug, role: 'owner', epoch: 0, iat: now, exp: now + 600 },
      edge.platform.config.authSecret,
    );
    expectProblem(await edge.call('GET', '/api/v1/me', { token }), 401, 'unauthenticated');
  });
});

describe('TOTP guessing', () => {
  it(
    'throttles wrong codes on MFA disable like wrong passwords, so a stolen session cannot guess its way to turning ' +
      'MFA off',
    async () => {
      // RFC 4226 §7.3 (throttling) applies to every place a code is checked; six digits with
      // three valid steps fall to about 330k unthrottled guesses.
      const edge = await startEdge({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_SECONDS: 600 });
      const tenant = await edge.createTenant();
      const { token } = tenant.owner;
      const secret = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
      edge.ok(
        await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code: await edge.totp(secret) } }),
        200,
      );
      edge.clock.now += 30_000;
      const good = await edge.totp(secret);
      const wrong = ['000000', '111111', '222222', '333333'].filter((c) => c !== good).slice(0, 3);
      for (const code of wrong)
        expect((await edge.call('DELETE', '/api/v1/me/mfa/totp', { token, body: { code } })).status).toBe(422);
      const afterGuesses = await edge.call('DELETE', '/api/v1/me/mfa/totp', { token, body: { code: good } });
      expect(afterGuesses.status, afterGuesses.text).toBe(429);
      const me = edge.ok(await edge.call('GET', '/api/v1/me', { token }), 200);
      expect((me.body.user as Record<string, unknown>).mfa_enabled).toBe(true);
    },
  );
});
