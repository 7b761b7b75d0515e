// Issue 12, defect 3: authentication must not depend on spool.db. FreeRADIUS's radclient
// (Debian freeradius-utils) is the NAS; the appliance starts on a data dir whose
// spool.db is corrupt, from a newer appliance, or on a full disk (a symlink to
// /dev/full: the kernel answers every write with ENOSPC, as a full file system does,
// without a mount). It must answer Access-Requests from the replica, leave accounting
// unanswered while the spool is down (RFC 2866 §2: the NAS retransmits), say on
// /health which part is down, retry the spool with back-off, and move a corrupt file
// aside (never delete it) before making a fresh one.
import { createClient } from '@libsql/client';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdirSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../appliance/log.ts';
import { openSpool } from '../../appliance/spool/index.ts';
import { metricValue, SECRET, startTestAppliance } from '../appliance/server/helpers.ts';
import type { TestAppliance, TestApplianceOptions } from '../appliance/server/helpers.ts';
import { loadRecord } from '../appliance/spool/load-records.ts';

let server: TestAppliance | null = null;

afterEach(async () => {
  await server?.stop();
  server = null;
});

async function start(options: TestApplianceOptions): Promise<TestAppliance> {
  server = await startTestAppliance({
    threads: 2,
    ...options,
    seed: async (replica) => {
      await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET });
      await replica.upsertSubscriber({ username: 'free-user', password: 'free-pw' });
      await replica.upsertSubscriber({ username: 'single-user', password: 'single-pw', simultaneousUse: 1 });
    },
  });
  return server;
}

/** radclient's verbose output (stdout and stderr): one request, one retry after 1 s. */
function radclient(kind: 'auth' | 'acct', port: number, attributes: string): Promise<string> {
  return new Promise((resolve) => {
    const args = ['-x', '-r', '1', '-t', '1', `127.0.0.1:${port}`, kind, SECRET];
    const child = execFile('radclient', args, (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
    child.stdin?.end(attributes);
  });
}

const pap = (app: TestAppliance, user: string, password: string) =>
  radclient(
    'auth',
    app.radius.ports.auth,
    `User-Name = ${user}\nUser-Password = ${password}\nMessage-Authenticator = 0x00\n`,
  );
const accountingStart = (app: TestAppliance, session: string) =>
  radclient(
    'acct',
    app.radius.ports.acct,
    `User-Name = free-user\nAcct-Status-Type = Start\nAcct-Session-Id = ${session}\n`,
  );

/** A valid SQLite file that says it comes from a newer appliance. */
async function plantNewerSpool(dir: string): Promise<void> {
  const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
  await client.execute('CREATE TABLE from_the_future (x)');
  await client.execute('PRAGMA user_version = 99');
  client.close();
}

describe('spool.db unreadable at start-up', () => {
  it('corrupt: moves the file aside with a timestamp, makes a fresh spool, and authenticates', async () => {
    const garbage = Buffer.alloc(8_192, 'not a database ');
    const app = await start({ prepare: (dir) => writeFileSync(join(dir, 'spool.db'), garbage) });
    expect(await pap(app, 'free-user', 'free-pw')).toMatch(/Received Access-Accept/);
    const aside = readdirSync(app.dir).filter((name) => /^spool\.corrupt-\d{8}T\d{6}Z\.db$/.test(name));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(app.dir, aside[0] ?? ''))).toEqual(garbage);
    // The fresh spool takes accounting at once.
    expect(await accountingStart(app, 'after-corrupt')).toMatch(/Received Accounting-Response/);
    const health = await app.health();
    expect(health.status).toBe(200);
    const movedAside = join(app.dir, aside[0] ?? '');
    expect(health.body.spool).toMatchObject({ healthy: true, state: 'open', movedAside });
  });

  it('newer schema: authenticates, accounting unanswered, /health says why, retried until gone', async () => {
    const app = await start({ prepare: plantNewerSpool });
    expect(await pap(app, 'free-user', 'free-pw')).toMatch(/Received Access-Accept/);
    expect(await pap(app, 'free-user', 'wrong')).toMatch(/Received Access-Reject/);
    // Simultaneous-Use cannot be counted: fail-open by default.
    expect(await pap(app, 'single-user', 'single-pw')).toMatch(/Received Access-Accept/);
    const unanswered = await accountingStart(app, 'while-down');
    expect(unanswered).not.toMatch(/Received Accounting-Response/);
    expect(unanswered).toMatch(/No reply/);
    const drops = metricValue(await app.metrics(), 'appliance_radius_drops_total{reason="spool_unavailable"}');
    expect(drops).toBeGreaterThanOrEqual(1);
    expect(metricValue(await app.metrics(), 'appliance_spool_open')).toBe(0);

    const health = await app.health();
    expect(health.status).toBe(503);
    expect(health.body.down).toEqual(['spool']);
    expect(health.body.radius).toMatchObject({ healthy: true });
    expect(health.body.spool).toMatchObject({ healthy: false, state: 'down', reason: 'newer_schema' });
    // A newer appliance's file is not corrupt: left where it is.
    expect(readdirSync(app.dir).filter((name) => name.startsWith('spool.corrupt-'))).toEqual([]);
    const attempts = (health.body.spool as { attempts: number }).attempts;

    // The operator takes the file away (to a newer appliance); the next retry makes a fresh spool.
    renameSync(join(app.dir, 'spool.db'), join(app.dir, 'spool-from-newer.db'));
    await expect.poll(async () => (await app.health()).status, { timeout: 40_000, interval: 250 }).toBe(200);
    expect(((await app.health()).body.spool as { attempts: number }).attempts).toBeGreaterThan(attempts);
    expect(await accountingStart(app, 'after-recovery')).toMatch(/Received Accounting-Response/);
    expect(await app.appliance.context.spool.countLiveSessions('free-user')).toBe(1);
  });

  it('simultaneousUseFailOpen false: Simultaneous-Use logins rejected while down, others accepted', async () => {
    const app = await start({
      prepare: plantNewerSpool,
      configure: (config) => ({ ...config, sessions: { ...config.sessions, simultaneousUseFailOpen: false } }),
    });
    expect(await pap(app, 'single-user', 'single-pw')).toMatch(/Received Access-Reject/);
    expect(await pap(app, 'free-user', 'free-pw')).toMatch(/Received Access-Accept/);
  });

  it('full disk: authenticates, reports disk_full, keeps the file, and recovers once there is room', async () => {
    const app = await start({ prepare: (dir) => symlinkSync('/dev/full', join(dir, 'spool.db')) });
    expect(await pap(app, 'free-user', 'free-pw')).toMatch(/Received Access-Accept/);
    expect(await accountingStart(app, 'disk-full')).toMatch(/No reply/);
    const health = await app.health();
    expect(health.status).toBe(503);
    expect(health.body.spool).toMatchObject({ healthy: false, state: 'down', reason: 'disk_full' });
    expect(lstatSync(join(app.dir, 'spool.db')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(app.dir, 'spool.db-wal'))).toBe(false);

    rmSync(join(app.dir, 'spool.db'));
    await expect.poll(async () => (await app.health()).status, { timeout: 40_000, interval: 250 }).toBe(200);
    expect(await accountingStart(app, 'room-again')).toMatch(/Received Accounting-Response/);
  });
});

/** A spool of 2,000 records, closed: everything is in spool.db itself (the WAL is folded in). */
async function plantSpoolWithRecords(dir: string): Promise<void> {
  const spool = await openSpool({
    path: join(dir, 'spool.db'),
    log: createSilentLogger(),
    maxBatch: 1_000,
    maxDelayMs: 0,
    staleFactor: 2.5,
    defaultInterimInterval: 300,
  });
  // Received now: retention must not prune them at start.
  const receivedAt = Date.now();
  for (let loop = 0; loop < 20; loop++) {
    await spool.append(Array.from({ length: 100 }, (_, step) => ({ ...loadRecord(loop, step), receivedAt })));
  }
  await spool.close();
}

const movedAsideFiles = (dir: string) =>
  readdirSync(dir).filter((name) => /^spool\.corrupt-\d{8}T\d{6}Z\.db$/.test(name));

describe('spool.db failing while the appliance runs', () => {
  it('corrupt pages: that request is not acknowledged, the file is moved aside, a fresh spool takes over', async () => {
    const app = await start({ prepare: plantSpoolWithRecords });
    const path = join(app.dir, 'spool.db');
    // Every page but the first (header and schema, already read) overwritten, as a failing
    // disk or a stray write would: the next commit reads the tables' pages from the file.
    const garbage = Buffer.alloc(statSync(path).size - 4_096, 'not a database page ');
    const fd = openSync(path, 'r+');
    writeSync(fd, garbage, 0, garbage.length, 4_096);
    closeSync(fd);

    // The commit fails as SQLITE_CORRUPT: not acknowledged (radclient sends once).
    expect(await accountingStart(app, 'on-corrupt')).toMatch(/No reply/);
    expect(await pap(app, 'free-user', 'free-pw')).toMatch(/Received Access-Accept/);
    await expect.poll(() => movedAsideFiles(app.dir), { timeout: 40_000, interval: 100 }).toHaveLength(1);
    const movedAside = join(app.dir, movedAsideFiles(app.dir)[0] ?? '');
    // Moved, not deleted: the acknowledged records in it are the operator's to recover.
    expect(readFileSync(movedAside).subarray(0, 16).toString()).toBe('SQLite format 3\u0000');
    await expect.poll(async () => (await app.health()).status, { timeout: 40_000, interval: 100 }).toBe(200);
    expect((await app.health()).body.spool).toMatchObject({ healthy: true, state: 'open', movedAside });

    // The fresh spool answers, and holds only what was acknowledged since it opened.
    expect(await accountingStart(app, 'after-corrupt')).toMatch(/Received Accounting-Response/);
    expect(await app.appliance.context.spool.countLiveSessions('free-user')).toBe(1);
    const outbox = await app.appliance.context.spool.readOutbox(0, 10);
    expect(outbox.map((entry) => entry.sessionId)).toEqual(['after-corrupt']);
  });

  it('replaced by a newer schema: not acknowledged, 503 with the reason, recovers once it is gone', async () => {
    const app = await start({});
    expect(await accountingStart(app, 'before')).toMatch(/Received Accounting-Response/);
    const newer = join(app.dir, 'newer');
    mkdirSync(newer);
    await plantNewerSpool(newer);
    renameSync(join(newer, 'spool.db'), join(app.dir, 'spool.db'));

    // The commit lands in the file the spool had open, which the path no longer names:
    // the WAL sync thread declares nothing durable, so nothing is acknowledged.
    expect(await accountingStart(app, 'after-replace')).toMatch(/No reply/);
    expect(await pap(app, 'free-user', 'free-pw')).toMatch(/Received Access-Accept/);
    await expect
      .poll(async () => (await app.health()).body.spool, { timeout: 40_000, interval: 100 })
      .toMatchObject({ healthy: false, state: 'down', reason: 'newer_schema' });
    const health = await app.health();
    expect(health.status).toBe(503);
    expect(health.body.down).toEqual(['spool']);
    expect(await accountingStart(app, 'while-down')).toMatch(/No reply/);
    // The other appliance's file is left as it is.
    expect(movedAsideFiles(app.dir)).toEqual([]);

    rmSync(join(app.dir, 'spool.db'));
    await expect.poll(async () => (await app.health()).status, { timeout: 40_000, interval: 250 }).toBe(200);
    expect(await accountingStart(app, 'fresh')).toMatch(/Received Accounting-Response/);
    expect((await app.appliance.context.spool.readOutbox(0, 10)).map((entry) => entry.sessionId)).toEqual(['fresh']);
  });

  it('deleted under it: not acknowledged, then a fresh spool at the path', async () => {
    const app = await start({});
    expect(await accountingStart(app, 'before')).toMatch(/Received Accounting-Response/);
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(app.dir, `spool.db${suffix}`), { force: true });

    expect(await accountingStart(app, 'after-delete')).toMatch(/No reply/);
    await expect.poll(async () => (await app.health()).status, { timeout: 40_000, interval: 250 }).toBe(200);
    expect(existsSync(join(app.dir, 'spool.db'))).toBe(true);
    expect(await accountingStart(app, 'fresh')).toMatch(/Received Accounting-Response/);
    expect((await app.appliance.context.spool.readOutbox(0, 10)).map((entry) => entry.sessionId)).toEqual(['fresh']);
  });
});
