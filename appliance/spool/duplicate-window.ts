// Duplicate detection for the spool: the keys of the most recent records (recentKeys)
// in a Map, rebuilt from record_keys on open. A key older than that (a NAS
// retransmitting long after) is looked up on disk by its event time (record_keys,
// ± DUPLICATE_WINDOW_MS): a retransmit carries the same event time give or take
// Acct-Delay-Time rounding (RFC 2866 §5.2), so the original is found without a random
// index on the key.
import type { Client } from '@libsql/client';
import type { SpoolEntry } from './record.ts';

// How far apart two receipts of one record may put its event time: Acct-Delay-Time has
// one-second resolution and the network adds jitter. (NASes that buffer accounting
// report delays of many minutes, but consistently per record.) Also the margin for
// deciding whether a record is old enough to need a disk probe: it must stay well
// below the time the in-memory key window covers at full load (~9 s of 250,000 keys
// at 27,000 records/s here), or every record would be probed.
const DUPLICATE_WINDOW_MS = 5_000;

export type DuplicateWindow = {
  /** The original's seq if a record with this key is in the in-memory window. */
  find(key: string): number | undefined;
  /** Only an event from before the horizon, whose original may have left the Map, needs a disk probe. */
  needsDiskProbe(entry: SpoolEntry): boolean;
  /** The original's seq from record_keys (counted in diskProbes). */
  probeDisk(entry: SpoolEntry): Promise<number | undefined>;
  remember(key: string, seq: number, eventAt: number): void;
  readonly diskProbes: number;
};

export async function openDuplicateWindow(client: Client, limit: number): Promise<DuplicateWindow> {
  // Key → seq. The event times live beside the ring, so a record costs no object here.
  const recent = new Map<string, number>();
  // Insertion order of the keys in `recent`, as a ring: the oldest is evicted in O(1).
  // (Taking the first entry of a Map that has seen many deletions walks over the
  // holes they leave, which made eviction cost grow with the spool.)
  const ring: Array<string | undefined> = new Array<string | undefined>(limit);
  const ringEventAt = new Float64Array(limit);
  let ringNext = 0;
  // Event time of the newest key that left the Map (0: none has). Every stored key
  // not in the Map has an event time at or before it.
  let horizon = 0;
  let diskProbes = 0;
  const remember = (key: string, seq: number, eventAt: number) => {
    const evicted = ring[ringNext];
    if (evicted !== undefined) {
      recent.delete(evicted);
      horizon = Math.max(horizon, ringEventAt[ringNext] ?? 0);
    }
    ring[ringNext] = key;
    ringEventAt[ringNext] = eventAt;
    ringNext = (ringNext + 1) % limit;
    recent.set(key, seq);
  };

  // The newest keys by event time, walking the primary key backwards.
  const result = await client.execute({
    sql: 'SELECT key, seq, event_at FROM record_keys ORDER BY event_at DESC, key DESC, seq DESC LIMIT ?',
    args: [limit],
  });
  const rows = result.rows;
  for (let index = rows.length - 1; index >= 0; index--) {
    const row = rows[index];
    if (row !== undefined) remember(String(row.key), Number(row.seq), Number(row.event_at));
  }
  const oldestLoaded = rows[rows.length - 1];
  if (rows.length === limit && oldestLoaded !== undefined) horizon = Number(oldestLoaded.event_at);

  return {
    find: (key) => recent.get(key),
    needsDiskProbe: (entry) => horizon !== 0 && entry.eventAt <= horizon + DUPLICATE_WINDOW_MS,
    async probeDisk(entry) {
      diskProbes++;
      const found = await client.execute({
        sql: 'SELECT seq FROM record_keys WHERE event_at BETWEEN ? AND ? AND key = ? LIMIT 1',
        args: [entry.eventAt - DUPLICATE_WINDOW_MS, entry.eventAt + DUPLICATE_WINDOW_MS, entry.key],
      });
      const row = found.rows[0];
      return row === undefined ? undefined : Number(row.seq);
    },
    remember,
    get diskProbes() {
      return diskProbes;
    },
  };
}
