// A spool.db as a schema-4 appliance left it, for the v5 upgrade's tests and its
// benchmark: chunks without nasIp (21 fields), record keys and Start epochs per
// client, not per NAS within it.
import { createClient } from '@libsql/client';
import { hash } from 'node:crypto';
import { toSpoolEntry } from '../../../appliance/spool/index.ts';
import type { AccountingRecord, SpoolEntry } from '../../../appliance/spool/index.ts';
import { encodeChunk } from '../../../appliance/spool/record-chunk.ts';
import { SPOOL_MIGRATIONS } from '../../../appliance/spool/schema.ts';

/** The record key as schema 4 computed it: the client, not the NAS within it. */
export function v4Key(entry: SpoolEntry, epoch: number): string {
  const parts: Array<string | number | null> = [entry.nasId, entry.kind, entry.sessionId];
  if (entry.kind === 'start') {
    parts.push(epoch, entry.username, entry.callingStationId, entry.framedIp, entry.eventTimestamp);
  }
  if (entry.kind === 'on' || entry.kind === 'off') {
    parts.push(entry.eventTimestamp ?? `m${Math.floor(entry.eventAt / 60_000)}`);
  }
  const text = parts.map((part) => (part === null ? '\u0001' : String(part))).join('\u0000');
  return hash('sha256', text, 'base64url').slice(0, 24);
}

/** Schema-4 chunk body: the fields before nasIp, which v5 added. */
export const v4ChunkBody = (entries: readonly SpoolEntry[]): string =>
  JSON.stringify((JSON.parse(encodeChunk(entries)) as unknown[][]).map((cells) => cells.slice(0, 21)));

/** An empty spool at schema 4. */
export async function createV4Spool(path: string): Promise<void> {
  const client = createClient({ url: `file:${path}` });
  try {
    for (const migration of SPOOL_MIGRATIONS.slice(0, 4)) {
      if (typeof migration !== 'string') throw new Error('migrations 1-4 are SQL');
      await client.executeMultiple(migration);
    }
    await client.execute('PRAGMA user_version = 4');
  } finally {
    client.close();
  }
}

/**
 * Appends `records` to a schema-4 spool as its appliance would have: chunks of
 * `perChunk`, seq from before + 1, keys in record_keys. No Accounting-On/Off among them (epoch 0).
 */
export async function fillV4Spool(
  path: string,
  records: readonly AccountingRecord[],
  perChunk = 1_000,
  /** Records already in the spool (this call's first seq is after them). */
  before = 0,
): Promise<void> {
  const client = createClient({ url: `file:${path}` });
  try {
    const tx = await client.transaction('write');
    for (let first = 0; first < records.length; first += perChunk) {
      const entries = records.slice(first, first + perChunk).map((record) => {
        const entry = toSpoolEntry(record);
        entry.key = v4Key(entry, 0);
        return entry;
      });
      await tx.execute({
        sql: 'INSERT INTO record_chunks (first_seq, count, received_at, body) VALUES (?, ?, ?, ?)',
        args: [before + first + 1, entries.length, entries.at(-1)?.receivedAt ?? 0, v4ChunkBody(entries)],
      });
      for (let start = 0; start < entries.length; start += 500) {
        const rows = entries.slice(start, start + 500);
        await tx.execute({
          sql: `INSERT INTO record_keys (event_at, key, seq) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`,
          args: rows.flatMap((entry, index) => [entry.eventAt, entry.key, before + first + start + index + 1]),
        });
      }
    }
    // Every record folded into sessions already: nothing to replay on open.
    await tx.execute({
      sql: "UPDATE spool_meta SET value = ? WHERE key = 'sessions_seq'",
      args: [before + records.length],
    });
    await tx.commit();
  } finally {
    client.close();
  }
}
