// Issue 13, defect 12: passwords are stored with PBKDF2-HMAC-SHA256 at OWASP's 600,000
// iterations (Password Storage Cheat Sheet), the count kept in the stored string, and a
// hash below that is replaced at the next successful login. Expected values are computed
// here with node:crypto, an implementation independent of the edge's WebCrypto code.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectProblem, platformAdmin, startEdge, type TestEdge } from '../support/edge-app.ts';

const owasp = 600_000;

/** The format before this change: one PBKDF2 run, `pbkdf2-sha256$<iterations>$<salt>$<hash>`. */
const legacyHash = (password: string, iterations = 100_000) => {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return `pbkdf2-sha256$${iterations}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
};

/** PBKDF2 in links of 100,000 iterations, each keyed with the previous link's output. */
const chained = (password: string, salt: Buffer, iterations: number) => {
  let key: Buffer = Buffer.from(password, 'utf8');
  for (let done = 0; done < iterations; done += 100_000) key = pbkdf2Sync(key, salt, 100_000, 32, 'sha256');
  return key;
};

const staffHash = async (edge: TestEdge, slug: string, id: string) =>
  String((await edge.tenantSql(slug, 'SELECT password_hash FROM users WHERE id = ?', [id])).rows[0]!.password_hash);

const platformHash = async (edge: TestEdge) => {
  const control = await edge.platform.databases.control();
  const sql = 'SELECT password_hash FROM platform_users WHERE email = ?';
  const rows = await control.execute({ sql, args: [platformAdmin.email] });
  return String(rows.rows[0]!.password_hash);
};

const iterationsOf = (stored: string) => Number(stored.split('$')[1]);

/** Whether `stored` is the chained hash of `password` by an independent computation. */
const isChainOf = (stored: string, password: string) => {
  const [, iterations, salt, hash] = stored.split('$');
  return chained(password, Buffer.from(salt!, 'base64url'), Number(iterations)).toString('base64url') === hash;
};

describe('password hashing', () => {
  it('stores new passwords at 600,000 PBKDF2-SHA256 iterations, the count in the stored string', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    for (const id of [staff.id, tenant.owner.id]) {
      expect(iterationsOf(await staffHash(edge, tenant.slug, id))).toBeGreaterThanOrEqual(owasp);
    }
    expect(iterationsOf(await platformHash(edge))).toBeGreaterThanOrEqual(owasp);
  });

  it('is the documented construction: 100,000-iteration PBKDF2 links, each keyed by the last', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'billing');
    const stored = await staffHash(edge, tenant.slug, staff.id);
    expect(stored.split('$')[0]).toBe('pbkdf2-sha256-chain');
    expect(isChainOf(stored, staff.password)).toBe(true);
    expect(isChainOf(stored, `${staff.password}x`)).toBe(false);
  });

  it('logs a staff user in with an old 100,000-iteration hash and upgrades it on that login', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const old = legacyHash(staff.password);
    await edge.tenantSql(tenant.slug, 'UPDATE users SET password_hash = ? WHERE id = ?', [old, staff.id]);
    // A wrong password changes nothing.
    const guess = { tenant: tenant.slug, email: staff.email, password: 'not-it-at-all' };
    const wrong = await edge.call('POST', '/api/v1/auth/login', { body: guess });
    expectProblem(wrong, 401, 'invalid_credentials');
    expect(await staffHash(edge, tenant.slug, staff.id)).toBe(old);

    await edge.login(tenant.slug, staff.email, staff.password);
    const upgraded = await staffHash(edge, tenant.slug, staff.id);
    expect(upgraded).not.toBe(old);
    expect(iterationsOf(upgraded)).toBeGreaterThanOrEqual(owasp);
    expect(isChainOf(upgraded, staff.password)).toBe(true);
    // The upgraded hash logs in, and is left alone from then on.
    await edge.login(tenant.slug, staff.email, staff.password);
    expect(await staffHash(edge, tenant.slug, staff.id)).toBe(upgraded);
  });

  it("upgrades a platform administrator's old hash on login", async () => {
    const edge = await startEdge();
    const control = await edge.platform.databases.control();
    const old = legacyHash(platformAdmin.password);
    const sql = 'UPDATE platform_users SET password_hash = ? WHERE email = ?';
    await control.execute({ sql, args: [old, platformAdmin.email] });
    await edge.platformToken();
    expect(iterationsOf(await platformHash(edge))).toBeGreaterThanOrEqual(owasp);
    await edge.platformToken();
  });

  it('refuses a stored hash that asks for absurd work or an unknown scheme, without trying', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const body = { tenant: tenant.slug, email: staff.email, password: staff.password };
    const salt = randomBytes(16).toString('base64url');
    const hash = 'A'.repeat(43);
    const absurd = [`pbkdf2-sha256-chain$4000000000$${salt}$${hash}`, `pbkdf2-sha256$4000000000$${salt}$${hash}`];
    for (const stored of [...absurd, `bcrypt$10$${salt}$x`, 'garbage']) {
      const sql = 'UPDATE users SET password_hash = ?, failed_logins = 0 WHERE id = ?';
      await edge.tenantSql(tenant.slug, sql, [stored, staff.id]);
      expectProblem(await edge.call('POST', '/api/v1/auth/login', { body }), 401, 'invalid_credentials');
    }
  });
});
