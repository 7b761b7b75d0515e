// Issue 13, defect 1: the lockout must hold when guesses arrive at once. Each attempt takes
// its strike in one atomic UPDATE … RETURNING before the password or code is checked, so
// N parallel guesses cost N strikes and no more guesses are checked than the lockout allows.
import { describe, expect, it } from 'vitest';
import { expectProblem, platformAdmin, startEdge, type CallResult, type TestEdge } from '../support/edge-app.ts';

const statuses = (results: CallResult[]) => results.map((r) => r.status).sort();
const count = (results: CallResult[], status: number) => results.filter((r) => r.status === status).length;

const staffStrikes = async (edge: TestEdge, slug: string, id: string) =>
  Number((await edge.tenantSql(slug, 'SELECT failed_logins FROM users WHERE id = ?', [id])).rows[0]!.failed_logins);

const platformStrikes = async (edge: TestEdge) => {
  const control = await edge.platform.databases.control();
  const sql = 'SELECT failed_logins FROM platform_users WHERE email = ?';
  const rows = await control.execute({ sql, args: [platformAdmin.email] });
  return Number(rows.rows[0]!.failed_logins);
};

const parallel = (n: number, request: (i: number) => Promise<CallResult>) =>
  Promise.all(Array.from({ length: n }, (_, i) => request(i)));

type Staff = { email: string; password: string };
const staffLogin = (edge: TestEdge, tenant: string, staff: Staff, password: string, totp?: string) =>
  edge.call('POST', '/api/v1/auth/login', { body: { tenant, email: staff.email, password, totp } });
const platformLogin = (edge: TestEdge, password: string) =>
  edge.call('POST', '/api/v1/platform/auth/login', { body: { email: platformAdmin.email, password } });

/** A staff user with TOTP enabled; the clock is moved past the step the enrolment used. */
async function staffWithTotp(edge: TestEdge) {
  const tenant = await edge.createTenant();
  const staff = await edge.createStaff(tenant, 'support');
  const { token } = staff;
  const secret = String(edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp', { token }), 200).body.secret);
  const code = await edge.totp(secret);
  edge.ok(await edge.call('POST', '/api/v1/me/mfa/totp/verify', { token, body: { code } }), 200);
  edge.clock.now += 30_000;
  return { tenant, staff, secret };
}

const wrongCodes = async (edge: TestEdge, secret: string, n: number) => {
  const valid = new Set(await Promise.all([-1, 0, 1].map((offset) => edge.totp(secret, offset))));
  const codes: string[] = [];
  for (let i = 0; codes.length < n; i++) {
    const code = String(100_000 + i * 7919).padStart(6, '0');
    if (!valid.has(code)) codes.push(code);
  }
  return codes;
};

describe('staff login under concurrent guesses', () => {
  it('N parallel wrong passwords cost N strikes', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 50 });
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const results = await parallel(8, (i) => staffLogin(edge, tenant.slug, staff, `wrong-password-${i}`));
    expect(statuses(results)).toEqual(Array(8).fill(401));
    expect(await staffStrikes(edge, tenant.slug, staff.id)).toBe(8);
  });

  it('checks no more guesses than LOGIN_MAX_FAILURES however many arrive at once; the rest are 429', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_SECONDS: 600 });
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const results = await parallel(10, (i) => staffLogin(edge, tenant.slug, staff, `wrong-password-${i}`));
    expect(count(results, 401)).toBe(3);
    expect(count(results, 429)).toBe(7);
    for (const locked of results.filter((r) => r.status === 429)) {
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Locked: even the right password is refused until the lock ends.
    const right = { tenant: tenant.slug, email: staff.email, password: staff.password };
    expectProblem(await edge.call('POST', '/api/v1/auth/login', { body: right }), 429, 'account_locked');
    edge.clock.now += 600_000;
    edge.ok(await edge.call('POST', '/api/v1/auth/login', { body: right }), 200);
    expect(await staffStrikes(edge, tenant.slug, staff.id)).toBe(0);
  });

  it('N parallel wrong TOTP codes (with the right password) cost N strikes', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 50 });
    const { tenant, staff, secret } = await staffWithTotp(edge);
    const codes = await wrongCodes(edge, secret, 6);
    const results = await parallel(6, (i) => staffLogin(edge, tenant.slug, staff, staff.password, codes[i]));
    expect(statuses(results)).toEqual(Array(6).fill(401));
    expect(await staffStrikes(edge, tenant.slug, staff.id)).toBe(6);
  });

  it('a TOTP code logs in once, even when two logins send it at the same moment', async () => {
    const edge = await startEdge();
    const { tenant, staff, secret } = await staffWithTotp(edge);
    const code = await edge.totp(secret);
    const body = { tenant: tenant.slug, email: staff.email, password: staff.password, totp: code };
    const results = await parallel(2, () => edge.call('POST', '/api/v1/auth/login', { body }));
    expect(statuses(results)).toEqual([200, 401]);
    // And it stays used afterwards.
    expectProblem(await edge.call('POST', '/api/v1/auth/login', { body }), 401, 'invalid_credentials');
  });

  it('N parallel wrong codes on MFA disable cost N strikes', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 50 });
    const { tenant, staff, secret } = await staffWithTotp(edge);
    const codes = await wrongCodes(edge, secret, 5);
    const { token } = staff;
    const disable = (i: number) => edge.call('DELETE', '/api/v1/me/mfa/totp', { token, body: { code: codes[i] } });
    const results = await parallel(5, disable);
    expect(statuses(results)).toEqual(Array(5).fill(422));
    expect(await staffStrikes(edge, tenant.slug, staff.id)).toBe(5);
  });

  it('N parallel wrong current passwords on a password change cost N strikes', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 50 });
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const change = (i: number) => ({ current_password: `wrong-${i}`, new_password: 'a-brand-new-password' });
    const { token } = staff;
    const results = await parallel(5, (i) => edge.call('POST', '/api/v1/me/password', { token, body: change(i) }));
    expect(statuses(results)).toEqual(Array(5).fill(401));
    expect(await staffStrikes(edge, tenant.slug, staff.id)).toBe(5);
  });
});

describe('platform login under concurrent guesses', () => {
  it('N parallel wrong passwords cost N strikes', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 50 });
    const results = await parallel(8, (i) => platformLogin(edge, `wrong-password-${i}`));
    expect(statuses(results)).toEqual(Array(8).fill(401));
    expect(await platformStrikes(edge)).toBe(8);
  });

  it('checks no more guesses than LOGIN_MAX_FAILURES however many arrive at once', async () => {
    const edge = await startEdge({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCK_SECONDS: 600 });
    const results = await parallel(10, (i) => platformLogin(edge, `wrong-password-${i}`));
    expect(count(results, 401)).toBe(3);
    expect(count(results, 429)).toBe(7);
    expectProblem(await platformLogin(edge, platformAdmin.password), 429, 'account_locked');
  });
});
