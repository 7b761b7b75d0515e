// Logins in workerd against sqld (issue 13, defect 1): strikes taken atomically on a remote
// libSQL server, the per-address limit keyed by CF-Connecting-IP, TOTP for the platform.
import { describe, expect, it } from 'vitest';
import { call, expectStatus, platformToken } from './call.ts';

const owner = async () => {
  const slug = `wl-${crypto.randomUUID().slice(0, 8)}`;
  const created = await call('/api/v1/platform/tenants', {
    method: 'POST',
    token: await platformToken(),
    json: {
      slug,
      name: slug,
      currency: 'USD',
      timezone: 'UTC',
      admin_email: `owner@${slug}.test`,
      admin_password: 'owner-password-123',
    },
  });
  expectStatus(created, 201);
  return { tenant: slug, email: `owner@${slug}.test`, password: 'owner-password-123' };
};

describe('logins in workerd', () => {
  it('checks at most LOGIN_MAX_FAILURES (5) parallel guesses: the rest are 429, the right password too', async () => {
    const account = await owner();
    const guess = (i: number) =>
      call('/api/v1/auth/login', { method: 'POST', json: { ...account, password: `wrong-${i}` } });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => guess(i)));
    expect(results.filter((r) => r.status === 401)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(7);
    const right = await call('/api/v1/auth/login', { method: 'POST', json: account });
    expectStatus(right, 429);
    expect(right.body.code).toBe('account_locked');
  });

  it('limits attempts per CF-Connecting-IP (LOGIN_RATE_LIMIT 5 in the test bindings)', async () => {
    const address = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    const json = { tenant: 'no-such-isp', email: 'a@b.test', password: 'some-password' };
    const attempt = (ip: string) =>
      call('/api/v1/auth/login', { method: 'POST', headers: { 'cf-connecting-ip': ip }, json });
    for (let i = 0; i < 5; i++) expectStatus(await attempt(address), 401);
    const limited = await attempt(address);
    expectStatus(limited, 429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expectStatus(await attempt('2001:db8:77::1'), 401);
  });
});
