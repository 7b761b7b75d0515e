// Spool retention (issue 12 item 4): until an edge has taken a record, records older
// than the retention are pruned whatever their state; the unshipped backlog (records,
// bytes, oldest age) is kept in stats and shown on /health and /metrics.
import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openSpool } from '../../../appliance/spool/index.ts';
import type { AccountingRecord, Spool } from '../../../appliance/spool/index.ts';
import { metricValue, startTestAppliance } from '../server/helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
let dir: string;
let clock: number;
const spools: Spool[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-retention-'));
  clock = T0;
});

afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<Spool> {
  const spool = await openSpool({
    path: join(dir, 'spool.db'),
    log: createSilentLogger(),
    maxBatch: 1_000,
    maxDelayMs: 0,
    staleFactor: 2.5,
    defaultInterimInterval: 300,
    now: () => clock,
  });
  spools.push(spool);
  return spool;
}

/** Closes and opens again: the sessions are written, so every record may be pruned. */
async function reopen(spool: Spool): Promise<Spool> {
  await spool.close();
  spools.splice(spools.indexOf(spool), 1);
  return open();
}

const record = (fields: Partial<AccountingRecord> & Pick<AccountingRecord, 'status'>): AccountingRecord => ({
  nasId: 'nas-1',
  nasIp: '192.0.2.1',
  receivedAt: clock,
  ...fields,
});

async function scalar(sql: string): Promise<number> {
  const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
  try {
    return Number((await client.execute(sql)).rows[0]?.[0] ?? 0);
  } finally {
    client.close();
  }
}

describe('retention without an edge', () => {
  it('prunes records and closed sessions past retention, unshipped, in slices; keeps the rest and seq', async () => {
    let spool = await open();
    // 100 commits (chunks): more than one pruning slice (64 chunks).
    for (let index = 0; index < 100; index++) {
      await spool.append([record({ status: 'start', sessionId: `old-${index}`, username: `user-${index}` })]);
    }
    const stop = record({
      status: 'stop',
      sessionId: 'old-0',
      username: 'user-0',
      sessionTime: 60,
      receivedAt: T0 + 6e4,
    });
    await spool.append([stop]);
    expect(spool.stats()).toMatchObject({ depth: 101, backlogOldestAt: T0, prunedRecords: 0 });
    expect(spool.stats().backlogBytes).toBe(await scalar('SELECT sum(octet_length(body)) FROM record_chunks'));

    clock = T0 + 48 * HOUR;
    spool = await reopen(spool);
    await spool.append([record({ status: 'start', sessionId: 'new', username: 'fresh' })]);
    expect(await spool.prune(24 * HOUR)).toEqual({ records: 101, sessions: 1 });
    expect(await scalar('SELECT count(*) FROM records')).toBe(1);
    expect(await scalar('SELECT count(*) FROM record_keys')).toBe(1);
    // Open sessions stay, whatever their age; the closed one went. (Only the old ones:
    // whether 'new' is in session_rows yet depends on the 100 ms sessions flush.)
    expect(await scalar("SELECT count(*) FROM session_rows WHERE status = 'open' AND session_id LIKE 'old-%'")).toBe(
      99,
    );
    expect(await scalar("SELECT count(*) FROM session_rows WHERE status = 'closed'")).toBe(0);
    const bytes = await scalar('SELECT sum(octet_length(body)) FROM record_chunks');
    expect(spool.stats()).toMatchObject({ depth: 1, backlogBytes: bytes, backlogOldestAt: clock, prunedRecords: 101 });
    // seq goes on above what was pruned, across a reopen.
    spool = await reopen(spool);
    expect(spool.stats()).toMatchObject({ depth: 1, backlogBytes: bytes, lastSeq: 102 });
    expect((await spool.append([record({ status: 'start', sessionId: 'newer' })]))[0]?.seq).toBe(103);
  });

  it('prunes nothing the sessions table still needs for replay', async () => {
    const spool = await openSpool({
      path: join(dir, 'spool.db'),
      log: createSilentLogger(),
      maxBatch: 1_000,
      maxDelayMs: 0,
      staleFactor: 2.5,
      defaultInterimInterval: 300,
      // No periodic sessions write during the test.
      sessionFlushMs: 3_600_000,
      now: () => clock,
    });
    spools.push(spool);
    await spool.append([record({ status: 'start', sessionId: 'A', username: 'alice' })]);
    clock = T0 + 48 * HOUR;
    expect(await spool.prune(24 * HOUR)).toEqual({ records: 0, sessions: 0 });
    expect(spool.stats()).toMatchObject({ depth: 1, backlogOldestAt: T0 });
  });
});

describe('the backlog once an edge takes records', () => {
  it('counts only what is not shipped, and prunes only shipped records', async () => {
    let spool = await open();
    for (let index = 0; index < 4; index++) {
      clock = T0 + index * HOUR;
      await spool.append([record({ status: 'start', sessionId: `S${index}` })]);
    }
    spool = await reopen(spool);
    await spool.markShipped(2);
    expect(spool.stats()).toMatchObject({ depth: 2, backlogOldestAt: T0 + 2 * HOUR });
    const unshipped = await scalar('SELECT sum(octet_length(body)) FROM record_chunks WHERE first_seq > 2');
    expect(spool.stats().backlogBytes).toBe(unshipped);
    clock = T0 + 100 * HOUR;
    expect((await spool.prune(24 * HOUR)).records).toBe(2);
    expect(spool.stats()).toMatchObject({ depth: 2, backlogOldestAt: T0 + 2 * HOUR });
    await spool.markShipped(4);
    expect(spool.stats()).toMatchObject({ depth: 0, backlogBytes: 0, backlogOldestAt: 0 });
  });
});

describe('the backlog on /health and /metrics', () => {
  it('reports records, bytes and age, and flags a backlog above spool.backlogWarnMegabytes', async () => {
    const configFile = join(dir, 'appliance.json');
    writeFileSync(configFile, JSON.stringify({ spool: { backlogWarnMegabytes: 1 } }));
    const server = await startTestAppliance({ env: { APPLIANCE_CONFIG: configFile } });
    try {
      const spool = server.appliance.context.spool;
      const username = 'x'.repeat(200);
      // ~1.3 MB of records: above the 1 MiB threshold.
      for (let batch = 0; batch < 5; batch++) {
        await spool.append(
          Array.from({ length: 1_000 }, (_, index) =>
            record({ status: 'start', sessionId: `b${batch}-${index}`, username, receivedAt: Date.now() }),
          ),
        );
      }
      const health = await server.health();
      const backlog = health.body.spoolBacklog as Record<string, unknown>;
      expect(backlog).toMatchObject({ records: 5_000, aboveWarning: true });
      expect(backlog.bytes).toBeGreaterThan(1_048_576);
      expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
      const metrics = await server.metrics();
      expect(metricValue(metrics, 'appliance_spool_depth')).toBe(5_000);
      expect(metricValue(metrics, 'appliance_spool_backlog_bytes')).toBe(backlog.bytes);
      expect(metricValue(metrics, 'appliance_spool_pruned_records_total')).toBe(0);
      expect(metrics).toMatch(/^appliance_spool_backlog_oldest_seconds \d+$/m);
    } finally {
      await server.stop();
    }
  });
});
