// Pruning the spool: deletes records the edge has and the sessions table no longer
// needs for replay, and closed sessions, older than a given age.
import type { Client } from '@libsql/client';

export type PruneResult = { records: number; sessions: number };

/**
 * Only whole chunks from the start of the log are deleted: everything before the first
 * chunk that must stay (one holding a record after `throughSeq`, or received at or after
 * `before`). seq_floor keeps `lastSeq` so seq is never reused once every chunk is gone.
 */
export async function pruneLog(
  client: Client,
  bounds: { before: number; throughSeq: number; lastSeq: number },
): Promise<PruneResult> {
  const { before, throughSeq, lastSeq } = bounds;
  const keep = await client.execute({
    sql: `SELECT first_seq FROM record_chunks WHERE first_seq + count - 1 > ? OR received_at >= ?
          ORDER BY first_seq LIMIT 1`,
    args: [throughSeq, before],
  });
  const stop = Number(keep.rows[0]?.first_seq ?? lastSeq + 1);
  const [records, , , sessions] = await client.batch(
    [
      { sql: 'SELECT coalesce(sum(count), 0) AS n FROM record_chunks WHERE first_seq < ?', args: [stop] },
      { sql: 'DELETE FROM record_chunks WHERE first_seq < ?', args: [stop] },
      // The pruned records' keys: all received, so all happened, before `before`.
      { sql: 'DELETE FROM record_keys WHERE event_at < ? AND seq < ?', args: [before, stop] },
      { sql: "DELETE FROM session_rows WHERE status = 'closed' AND closed_at < ?", args: [before] },
      { sql: "UPDATE spool_meta SET value = max(value, ?) WHERE key = 'seq_floor'", args: [lastSeq] },
    ],
    'write',
  );
  return { records: Number(records?.rows[0]?.n ?? 0), sessions: sessions?.rowsAffected ?? 0 };
}
