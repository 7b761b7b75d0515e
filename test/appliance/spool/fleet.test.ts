// Sessions, record keys and Accounting-On/Off epochs per NAS of a client (a client may
// be a whole fleet under one prefix), and the upgrade of a schema-4 spool, where they
// were per client, in place.
import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openSpool, toSpoolEntry } from '../../../appliance/spool/index.ts';
import type { AccountingRecord, Spool } from '../../../appliance/spool/index.ts';
import { SPOOL_SCHEMA_VERSION } from '../../../appliance/spool/schema.ts';
import { sessionCells } from '../../../appliance/spool/session-body.ts';
import { applyToSession } from '../../../appliance/spool/session-state.ts';
import { loadRecord } from './load-records.ts';
import { createV4Spool, fillV4Spool, v4ChunkBody, v4Key } from './v4-spool.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
let dir: string;
const spools: Spool[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-fleet-'));
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
    now: () => T0 + 120_000,
  });
  spools.push(spool);
  return spool;
}

/** A record from router `nasIp` of the fleet client; CoA reaches it at the same address. */
type Fields = Partial<AccountingRecord> & Pick<AccountingRecord, 'status'>;
const fromRouter = (nasIp: string, fields: Fields): AccountingRecord => ({
  nasId: 'fleet',
  nasIp,
  nasAddress: nasIp,
  receivedAt: T0,
  ...fields,
});

async function sql(statement: string): Promise<Array<Record<string, unknown>>> {
  const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
  try {
    return (await client.execute(statement)).rows.map((row) => ({ ...row }));
  } finally {
    client.close();
  }
}

describe('a fleet under one client', () => {
  it("closes only the rebooted router's sessions, and keeps equal session ids of two routers apart", async () => {
    const spool = await open();
    await spool.append([
      fromRouter('10.0.0.2', { status: 'start', sessionId: 'S', username: 'alice' }),
      fromRouter('10.0.0.3', { status: 'start', sessionId: 'S', username: 'alice' }),
    ]);
    expect(spool.stats()).toMatchObject({ appended: 2, duplicates: 0 });
    expect(await spool.countLiveSessions('alice')).toBe(2);
    await spool.append([fromRouter('10.0.0.3', { status: 'on', receivedAt: T0 + 60_000 })]);
    expect((await spool.listLiveSessions('alice')).map((row) => row.nasIp)).toEqual(['10.0.0.2']);
    // The other router's Accounting-On in the same minute is its own, not a duplicate.
    const [on] = await spool.append([fromRouter('10.0.0.2', { status: 'on', receivedAt: T0 + 60_000 })]);
    expect(on?.duplicate).toBe(false);
    expect(await spool.countLiveSessions('alice')).toBe(0);
    await spool.close();
    expect(await sql('SELECT nas_ip, session_id, close_reason FROM sessions ORDER BY nas_ip')).toEqual([
      { nas_ip: '10.0.0.2', session_id: 'S', close_reason: 'nas-on' },
      { nas_ip: '10.0.0.3', session_id: 'S', close_reason: 'nas-on' },
    ]);
  });
});

describe('upgrading a schema-4 spool', () => {
  it('gives sessions and epochs to the NAS their records name, and still recognizes retransmits', async () => {
    // What a schema-4 appliance left: router 10.0.0.3 rebooted (seq 1, the client's
    // epoch), then alice started on 10.0.0.2 and bob on 10.0.0.3; one chunk per commit.
    const v4Records: AccountingRecord[] = [
      fromRouter('10.0.0.3', { status: 'on' }),
      fromRouter('10.0.0.2', { status: 'start', sessionId: 'A', username: 'alice', receivedAt: T0 + 1_000 }),
      fromRouter('10.0.0.3', { status: 'start', sessionId: 'B', username: 'bob', receivedAt: T0 + 2_000 }),
    ];
    const entries = v4Records.map((fields, index) => {
      const entry = toSpoolEntry(fields);
      entry.key = v4Key(entry, entry.kind === 'start' ? 1 : 0);
      return { seq: index + 1, entry };
    });
    await createV4Spool(join(dir, 'spool.db'));
    const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
    for (const { seq, entry } of entries) {
      const body = v4ChunkBody([entry]);
      await client.execute({
        sql: 'INSERT INTO record_chunks (first_seq, count, received_at, body) VALUES (?, 1, ?, ?)',
        args: [seq, entry.receivedAt, body],
      });
      await client.execute({
        sql: 'INSERT INTO record_keys (event_at, key, seq) VALUES (?, ?, ?)',
        args: [entry.eventAt, entry.key, seq],
      });
    }
    for (const { seq, entry } of entries.slice(1)) {
      const row = { ...applyToSession(undefined, entry), seq };
      const [nasId, , sessionId, status, closedAt, body] = sessionCells(row);
      await client.execute({
        sql: 'INSERT INTO session_rows (nas_id, session_id, status, closed_at, body) VALUES (?, ?, ?, ?, ?)',
        args: [nasId ?? null, sessionId ?? null, status ?? null, closedAt ?? null, body ?? null],
      });
    }
    await client.executeMultiple(`
      INSERT INTO nas_epochs (nas_id, epoch) VALUES ('fleet', 1);
      UPDATE spool_meta SET value = 3 WHERE key = 'sessions_seq';`);
    client.close();

    const spool = await open();
    expect((await sql('PRAGMA user_version'))[0]).toEqual({ user_version: SPOOL_SCHEMA_VERSION });
    expect(await sql('SELECT nas_id, nas_ip, epoch FROM nas_epochs')).toEqual([
      { nas_id: 'fleet', nas_ip: '10.0.0.3', epoch: 1 },
    ]);
    const sessionsOf = async (username: string) =>
      (await spool.listLiveSessions(username)).map((row) => [row.sessionId, row.nasIp]);
    expect(await sessionsOf('alice')).toEqual([['A', '10.0.0.2']]);
    expect(await sessionsOf('bob')).toEqual([['B', '10.0.0.3']]);
    // Retransmits of records stored before the upgrade are still duplicates; the log
    // keeps the keys it had (the edge's idempotency keys).
    const again = await spool.append(
      v4Records.map((fields) => ({ ...fields, receivedAt: fields.receivedAt + 3_000, delaySeconds: 3 })),
    );
    expect(again.map((result) => [result.seq, result.duplicate])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect((await spool.readOutbox(0, 10)).map((entry) => entry.key)).toEqual(entries.map(({ entry }) => entry.key));
    // Router 10.0.0.3 reboots again: bob's session ends, alice's on 10.0.0.2 does not.
    await spool.append([fromRouter('10.0.0.3', { status: 'on', receivedAt: T0 + 90_000 })]);
    expect(await spool.countLiveSessions('bob')).toBe(0);
    expect(await spool.countLiveSessions('alice')).toBe(1);
    // A Start with alice's session id on the other router is a session of its own.
    const sameId = fromRouter('10.0.0.3', { status: 'start', sessionId: 'A', username: 'alice', receivedAt: T0 + 9e4 });
    await spool.append([sameId]);
    expect(await spool.countLiveSessions('alice')).toBe(2);
  });
});

describe('upgrading a large schema-4 spool', () => {
  // The v5 upgrade re-derived only the newest 250,000 keys (as many as the in-memory
  // window holds); an older record kept its schema-4 key, so its retransmit was stored
  // again. Duplicate detection reaches the whole log on disk (record_keys, by event
  // time), and a NAS retransmits whatever it was never answered for, however old (a
  // BNG's accounting queue across a long outage): every key is re-derived.
  it('recognizes a retransmit of a record older than the newest 250,000', async () => {
    const count = 250_100;
    const records = Array.from({ length: count }, (_, index) => loadRecord(Math.floor(index / 1_000), index % 1_000));
    await createV4Spool(join(dir, 'spool.db'));
    await fillV4Spool(join(dir, 'spool.db'), records);
    const spool = await open();
    // The oldest Start (seq 1) and Stop (seq 20), sent again 3 s later.
    const again = await spool.append(
      [records[0], records[19]].map((record) => ({
        ...(record as AccountingRecord),
        receivedAt: (record?.receivedAt ?? 0) + 3_000,
        delaySeconds: 3,
      })),
    );
    expect(again.map((result) => [result.seq, result.duplicate])).toEqual([
      [1, true],
      [20, true],
    ]);
    expect(spool.stats().lastSeq).toBe(count);
  }, 120_000);
});
