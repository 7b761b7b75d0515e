// The outbox: the log read in seq order from a cursor (shipped_seq), for the edge sync
// and for replaying sessions on open.
import type { Client } from '@libsql/client';
import { decodeChunk } from './record-chunk.ts';
import type { OutboxEntry } from './record-chunk.ts';

/**
 * Stored records after `afterSeq`, oldest first, at most `limit`: the chunk holding afterSeq + 1 and the ones after it.
 */
export async function readEntries(client: Client, afterSeq: number, limit: number): Promise<OutboxEntry[]> {
  const entries: OutboxEntry[] = [];
  const first = await client.execute({
    sql: 'SELECT max(first_seq) AS n FROM record_chunks WHERE first_seq <= ?',
    args: [afterSeq + 1],
  });
  let from = Number(first.rows[0]?.n ?? 0);
  while (entries.length < limit) {
    const chunks = await client.execute({
      sql: 'SELECT first_seq, body FROM record_chunks WHERE first_seq >= ? ORDER BY first_seq LIMIT 64',
      args: [from],
    });
    for (const row of chunks.rows) {
      for (const entry of decodeChunk(Number(row.first_seq), String(row.body))) {
        if (entry.seq > afterSeq && entries.length < limit) entries.push(entry);
      }
    }
    const last = chunks.rows.at(-1);
    if (chunks.rows.length < 64 || last === undefined) break;
    from = Number(last.first_seq) + 1;
  }
  return entries;
}

/** Moves the cursor to `seq` (never back, never past `lastSeq`); returns where it is. */
export async function markShipped(client: Client, shippedSeq: number, seq: number, lastSeq: number): Promise<number> {
  const next = Math.max(shippedSeq, Math.min(seq, lastSeq));
  if (next === shippedSeq) return shippedSeq;
  await client.batch([{ sql: "UPDATE spool_meta SET value = ? WHERE key = 'shipped_seq'", args: [next] }], 'write');
  return next;
}
