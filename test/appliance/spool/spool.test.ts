import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import {
  openSpool,
  recordKey,
  SpoolOverloadedError,
  SpoolRecordError,
  toSpoolEntry,
} from '../../../appliance/spool/index.ts';
import { SPOOL_MIGRATIONS, SPOOL_SCHEMA_VERSION } from '../../../appliance/spool/schema.ts';
import type { AccountingRecord, Spool, SpoolOptions } from '../../../appliance/spool/index.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

let dir: string;
let clock: number;
const spools: Spool[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
  clock = T0;
});

afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(overrides: Partial<SpoolOptions> = {}): Promise<Spool> {
  const spool = await openSpool({
    path: join(dir, 'spool.db'),
    log: createSilentLogger(),
    maxBatch: 1_000,
    maxDelayMs: 0,
    staleFactor: 2.5,
    defaultInterimInterval: 300,
    now: () => clock,
    ...overrides,
  });
  spools.push(spool);
  return spool;
}

async function reopen(spool: Spool, overrides: Partial<SpoolOptions> = {}): Promise<Spool> {
  await spool.close();
  spools.splice(spools.indexOf(spool), 1);
  return open(overrides);
}

const record = (fields: Partial<AccountingRecord> & Pick<AccountingRecord, 'status'>): AccountingRecord => ({
  nasId: 'nas-1',
  nasIp: '192.0.2.1',
  nasAddress: '192.0.2.1',
  receivedAt: clock,
  ...fields,
});

async function countRows(sql: string, args: Array<string | number> = []): Promise<number> {
  const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
  try {
    return Number((await client.execute({ sql, args })).rows[0]?.[0] ?? 0);
  } finally {
    client.close();
  }
}

describe('group commit', () => {
  it('commits many concurrent appends in few transactions, all durable', async () => {
    const spool = await open();
    const appends = Array.from({ length: 3_000 }, (_, index) =>
      spool.append([record({ status: 'start', sessionId: `S${index}`, username: `user${index % 500}` })]),
    );
    const results = (await Promise.all(appends)).flat();
    expect(results.every((result) => !result.duplicate)).toBe(true);
    expect(new Set(results.map((result) => result.seq)).size).toBe(3_000);
    const stats = spool.stats();
    expect(stats.commits).toBeLessThanOrEqual(4);
    expect(stats.maxBatchSize).toBe(1_000);
    expect(stats.appended).toBe(3_000);
    await reopen(spool);
    expect(await countRows('SELECT count(*) FROM records')).toBe(3_000);
    expect(await countRows("SELECT count(*) FROM sessions WHERE status = 'open'")).toBe(3_000);
  });

  it('runs on a WAL file; the connection outside the record writer keeps synchronous=FULL', async () => {
    const spool = await open();
    expect(await spool.describeStorage()).toMatchObject({ journalMode: 'wal', synchronous: 2 });
  });

  it('acknowledges records only after a WAL sync, one sync serving every commit before it', async () => {
    const spool = await open({ maxBatch: 100 });
    const [first] = await spool.append([record({ status: 'start', sessionId: 'alone' })]);
    expect(first?.duplicate).toBe(false);
    expect(spool.stats()).toMatchObject({ commits: 1, walSyncs: 1 });
    // Ten batches: the owner commits the next while the WAL syncs, so a sync covers several commits.
    let resolved = 0;
    const appends = Array.from({ length: 1_000 }, (_, index) =>
      spool.append([record({ status: 'start', sessionId: `S${index}` })]).then((results) => {
        resolved++;
        return results;
      }),
    );
    const before = spool.stats().walSyncs;
    await Promise.all(appends);
    expect(resolved).toBe(1_000);
    const stats = spool.stats();
    expect(stats.commits).toBe(11);
    expect(stats.walSyncs - before).toBeGreaterThanOrEqual(1);
    expect(stats.walSyncs - before).toBeLessThanOrEqual(10);
    // A retransmit of a record still waiting for its sync waits for that sync too.
    const [again] = await spool.append([record({ status: 'start', sessionId: 'S999' })]);
    expect(again?.duplicate).toBe(true);
  });

  it('waits maxDelayMs for company when idle', async () => {
    // The second append comes 5 ms later, in another turn of the event loop: well within
    // the wait even on a loaded machine (20 ms was not).
    const spool = await open({ maxDelayMs: 1_000 });
    const first = spool.append([record({ status: 'start', sessionId: 'A' })]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = spool.append([record({ status: 'start', sessionId: 'B' })]);
    await Promise.all([first, second]);
    expect(spool.stats().commits).toBe(1);
  });

  it('refuses appends beyond maxQueued instead of growing without bound', async () => {
    const spool = await open({ maxQueued: 10 });
    const accepted = spool.append(
      Array.from({ length: 10 }, (_, index) => record({ status: 'start', sessionId: `S${index}` })),
    );
    await expect(spool.append([record({ status: 'start', sessionId: 'one-too-many' })])).rejects.toBeInstanceOf(
      SpoolOverloadedError,
    );
    await accepted;
  });

  it('rejects invalid records before queueing them', async () => {
    const spool = await open();
    await expect(spool.append([record({ status: 'interim' })])).rejects.toBeInstanceOf(SpoolRecordError);
    await expect(spool.append([record({ status: 'start', sessionId: 'S', inputOctets: -1 })])).rejects.toThrow(
      /inputOctets/,
    );
    await expect(spool.append([record({ status: 'start', sessionId: 'S', inputOctets: 2 ** 32 })])).rejects.toThrow(
      /inputOctets/,
    );
    expect(spool.stats().lastSeq).toBe(0);
  });
});

describe('idempotency', () => {
  const interim = (delaySeconds = 0) =>
    record({
      status: 'interim',
      sessionId: 'S1',
      username: 'alice',
      sessionTime: 600,
      inputOctets: 1234,
      outputOctets: 5678,
      receivedAt: T0 + delaySeconds * 1000,
      delaySeconds,
    });

  it('stores a retransmit once, even with a new Acct-Delay-Time and in the same batch', async () => {
    const spool = await open();
    const [first] = await spool.append([interim()]);
    const [again] = await spool.append([interim(7)]);
    expect(again).toEqual({ seq: first?.seq, key: first?.key, duplicate: true });
    const [a, b] = await Promise.all([
      spool.append([record({ status: 'stop', sessionId: 'S2', sessionTime: 10 })]),
      spool.append([record({ status: 'stop', sessionId: 'S2', sessionTime: 10 })]),
    ]);
    expect(a?.[0]?.duplicate).toBe(false);
    expect(b?.[0]).toEqual({ seq: a?.[0]?.seq, key: a?.[0]?.key, duplicate: true });
    expect(await countRows('SELECT count(*) FROM records')).toBe(2);
    expect(spool.stats()).toMatchObject({ appended: 2, duplicates: 2 });
  });

  it('still knows the keys after a reopen', async () => {
    let spool = await open();
    await spool.append([interim()]);
    spool = await reopen(spool);
    expect((await spool.append([interim(3)]))[0]?.duplicate).toBe(true);
    expect(await countRows('SELECT count(*) FROM records')).toBe(1);
  });

  it('finds the original of a late retransmit on disk once it left the in-memory window', async () => {
    const spool = await open({ recentKeys: 10 });
    await spool.append([interim()]);
    clock = T0 + 600_000;
    await spool.append(
      Array.from({ length: 50 }, (_, index) => record({ status: 'start', sessionId: `later-${index}` })),
    );
    // Ten minutes later the NAS is still retrying, with Acct-Delay-Time saying so.
    const [late] = await spool.append([interim(600)]);
    expect(late?.duplicate).toBe(true);
    expect(spool.stats().diskDuplicateProbes).toBeGreaterThan(0);
    expect(await countRows("SELECT count(*) FROM records WHERE kind = 'interim'")).toBe(1);
  });

  it('distinguishes a new Interim-Update of the same session', async () => {
    const spool = await open();
    await spool.append([interim()]);
    const [next] = await spool.append([
      record({ status: 'interim', sessionId: 'S1', sessionTime: 900, inputOctets: 9999, outputOctets: 9999 }),
    ]);
    expect(next?.duplicate).toBe(false);
  });
});

describe('sessions', () => {
  it('combines gigawords into 64-bit octet counts', async () => {
    const spool = await open();
    await spool.append([
      record({ status: 'start', sessionId: 'G', username: 'heavy' }),
      record({
        status: 'interim',
        sessionId: 'G',
        receivedAt: T0 + 300_000,
        sessionTime: 300,
        inputOctets: 5,
        inputGigawords: 2,
        outputOctets: 4_294_967_295,
        outputGigawords: 1_000,
      }),
    ]);
    const outbox = await spool.readOutbox(1, 10);
    expect(outbox[0]).toMatchObject({ inputOctets: 2 * 2 ** 32 + 5, outputOctets: 1_000 * 2 ** 32 + 4_294_967_295 });
    const [session] = await spool.listLiveSessions('heavy');
    expect(session).toMatchObject({ inputOctets: 8_589_934_597, outputOctets: 4_299_262_263_295 });
    await reopen(spool);
    expect(await countRows('SELECT output_octets FROM sessions')).toBe(4_299_262_263_295);
  });

  it('closes every open session of a NAS on Accounting-On, and only of that NAS', async () => {
    const spool = await open();
    await spool.append([
      record({ status: 'start', sessionId: 'A', username: 'alice' }),
      record({ status: 'start', sessionId: 'B', username: 'bob' }),
      record({ status: 'start', sessionId: 'C', username: 'carol', nasId: 'nas-2' }),
    ]);
    clock += 60_000;
    await spool.append([record({ status: 'on', eventTimestamp: Math.floor(clock / 1000) })]);
    clock += 1_000;
    await spool.append([record({ status: 'start', sessionId: 'A', username: 'alice' })]);
    expect(await spool.countLiveSessions('alice')).toBe(1);
    expect(await spool.countLiveSessions('bob')).toBe(0);
    expect(await spool.countLiveSessions('carol')).toBe(1);
    const stats = spool.stats();
    expect(stats.openSessions).toBe(2);
    await reopen(spool);
    expect(await countRows("SELECT count(*) FROM sessions WHERE close_reason = 'nas-on'")).toBe(1);
    expect(await countRows("SELECT count(*) FROM sessions WHERE status = 'open'")).toBe(2);
  });

  it('closes the sessions of a NAS that sends Accounting-Off', async () => {
    const spool = await open();
    await spool.append([record({ status: 'start', sessionId: 'A', username: 'alice' })]);
    clock += 1_000;
    await spool.append([record({ status: 'off' })]);
    expect(await spool.countLiveSessions('alice')).toBe(0);
  });

  it('counts live sessions for Simultaneous-Use, ignoring stale ones before the sweep runs', async () => {
    const spool = await open();
    await spool.append([
      record({ status: 'start', sessionId: 'fresh', username: 'alice', interimInterval: 60 }),
      record({ status: 'start', sessionId: 'quiet', username: 'alice', interimInterval: 60 }),
    ]);
    expect(await spool.countLiveSessions('alice')).toBe(2);
    clock += 100_000;
    await spool.append([
      record({ status: 'interim', sessionId: 'fresh', username: 'alice', sessionTime: 100, interimInterval: 60 }),
    ]);
    clock += 60_000;
    // quiet: 160 s without news > 2.5 × 60 s; fresh: 60 s.
    expect(await spool.countLiveSessions('alice')).toBe(1);
    expect(spool.stats().openSessions).toBe(2);
  });

  it('sweeps stale sessions, tells the edge, and reopens one that turns out alive', async () => {
    const spool = await open();
    await spool.append([
      record({ status: 'start', sessionId: 'quiet', username: 'alice', interimInterval: 60 }),
      record({ status: 'start', sessionId: 'default', username: 'bob' }),
    ]);
    clock += 151_000;
    expect(await spool.sweepStaleSessions()).toBe(1);
    expect(await spool.countLiveSessions('alice')).toBe(0);
    expect(await spool.countLiveSessions('bob')).toBe(1);
    const outbox = await spool.readOutbox(0, 10);
    expect(outbox.map((entry) => entry.kind)).toEqual(['start', 'start', 'close']);
    expect(outbox[2]).toMatchObject({ sessionId: 'quiet', terminateCause: 'stale' });
    expect(await spool.sweepStaleSessions()).toBe(0);

    clock += 10_000;
    await spool.append([
      record({ status: 'interim', sessionId: 'quiet', username: 'alice', sessionTime: 161, interimInterval: 60 }),
    ]);
    expect(await spool.countLiveSessions('alice')).toBe(1);

    clock = T0 + 2.5 * 300_000 + 1;
    expect(await spool.sweepStaleSessions()).toBe(2);
    expect(await spool.countLiveSessions('bob')).toBe(0);
    expect(await spool.countLiveSessions('alice')).toBe(0);
  });

  it('closes a session on Disconnect-ACK', async () => {
    const spool = await open();
    await spool.append([record({ status: 'start', sessionId: 'A', username: 'alice' })]);
    expect(await spool.closeSession('nas-1', 'A', '192.0.2.1')).toBe(true);
    expect(await spool.closeSession('nas-1', 'A', '192.0.2.1')).toBe(false);
    expect(await spool.countLiveSessions('alice')).toBe(0);
    const outbox = await spool.readOutbox(0, 10);
    expect(outbox[1]).toMatchObject({ kind: 'close', terminateCause: 'disconnect' });
  });

  it('rebuilds sessions from the log when the last run died before writing them', async () => {
    const crashed = await openSpool({
      path: join(dir, 'spool.db'),
      log: createSilentLogger(),
      maxBatch: 1_000,
      maxDelayMs: 0,
      staleFactor: 2.5,
      defaultInterimInterval: 300,
      sessionFlushMs: 3_600_000,
      now: () => clock,
    });
    await crashed.append([record({ status: 'start', sessionId: 'A', username: 'alice' })]);
    await crashed.append([
      record({ status: 'start', sessionId: 'B', username: 'bob' }),
      record({ status: 'stop', sessionId: 'A', username: 'alice', sessionTime: 5, inputOctets: 42 }),
    ]);
    // No close(): the sessions table still has nothing, the records are committed.
    expect(await countRows('SELECT count(*) FROM sessions')).toBe(0);

    const recovered = await open();
    expect(await recovered.countLiveSessions('bob')).toBe(1);
    expect(await recovered.countLiveSessions('alice')).toBe(0);
    expect(await countRows("SELECT input_octets FROM sessions WHERE session_id = 'A' AND status = 'closed'")).toBe(42);
  });

  it('writes changed sessions a slice at a time, oldest first, until sessions_seq reaches the log', async () => {
    const spool = await open({ sessionFlushMs: 10 });
    // 600 sessions changed by one commit: more than one slice (256) of the periodic write.
    await spool.append(
      Array.from({ length: 600 }, (_, index) =>
        record({ status: 'start', sessionId: `S${index}`, username: `user${index}` }),
      ),
    );
    // A bound only (the flush timer runs every 10 ms): a machine too slow fails below.
    const deadline = Date.now() + 30_000;
    while (
      (await countRows("SELECT value FROM spool_meta WHERE key = 'sessions_seq'")) < 600 &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await countRows("SELECT value FROM spool_meta WHERE key = 'sessions_seq'")).toBe(600);
    expect(await countRows("SELECT count(*) FROM sessions WHERE status = 'open'")).toBe(600);
    // Each row knows the last record folded into it (S0 is seq 1).
    expect(
      await countRows(
        'SELECT count(*) FROM session_rows WHERE body ->> 15 = CAST(substr(session_id, 2) AS INTEGER) + 1',
      ),
    ).toBe(600);
  });

  it('does not fold a replayed record into a session row that already has it', async () => {
    let spool = await open();
    await spool.append([record({ status: 'start', sessionId: 'A', username: 'alice' })]);
    await spool.append([record({ status: 'interim', sessionId: 'A', username: 'alice', inputOctets: 100 })]);
    await spool.close();
    spools.splice(spools.indexOf(spool), 1);
    // As a crash between two slices of the sessions write leaves it: the row was
    // written with seq 2, sessions_seq still points before it (the row's counters are
    // set apart from the records so a second fold would show).
    const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
    await client.executeMultiple(`
      UPDATE session_rows SET body = json_replace(body, '$[6]', 5) WHERE session_id = 'A';
      UPDATE spool_meta SET value = 0 WHERE key = 'sessions_seq';`);
    client.close();
    spool = await open();
    expect((await spool.listLiveSessions('alice'))[0]).toMatchObject({ inputOctets: 5, seq: 2 });
    // A record after the row's seq is folded as usual.
    await spool.append([record({ status: 'interim', sessionId: 'A', username: 'alice', inputOctets: 200 })]);
    expect((await spool.listLiveSessions('alice'))[0]).toMatchObject({ inputOctets: 200, seq: 3 });
  });
});

describe('the NAS address of a session', () => {
  it('keeps the address of the latest record, across a reopen', async () => {
    let spool = await open();
    await spool.append([record({ status: 'start', sessionId: 'A', username: 'alice', nasAddress: '10.0.0.7' })]);
    expect((await spool.listLiveSessions('alice'))[0]?.nasAddress).toBe('10.0.0.7');
    clock += 60_000;
    // A close record (the appliance's own) has no address and must not erase it.
    await spool.append([record({ status: 'start', sessionId: 'B', username: 'alice', nasAddress: '10.0.0.7' })]);
    expect(await spool.closeSession('nas-1', 'B', '10.0.0.7')).toBe(true);
    await spool.append([
      record({ status: 'interim', sessionId: 'A', username: 'alice', sessionTime: 60, nasAddress: '10.0.0.9' }),
    ]);
    spool = await reopen(spool);
    expect((await spool.listLiveSessions('alice')).map((row) => row.nasAddress)).toEqual(['10.0.0.9']);
    expect(await countRows("SELECT count(*) FROM sessions WHERE session_id = 'B' AND nas_address = '10.0.0.7'")).toBe(
      1,
    );
  });

  it(
    'upgrades a schema-1 spool in place: sessions get the address of their latest record, records move into chunks, ' +
      'sessions into session_rows',
    async () => {
      // What a schema-1 appliance left behind: one row per record (body: JSON of the
      // fields without a column), sessions without nas_address, seq's high mark in
      // sqlite_sequence above the last row (pruned records).
      const v1 = [
        record({ status: 'start', sessionId: 'A', username: 'alice', nasAddress: '10.0.0.7', framedIp: '100.64.0.7' }),
        record({
          status: 'start',
          sessionId: 'B',
          username: 'bob',
          nasAddress: '10.0.0.8',
          attributes: { 'NAS-Port-Id': 'ether8' },
        }),
        record({
          status: 'interim',
          sessionId: 'A',
          username: 'alice',
          sessionTime: 60,
          inputOctets: 7,
          inputGigawords: 1,
          nasAddress: '10.0.0.9',
          receivedAt: T0 + 60_000,
        }),
      ].map((fields, index) => ({ seq: index + 5, entry: toSpoolEntry(fields) }));
      const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
      await client.executeMultiple(`${SPOOL_MIGRATIONS[0]}\nPRAGMA user_version = 1;`);
      for (const { seq, entry } of v1) {
        const {
          kind,
          nasId,
          receivedAt,
          eventAt,
          sessionId,
          nasAddress,
          username,
          subscriberId,
          sessionTime,
          inputOctets,
          outputOctets,
          inputPackets,
          outputPackets,
          terminateCause,
          framedIp,
          callingStationId,
          nasPortId,
          interimInterval,
          eventTimestamp,
          attributes,
        } = entry;
        const body = {
          nasAddress,
          username,
          subscriberId,
          sessionTime,
          inputOctets,
          outputOctets,
          inputPackets,
          outputPackets,
          terminateCause,
          framedIp,
          callingStationId,
          nasPortId,
          interimInterval,
          eventTimestamp,
          attributes,
        };
        await client.execute({
          sql:
            'INSERT INTO records (seq, key, kind, nas_id, received_at, event_at, session_id, body) VALUES (?, ?, ?, ' +
            '?, ?, ?, ?, ?)',
          args: [seq, recordKey(entry, 0), kind, nasId, receivedAt, eventAt, sessionId, JSON.stringify(body)],
        });
      }
      await client.executeMultiple(`
      UPDATE sqlite_sequence SET seq = 9 WHERE name = 'records';
      INSERT INTO sessions (nas_id, session_id, username, status, started_at, updated_at, session_time, input_octets,
      output_octets, input_packets, output_packets)
        VALUES ('nas-1', 'A', 'alice', 'open', ${T0}, ${T0 + 60_000}, 60, ${2 ** 32 + 7}, 0, 0, 0),
               ('nas-1', 'B', 'bob', 'open', ${T0}, ${T0}, 0, 0, 0, 0, 0);
      UPDATE spool_meta SET value = 7 WHERE key = 'sessions_seq';`);
      client.close();

      clock = T0 + 60_000;
      const spool = await open();
      expect(await countRows('PRAGMA user_version')).toBe(SPOOL_SCHEMA_VERSION);
      expect((await spool.listLiveSessions('alice'))[0]?.nasAddress).toBe('10.0.0.9');
      expect((await spool.listLiveSessions('bob'))[0]?.nasAddress).toBe('10.0.0.8');
      // Every field survives the move, through the outbox and through the records view.
      const outbox = await spool.readOutbox(0, 10);
      // Records from before v5 name their NAS by where CoA went.
      expect(outbox).toEqual(
        v1.map(({ seq, entry }) => ({ ...entry, nasIp: entry.nasAddress, key: recordKey(entry, 0), seq })),
      );
      expect(
        await countRows(
          "SELECT count(*) FROM records WHERE kind = 'start' AND seq IN (5, 6) AND nas_address LIKE '10.0.0.%'",
        ),
      ).toBe(2);
      expect(await countRows('SELECT input_octets FROM records WHERE seq = 7')).toBe(2 ** 32 + 7);
      // The keys moved too: a retransmit is still recognized; seq goes on above the old high mark.
      const [again] = await spool.append([
        record({
          status: 'interim',
          sessionId: 'A',
          username: 'alice',
          sessionTime: 60,
          inputOctets: 7,
          inputGigawords: 1,
          nasIp: '10.0.0.9',
          nasAddress: '10.0.0.9',
          receivedAt: T0 + 62_000,
          delaySeconds: 2,
        }),
      ]);
      expect(again).toMatchObject({ seq: 7, duplicate: true });
      const [stop] = await spool.append([
        record({
          status: 'stop',
          sessionId: 'B',
          username: 'bob',
          sessionTime: 70,
          nasIp: '10.0.0.8',
          receivedAt: clock + 10_000,
        }),
      ]);
      expect(stop).toMatchObject({ seq: 10, duplicate: false });
      expect(await spool.countLiveSessions('bob')).toBe(0);
      // The sessions moved into session_rows (v4); the sessions view shows them column by column.
      await spool.close();
      expect(
        await countRows(
          "SELECT input_octets FROM sessions WHERE session_id = 'A' AND status = 'open' AND username = 'alice' AND " +
            "nas_address = '10.0.0.9'",
        ),
      ).toBe(2 ** 32 + 7);
      expect(
        await countRows(
          "SELECT count(*) FROM sessions WHERE session_id = 'B' AND status = 'closed' AND close_reason = 'stop' AND " +
            'session_time = 70',
        ),
      ).toBe(1);
    },
  );
});

describe('outbox', () => {
  it('reads after a cursor, advances it, reports depth and prunes only shipped records', async () => {
    let spool = await open();
    await spool.append(
      Array.from({ length: 10 }, (_, index) =>
        record({ status: 'start', sessionId: `S${index}`, attributes: { 'NAS-Port-Id': `ether${index}` } }),
      ),
    );
    expect(spool.stats().depth).toBe(10);
    const first = await spool.readOutbox(0, 4);
    expect(first.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
    expect(first[0]?.attributes).toEqual({ 'NAS-Port-Id': 'ether0' });
    await spool.markShipped(4);
    expect(spool.stats()).toMatchObject({ depth: 6, shippedSeq: 4 });
    await spool.markShipped(2);
    expect(spool.stats().shippedSeq).toBe(4);
    await spool.markShipped(1_000);
    expect(spool.stats()).toMatchObject({ depth: 0, shippedSeq: 10 });

    spool = await reopen(spool);
    expect(spool.stats()).toMatchObject({ depth: 0, shippedSeq: 10, lastSeq: 10 });
    clock += 3_600_000;
    await spool.append([record({ status: 'start', sessionId: 'new' })]);
    expect(await spool.prune(60_000)).toMatchObject({ records: 10 });
    expect(await countRows('SELECT count(*) FROM records')).toBe(1);
    // seq never goes back, even with the older rows gone.
    spool = await reopen(spool);
    const [next] = await spool.append([record({ status: 'start', sessionId: 'newer' })]);
    expect(next?.seq).toBe(12);
    // Pruning the whole log keeps the high mark.
    await spool.markShipped(12);
    spool = await reopen(spool);
    clock += 3_600_000;
    expect(await spool.prune(60_000)).toMatchObject({ records: 2 });
    expect(await countRows('SELECT count(*) FROM records')).toBe(0);
    expect(await countRows('SELECT count(*) FROM record_keys')).toBe(0);
    spool = await reopen(spool);
    expect((await spool.append([record({ status: 'start', sessionId: 'after' })]))[0]?.seq).toBe(13);
  });

  it('reads the outbox across many commits, from the middle of one', async () => {
    const spool = await open();
    for (let index = 0; index < 100; index++)
      await spool.append([record({ status: 'start', sessionId: `one-${index}` })]);
    await spool.append(
      Array.from({ length: 10 }, (_, index) => record({ status: 'start', sessionId: `ten-${index}` })),
    );
    expect((await spool.readOutbox(50, 30)).map((entry) => entry.seq)).toEqual(
      Array.from({ length: 30 }, (_, index) => 51 + index),
    );
    const tail = await spool.readOutbox(95, 100);
    expect(tail.map((entry) => entry.seq)).toEqual(Array.from({ length: 15 }, (_, index) => 96 + index));
    expect(tail.map((entry) => entry.sessionId).slice(-2)).toEqual(['ten-8', 'ten-9']);
    expect(await spool.readOutbox(107, 2)).toHaveLength(2);
    expect(await spool.readOutbox(110, 10)).toEqual([]);
  });
});
