// Issue 13, defect 12 in workerd. Cloudflare's production runtime refuses one PBKDF2 call
// of more than 100,000 iterations (NotSupportedError, cloudflare/workerd#1346); workerd as
// run here has no cap (workerd#1471), so a spy puts the production check back in front of
// the real deriveBits. The password code must reach 600,000 iterations within it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../../edge/lib/password.ts';
import { call, expectStatus, platformToken } from './call.ts';

const productionCap = 100_000;
const requested: number[] = [];

beforeEach(() => {
  requested.length = 0;
  const real = crypto.subtle.deriveBits.bind(crypto.subtle);
  vi.spyOn(crypto.subtle, 'deriveBits').mockImplementation(async (algorithm, key, length) => {
    const iterations = (algorithm as { iterations?: number }).iterations ?? 0;
    requested.push(iterations);
    if (iterations > productionCap) {
      const message = `Pbkdf2 failed: iteration counts above ${productionCap} are not supported`;
      throw new DOMException(message, 'NotSupportedError');
    }
    return real(algorithm, key, length);
  });
});
afterEach(() => vi.restoreAllMocks());

describe('passwords in workerd under the production PBKDF2 cap', () => {
  it('hashes at 600,000 iterations in links the cap allows, and verifies', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^pbkdf2-sha256-chain\$600000\$/);
    expect(requested).toEqual(Array(6).fill(productionCap));
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
    // The check itself: one 600,000-iteration call is what production refuses.
    const key = await crypto.subtle.importKey('raw', new Uint8Array(8), 'PBKDF2', false, ['deriveBits']);
    const params = { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 600_000 };
    const oneCall = crypto.subtle.deriveBits(params, key, 256);
    await expect(oneCall).rejects.toThrow(/not supported/);
  });

  it('creates a tenant and logs its owner in through the Worker with every derivation within the cap', async () => {
    const platform = await platformToken();
    const slug = `wp-${crypto.randomUUID().slice(0, 8)}`;
    const owner = { email: `owner@${slug}.test`, password: 'owner-password-123' };
    const admin = { admin_email: owner.email, admin_password: owner.password };
    const tenant = { slug, name: slug, currency: 'USD', timezone: 'UTC', ...admin };
    expectStatus(await call('/api/v1/platform/tenants', { method: 'POST', token: platform, json: tenant }), 201);
    expectStatus(await call('/api/v1/auth/login', { method: 'POST', json: { tenant: slug, ...owner } }), 200);
    expect(requested.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...requested)).toBe(productionCap);
  });
});
