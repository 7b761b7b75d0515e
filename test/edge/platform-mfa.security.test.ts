// Issue 13, defect 1: platform administrators get TOTP like staff (RFC 6238), at
// /api/v1/platform/me/mfa/totp (enrol), …/verify (confirm) and DELETE (disable, with a code).
import { describe, expect, it } from 'vitest';
import { expectProblem, platformAdmin, startEdge } from '../support/edge-app.ts';

const login = '/api/v1/platform/auth/login';
const mfa = '/api/v1/platform/me/mfa/totp';

describe('platform administrator TOTP', () => {
  it('enrols, then every login needs a fresh code; a code is used once; disabling needs a code', async () => {
    const edge = await startEdge();
    const token = await edge.platformToken();
    const enrolled = edge.ok(await edge.call('POST', mfa, { token }), 200).body;
    const secret = String(enrolled.secret);
    expect(String(enrolled.otpauth_url)).toMatch(/^otpauth:\/\/totp\/.+secret=[A-Z2-7]+/);
    // Not active until a code from it is verified: a password alone still logs in.
    edge.ok(await edge.call('POST', login, { body: platformAdmin }), 200);
    const wrong = (await edge.totp(secret)) === '000000' ? '111111' : '000000';
    expectProblem(await edge.call('POST', `${mfa}/verify`, { token, body: { code: wrong } }), 422);
    edge.ok(await edge.call('POST', `${mfa}/verify`, { token, body: { code: await edge.totp(secret) } }), 200);

    expectProblem(await edge.call('POST', login, { body: platformAdmin }), 401, 'mfa_required');
    edge.clock.now += 30_000;
    const code = await edge.totp(secret);
    const signedIn = edge.ok(await edge.call('POST', login, { body: { ...platformAdmin, totp: code } }), 200);
    expect(String(signedIn.body.access_token)).toMatch(/^ey/);
    const replayed = await edge.call('POST', login, { body: { ...platformAdmin, totp: code } });
    expectProblem(replayed, 401, 'invalid_credentials');
    const guess = { email: platformAdmin.email, password: 'not-the-password', totp: code };
    const wrongPassword = await edge.call('POST', login, { body: guess });
    expectProblem(wrongPassword, 401, 'invalid_credentials');

    expectProblem(await edge.call('DELETE', mfa, { token, body: { code: '12345' } }), 400);
    edge.clock.now += 30_000;
    edge.ok(await edge.call('DELETE', mfa, { token, body: { code: await edge.totp(secret) } }), 200);
    edge.ok(await edge.call('POST', login, { body: platformAdmin }), 200);

    const control = await edge.platform.databases.control();
    const audit = await control.execute(
      "SELECT action FROM audit_events WHERE action LIKE 'platform_user.mfa%' ORDER BY seq",
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'platform_user.mfa_enrolment_started',
      'platform_user.mfa_enabled',
      'platform_user.mfa_disabled',
    ]);
    // The seed is sealed at rest, never stored as the base32 the user saw.
    const row = await control.execute({
      sql: 'SELECT totp_secret FROM platform_users WHERE email = ?',
      args: [platformAdmin.email],
    });
    expect(row.rows[0]!.totp_secret).toBeNull();
  });

  it('seals the seed at rest and refuses enrolment twice', async () => {
    const edge = await startEdge();
    const token = await edge.platformToken();
    const secret = String(edge.ok(await edge.call('POST', mfa, { token }), 200).body.secret);
    const control = await edge.platform.databases.control();
    const stored = String((await control.execute('SELECT totp_secret FROM platform_users')).rows[0]!.totp_secret);
    expect(stored).not.toContain(secret);
    edge.ok(await edge.call('POST', `${mfa}/verify`, { token, body: { code: await edge.totp(secret) } }), 200);
    expectProblem(await edge.call('POST', mfa, { token }), 409, 'invalid_state');
  });

  it('counts wrong codes at login towards the lockout', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_SECONDS: 600 });
    const token = await edge.platformToken();
    const secret = String(edge.ok(await edge.call('POST', mfa, { token }), 200).body.secret);
    edge.ok(await edge.call('POST', `${mfa}/verify`, { token, body: { code: await edge.totp(secret) } }), 200);
    edge.clock.now += 30_000;
    const good = await edge.totp(secret);
    const wrong = ['000000', '111111', '222222', '333333'].filter((c) => c !== good).slice(0, 3);
    for (const totp of wrong) {
      expectProblem(await edge.call('POST', login, { body: { ...platformAdmin, totp } }), 401, 'invalid_credentials');
    }
    expectProblem(await edge.call('POST', login, { body: { ...platformAdmin, totp: good } }), 429, 'account_locked');
  });

  it('is only for platform tokens: a staff token gets 403', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    expectProblem(await edge.call('POST', mfa, { token: tenant.owner.token }), 403, 'forbidden');
  });
});
