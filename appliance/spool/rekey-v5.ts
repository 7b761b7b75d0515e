// Schema v5's second half (schema.ts): every record key and the NAS epochs derived
// again, now per NAS of a client (record.ts, recordKey), so a retransmit of any record
// stored before the upgrade is still recognized. All of them, not just the newest: a
// NAS retransmits whatever it was never answered for, however old (a BNG's accounting
// queue across a long outage), and duplicate detection reaches the whole log on disk
// (record_keys by event time, duplicate-window.ts); an old key left in the old format
// matched nothing, so such a retransmit was stored twice (test/appliance/spool/
// fleet.test.ts). The cost is one pass over the log, once (bench/spool/rekey-v5.ts).
// The log is walked in seq order as the spool committed it: each Accounting-On/Off
// sets its NAS's epoch, each Start takes its NAS's epoch as of then (0 before the
// log's first On/Off of that NAS, for the keys and for nas_epochs alike: an epoch only
// has to tell a NAS's Starts before and after a reboot apart, the same way in stored
// keys and new ones). A record keeps the key its chunk holds (the one the edge gets);
// only record_keys, which duplicate detection reads, changes.
import type { Transaction } from '@libsql/client';
import { decodeChunk } from './record-chunk.ts';
import { recordKey } from './record.ts';

const CHUNKS_PER_PAGE = 256;
// Rows per INSERT (3 values each).
const KEYS_PER_INSERT = 500;

export async function rekeyPerNas(tx: Transaction): Promise<void> {
  await tx.execute('DELETE FROM record_keys');
  const epochs = new Map<string, [nasId: string, nasIp: string, epoch: number]>();
  let from = 0;
  for (;;) {
    const page = await tx.execute({
      sql: 'SELECT first_seq, body FROM record_chunks WHERE first_seq >= ? ORDER BY first_seq LIMIT ?',
      args: [from, CHUNKS_PER_PAGE],
    });
    const keys: Array<[number, string, number]> = [];
    for (const row of page.rows) {
      for (const entry of decodeChunk(Number(row.first_seq), String(row.body))) {
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
