import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownDatabaseError, createDatabases, type DatabaseDriver } from '../../db/databases.ts';
import { createFileDriver } from '../../db/drivers/files.ts';
import { createLibsqlServerDriver } from '../../db/drivers/libsql-server.ts';
import { tenantMigrations } from '../../db/migrations/tenant/index.ts';
import { startSqld, type Sqld } from '../support/sqld.ts';

let sqld: Sqld;
let dir: string;
beforeAll(async () => {
  sqld = await startSqld();
  dir = mkdtempSync(join(tmpdir(), 'dbs-'));
});
afterAll(async () => {
  await sqld.stop();
  rmSync(dir, { recursive: true, force: true });
});

const drivers: [string, () => DatabaseDriver][] = [
  ['files', () => createFileDriver(dir)],
  ['libsql server', () => createLibsqlServerDriver({ url: sqld.url, adminUrl: sqld.adminUrl })],
];

describe.each(drivers)('tenant databases on %s', (_name, makeDriver) => {
  it('creates, migrates and isolates tenant databases', async () => {
    const dbs = createDatabases(makeDriver());
    const slugs = [`a-${crypto.randomUUID().slice(0, 8)}`, `b-${crypto.randomUUID().slice(0, 8)}`];
    for (const slug of slugs) await dbs.createTenant(slug);
    const a = await dbs.leaseTenant(slugs[0]!);
    const b = await dbs.leaseTenant(slugs[1]!);
    const applied = await a.client.execute('SELECT count(*) AS n FROM __migrations');
    expect(Number(applied.rows[0]!.n)).toBe(tenantMigrations.length);
    await a.client.execute({
      sql:
        "INSERT INTO api_keys (id, name, role, secret_hash, prefix, created_at) VALUES ('k1', 'n', 'admin', 'h', " +
        "'p', 0)",
      args: [],
    });
    expect((await a.client.execute('SELECT id FROM api_keys')).rows).toHaveLength(1);
    expect((await b.client.execute('SELECT id FROM api_keys')).rows).toHaveLength(0);
    a.release();
    b.release();
    await expect(dbs.createTenant(slugs[0]!)).rejects.toThrow();
    for (const slug of slugs) await dbs.dropTenant(slug);
    await expect(dbs.leaseTenant(slugs[0]!)).rejects.toThrow(UnknownDatabaseError);
    dbs.close();
  });

  it('creates and migrates the control database on first use, once', async () => {
    const dbs = createDatabases(makeDriver());
    const [c1, c2] = await Promise.all([dbs.control(), dbs.control()]);
    expect(c1).toBe(c2);
    expect((await c1.execute("SELECT name FROM sqlite_master WHERE name = 'tenants'")).rows).toHaveLength(1);
    dbs.close();
  });

  it('migrates a tenant database that is behind when it is opened', async () => {
    const driver = makeDriver();
    const slug = `old-${crypto.randomUUID().slice(0, 8)}`;
    const name = `tenant-${slug}`;
    await driver.provision(name);
    const raw = driver.connect(name);
    await raw.execute('CREATE TABLE keep_me (x)');
    raw.close();
    const dbs = createDatabases(driver);
    const lease = await dbs.leaseTenant(slug);
    expect(
      (
        await lease.client.execute("SELECT name FROM sqlite_master WHERE name IN ('users', 'keep_me') ORDER BY name")
      ).rows.map((r) => r.name),
    ).toEqual(['keep_me', 'users']);
    lease.release();
    await dbs.dropTenant(slug);
    dbs.close();
  });
});

describe('open client cap', () => {
  it('closes the least recently used idle tenant client beyond the cap, never a leased one', async () => {
    const capDir = mkdtempSync(join(tmpdir(), 'cap-'));
    const dbs = createDatabases(createFileDriver(capDir), { maxOpen: 2 });
    for (const slug of ['t1', 't2', 't3']) await dbs.createTenant(slug);
    const held = await dbs.leaseTenant('t1');
    for (const slug of ['t2', 't3']) (await dbs.leaseTenant(slug)).release();
    // t1 is leased, so t2 (least recently used idle) was closed; t1 still works.
    expect((await held.client.execute('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    held.release();
    const again = await dbs.leaseTenant('t2');
    expect((await again.client.execute('SELECT count(*) AS n FROM users')).rows[0]!.n).toBe(0);
    again.release();
    expect(
      readdirSync(capDir)
        .filter((f) => f.endsWith('.db'))
        .sort(),
    ).toEqual(['tenant-t1.db', 'tenant-t2.db', 'tenant-t3.db']);
    dbs.close();
    rmSync(capDir, { recursive: true, force: true });
  });
});

describe('file database settings', () => {
  it(
    'runs WAL with synchronous=FULL (commits survive a power loss) on the connection, ' + 'also after a transaction',
    async () => {
      const settingsDir = mkdtempSync(join(tmpdir(), 'settings-'));
      const dbs = createDatabases(createFileDriver(settingsDir));
      await dbs.createTenant('settings');
      const { client, release } = await dbs.leaseTenant('settings');
      const tx = await client.transaction('write');
      await tx.execute(
        'INSERT INTO api_keys (id, name, role, secret_hash, prefix, created_at) ' +
          "VALUES ('k', 'k', 'admin', 'h', 'p', 0)",
      );
      await tx.commit();
      expect((await client.execute('PRAGMA journal_mode')).rows[0]!.journal_mode).toBe('wal');
      expect(Number((await client.execute('PRAGMA synchronous')).rows[0]!.synchronous)).toBe(2);
      release();
      dbs.close();
      rmSync(settingsDir, { recursive: true, force: true });
    },
  );
});

describe('file databases under concurrent writes', () => {
  it('runs many overlapping transactions and writes in one process without SQLITE_BUSY or loss', async () => {
    const concurrentDir = mkdtempSync(join(tmpdir(), 'conc-'));
    const dbs = createDatabases(createFileDriver(concurrentDir));
    await dbs.createTenant('busy');
    const { client, release } = await dbs.leaseTenant('busy');
    const writes = Array.from({ length: 60 }, async (_, i) => {
      if (i % 3 === 0) {
        await client.execute({
          sql:
            "INSERT INTO api_keys (id, name, role, secret_hash, prefix, created_at) VALUES (?, 'plain', 'admin', " +
            "'h', 'p', 0)",
          args: [`plain-${i}`],
        });
        return;
      }
      const tx = await client.transaction('write');
      try {
        const before = await tx.execute('SELECT count(*) AS n FROM api_keys');
        await new Promise((r) => setTimeout(r, 1)); // yield mid-transaction, as real handlers do
        await tx.execute({
          sql:
            "INSERT INTO api_keys (id, name, role, secret_hash, prefix, created_at) VALUES (?, ?, 'admin', 'h', " +
            "'p', 0)",
          args: [`tx-${i}`, String(before.rows[0]!.n)],
        });
        await tx.commit();
      } finally {
        tx.close();
      }
    });
    await Promise.all(writes);
    const rows = (await client.execute('SELECT id, name FROM api_keys')).rows;
    expect(rows).toHaveLength(60);
    // Each transaction saw every row committed before it: counts are distinct, so none overlapped.
    const seen = rows.filter((r) => String(r.id).startsWith('tx-')).map((r) => Number(r.name));
    expect(new Set(seen).size).toBe(seen.length);
    release();
    dbs.close();
    rmSync(concurrentDir, { recursive: true, force: true });
  });
});
