// A request that dies part-way must leave its Idempotency-Key usable: the handler's effects and
// the stored response commit together (issue 13, defect 10). A trigger that refuses to store
// the response stands for a crash at that instant: nothing after it in the request commits.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEdge, unique, type TestEdge } from '../support/edge-app.ts';

const userBody = () => ({
  email: `${unique('crash')}@isp.test`,
  name: 'Crash Test',
  role: 'support',
  password: 'a-good-password-1',
});

// The request hash the middleware keeps: method, path and the raw body.
const hashOf = (path: string, body: object) =>
  createHash('sha256')
    .update(`POST ${path}\n${JSON.stringify(body)}`)
    .digest('hex');

// Fires on any write that stores a response (status set), whether by INSERT or UPDATE.
const refuseStoredResponse = [
  `CREATE TRIGGER crash_on_insert BEFORE INSERT ON idempotency_keys WHEN NEW.status IS NOT NULL
   BEGIN SELECT RAISE(ABORT, 'crashed before the response was stored'); END`,
  `CREATE TRIGGER crash_on_update BEFORE UPDATE ON idempotency_keys WHEN NEW.status IS NOT NULL
   BEGIN SELECT RAISE(ABORT, 'crashed before the response was stored'); END`,
];

const usersWithEmail = async (edge: TestEdge, token: string, email: string) =>
  edge.ok(await edge.call('GET', '/api/v1/users?limit=200', { token }), 200).body.data!.filter((u) => u.email === email)
    .length;

describe('Idempotency-Key across a crash', () => {
  it('a crash before the response is stored commits nothing, and a retry runs once then replays', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const body = userBody();
    const headers = { 'idempotency-key': 'crash-after-effect' };
    for (const trigger of refuseStoredResponse) await edge.tenantSql(tenant.slug, trigger);

    const crashed = await edge.call('POST', '/api/v1/users', { token, body, headers });
    expect(crashed.status).toBe(500);
    // Either both the user and a replayable response committed, or neither: here neither.
    expect(await usersWithEmail(edge, token, body.email)).toBe(0);

    await edge.tenantSql(tenant.slug, 'DROP TRIGGER crash_on_insert');
    await edge.tenantSql(tenant.slug, 'DROP TRIGGER crash_on_update');
    const retried = await edge.call('POST', '/api/v1/users', { token, body, headers });
    expect(retried.status, retried.text).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const replayed = edge.ok(await edge.call('POST', '/api/v1/users', { token, body, headers }), 201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.id).toBe(retried.body.id);
    expect(await usersWithEmail(edge, token, body.email)).toBe(1);
  });

  it('a claim written by a connection that died before committing does not block the key', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const body = userBody();
    // Another process claims the key inside a transaction and is killed before it commits.
    const file = join(edge.dir, 'db', `tenant-${tenant.slug}.db`);
    const script = `
      const db = new (require('libsql'))(process.argv[1], { timeout: 5000 });
      db.exec('BEGIN IMMEDIATE');
      db.prepare("INSERT INTO idempotency_keys (principal, key, method, path, body_hash, created_at, expires_at)"
        + " VALUES (?, 'dead-claim', 'POST', '/api/v1/users', ?, 0, ?)")
        .run(process.argv[2], process.argv[3], ${edge.clock.now + 60_000});
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, [
      '-e',
      script,
      file,
      `user:${tenant.owner.id}`,
      hashOf('/api/v1/users', body),
    ]);
    expect(child.signal, String(child.stderr)).toBe('SIGKILL');

    const res = await edge.call('POST', '/api/v1/users', { token, body, headers: { 'idempotency-key': 'dead-claim' } });
    expect(res.status, res.text).toBe(201);
    expect(await usersWithEmail(edge, token, body.email)).toBe(1);
  });

  it('a committed claim without a response (what a crash left under the earlier scheme) does not block', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const body = userBody();
    await edge.tenantSql(
      tenant.slug,
      `INSERT INTO idempotency_keys (principal, key, method, path, body_hash, created_at, expires_at)
       VALUES (?, 'left-over', 'POST', '/api/v1/users', ?, ?, ?)`,
      [`user:${tenant.owner.id}`, hashOf('/api/v1/users', body), edge.clock.now, edge.clock.now + 60_000],
    );
    const headers = { 'idempotency-key': 'left-over' };
    const res = await edge.call('POST', '/api/v1/users', { token, body, headers });
    expect(res.status, res.text).toBe(201);
    const again = edge.ok(await edge.call('POST', '/api/v1/users', { token, body, headers }), 201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await usersWithEmail(edge, token, body.email)).toBe(1);
  });

  it('a billing run that dies after it started replays the run (not 409), and is not run twice', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const body = { as_of: new Date(edge.clock.now).toISOString() };
    const headers = { 'idempotency-key': 'run-dies' };
    // The run can neither finish nor be marked failed, and the request cannot clean up after
    // itself: what a process killed in the middle of a run leaves behind.
    await edge.tenantSql(
      tenant.slug,
      `CREATE TRIGGER run_dies BEFORE UPDATE ON billing_runs
       BEGIN SELECT RAISE(ABORT, 'process killed'); END`,
    );
    await edge.tenantSql(
      tenant.slug,
      `CREATE TRIGGER no_cleanup BEFORE DELETE ON idempotency_keys
       BEGIN SELECT RAISE(ABORT, 'process killed'); END`,
    );
    const died = await edge.call('POST', '/api/v1/billing-runs', { token, body, headers });
    expect(died.status).toBe(500);
    await edge.tenantSql(tenant.slug, 'DROP TRIGGER run_dies');
    await edge.tenantSql(tenant.slug, 'DROP TRIGGER no_cleanup');

    const retry = await edge.call('POST', '/api/v1/billing-runs', { token, body, headers });
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.status).toBe('running');
    const runs = edge.ok(await edge.call('GET', '/api/v1/billing-runs', { token }), 200).body.data!;
    expect(runs.map((r) => r.id)).toEqual([retry.body.id]);
    expect(retry.headers.get('location')).toBe(`/api/v1/billing-runs/${String(retry.body.id)}`);
  });

  it('two simultaneous billing runs with one key start one run', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const body = { as_of: new Date(edge.clock.now).toISOString() };
    const headers = { 'idempotency-key': 'run-race' };
    const results = await Promise.all(
      [0, 1].map(() => edge.call('POST', '/api/v1/billing-runs', { token, body, headers })),
    );
    const statuses = results.map((r) => `${r.status}${r.headers.get('idempotent-replayed') ? ' replayed' : ''}`);
    expect(statuses.sort()).toEqual(['201', '201 replayed']);
    const runs = edge.ok(await edge.call('GET', '/api/v1/billing-runs', { token }), 200).body.data!;
    expect(runs).toHaveLength(1);
    expect(results.map((r) => r.body.id)).toEqual([runs[0]!.id, runs[0]!.id]);
  });

  it('a collections run sent again with its key replays the same run, as it is now', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const body = { as_of: new Date(edge.clock.now).toISOString() };
    const headers = { 'idempotency-key': 'collect-once' };
    const first = edge.ok(await edge.call('POST', '/api/v1/collections/runs', { token, body, headers }), 201);
    expect(first.headers.get('location')).toBe(`/api/v1/collections/runs/${String(first.body.id)}`);
    const again = edge.ok(await edge.call('POST', '/api/v1/collections/runs', { token, body, headers }), 201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const runs = edge.ok(await edge.call('GET', '/api/v1/collections/runs', { token }), 200).body.data!;
    expect(runs).toHaveLength(1);
  });
});
