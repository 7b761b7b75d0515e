// Schema v5's second half (schema.ts): the keys of the newest records and the NAS
// epochs derived again, now per NAS of a client (record.ts, recordKey), so a
// retransmit of a record stored before the upgrade is still recognized. Only the last
// REKEYED records: a NAS retransmits only what was not acknowledged, within its retry
// window, and a full pass cost ~25 s per million records here. The tail is walked in
// seq order as the spool would have committed it: each Accounting-On/Off sets its NAS's
// epoch, each Start takes its NAS's epoch as of then (0 before the tail's first On/Off
// of that NAS, for the keys and for nas_epochs alike: an epoch only has to tell a NAS's
// Starts before and after a reboot apart, the same way in stored keys and new ones).
// Older records keep their old-format keys in record_keys (they match nothing new and
// are pruned with their records). A record keeps the key its chunk holds (the one the
// edge gets); only record_keys, which duplicate detection reads, changes.
import type { Transaction } from '@libsql/client';
import { decodeChunk } from './record-chunk.ts';
import { recordKey } from './record.ts';

// As many as the in-memory duplicate window holds by default (spool.ts, recentKeys).
const REKEYED = 250_000;
const CHUNKS_PER_PAGE = 256;
// Rows per INSERT (3 values each).
const KEYS_PER_INSERT = 500;

export async function rekeyPerNas(tx: Transaction): Promise<void> {
  const newest = await tx.execute('SELECT coalesce(max(first_seq + count - 1), 0) AS n FROM record_chunks');
  const after = Math.max(0, Number(newest.rows[0]?.n ?? 0) - REKEYED);
  await tx.execute({ sql: 'DELETE FROM record_keys WHERE seq > ?', args: [after] });
  const epochs = new Map<string, [nasId: string, nasIp: string, epoch: number]>();
  // The chunk holding after + 1 and the ones after it.
  let from = Number(
    (await tx.execute({ sql: 'SELECT max(first_seq) AS n FROM record_chunks WHERE first_seq <= ?', args: [after + 1] }))
      .rows[0]?.n ?? 0,
  );
  for (;;) {
    const page = await tx.execute({
      sql: 'SELECT first_seq, body FROM record_chunks WHERE first_seq >= ? ORDER BY first_seq LIMIT ?',
      args: [from, CHUNKS_PER_PAGE],
    });
    const keys: Array<[number, string, number]> = [];
    for (const row of page.rows) {
      for (const entry of decodeChunk(Number(row.first_seq), String(row.body))) {
        if (entry.seq <= after) continue;
        const nas = `${entry.nasId}\u0000${entry.nasIp}`;
        keys.push([entry.eventAt, recordKey(entry, epochs.get(nas)?.[2] ?? 0), entry.seq]);
        if (entry.kind === 'on' || entry.kind === 'off') epochs.set(nas, [entry.nasId, entry.nasIp, entry.seq]);
      }
      from = Number(row.first_seq) + 1;
    }
    for (let start = 0; start < keys.length; start += KEYS_PER_INSERT) {
      const rows = keys.slice(start, start + KEYS_PER_INSERT);
      await tx.execute({
        sql: `INSERT INTO record_keys (event_at, key, seq) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`,
        args: rows.flat(),
      });
    }
    if (page.rows.length < CHUNKS_PER_PAGE) break;
  }
  for (const [nasId, nasIp, epoch] of epochs.values()) {
    await tx.execute({
      sql: 'INSERT INTO nas_epochs (nas_id, nas_ip, epoch) VALUES (?, ?, ?)',
      args: [nasId, nasIp, epoch],
    });
  }
}
