// Pruning the spool by age (issue 12 item 4: nothing ships records yet, so without it
// the spool grows without bound). Records go once older than the retention: while no
// edge has taken any (unpaired: shipped_seq is 0) whatever their state, once one has,
// only shipped ones. Never a record the sessions table still needs for replay
// (sessions_seq). A slice at a time, whole chunks from the start of the log, so the
// owner thread commits accounting in between; closed sessions likewise.
import type { Client } from '@libsql/client';

/** Chunks per pruning transaction (a chunk holds one commit's records, up to maxBatch). */
const CHUNKS_PER_SLICE = 64;
/** Closed sessions per pruning transaction. */
const SESSIONS_PER_SLICE = 2_000;

export type PruneResult = { records: number; sessions: number };

export type PrunedSlice = {
  records: number;
  /** Body bytes of the chunks deleted. */
  bytes: number;
  /** First seq still in the log after the slice (lastSeq + 1 when it is empty). */
  logStart: number;
  /** Nothing more is due. */
  done: boolean;
};

/**
 * Deletes up to CHUNKS_PER_SLICE chunks from the start of the log that hold no record
 * after `throughSeq` and were received before `before`, with their keys; seq_floor
 * keeps `lastSeq` so seq is never reused once every chunk is gone.
 */
export async function pruneLogSlice(
  client: Client,
  bounds: { before: number; throughSeq: number; lastSeq: number },
): Promise<PrunedSlice> {
  const { before, throughSeq, lastSeq } = bounds;
  const keep = await client.execute({
    sql: `SELECT first_seq FROM record_chunks WHERE first_seq + count - 1 > ? OR received_at >= ?
          ORDER BY first_seq LIMIT 1`,
    args: [throughSeq, before],
  });
  let stop = Number(keep.rows[0]?.first_seq ?? lastSeq + 1);
  const limit = await client.execute({
    sql: 'SELECT first_seq FROM record_chunks WHERE first_seq < ? ORDER BY first_seq LIMIT 1 OFFSET ?',
    args: [stop, CHUNKS_PER_SLICE],
  });
  const sliced = limit.rows[0] !== undefined;
  if (sliced) stop = Number(limit.rows[0]?.first_seq);
  const [doomed] = await client.batch(
    [
      {
        sql: `SELECT coalesce(sum(count), 0) AS records, coalesce(sum(octet_length(body)), 0) AS bytes,
                     coalesce(max(received_at), 0) AS received FROM record_chunks WHERE first_seq < ?`,
        args: [stop],
      },
    ],
    'read',
  );
  const row = doomed?.rows[0];
  const records = Number(row?.records ?? 0);
  if (records > 0) {
    await client.batch(
      [
        { sql: 'DELETE FROM record_chunks WHERE first_seq < ?', args: [stop] },
        // The pruned records' keys: each happened at or before its receipt.
        { sql: 'DELETE FROM record_keys WHERE event_at <= ? AND seq < ?', args: [Number(row?.received ?? 0), stop] },
        { sql: "UPDATE spool_meta SET value = max(value, ?) WHERE key = 'seq_floor'", args: [lastSeq] },
      ],
      'write',
    );
  }
  const first = await client.execute('SELECT min(first_seq) AS n FROM record_chunks');
  const logStart = first.rows[0]?.n == null ? lastSeq + 1 : Number(first.rows[0].n);
  return { records, bytes: Number(row?.bytes ?? 0), logStart, done: !sliced };
}

/** Deletes up to SESSIONS_PER_SLICE sessions closed before `before`; how many it deleted. */
export async function pruneSessionsSlice(client: Client, before: number): Promise<number> {
  const result = await client.execute({
    sql: `DELETE FROM session_rows WHERE (nas_id, nas_ip, session_id) IN (
            SELECT nas_id, nas_ip, session_id FROM session_rows WHERE status = 'closed' AND closed_at < ? LIMIT ?)`,
    args: [before, SESSIONS_PER_SLICE],
  });
  return result.rowsAffected;
}

/** Body bytes of the chunks whose last record is in (afterSeq, throughSeq]. */
export async function chunkBytes(client: Client, afterSeq: number, throughSeq: number): Promise<number> {
  const result = await client.execute({
    sql: `SELECT coalesce(sum(octet_length(body)), 0) AS n FROM record_chunks
          WHERE first_seq >= (SELECT coalesce(max(first_seq), 0) FROM record_chunks WHERE first_seq <= ?)
            AND first_seq + count - 1 > ? AND first_seq + count - 1 <= ?`,
    args: [afterSeq + 1, afterSeq, throughSeq],
  });
  return Number(result.rows[0]?.n ?? 0);
}

/** Receipt time of the oldest chunk holding a record after `afterSeq`, or 0 when there is none. */
export async function oldestReceivedAfter(client: Client, afterSeq: number): Promise<number> {
  const result = await client.execute({
    sql: `SELECT received_at FROM record_chunks
          WHERE first_seq >= (SELECT coalesce(max(first_seq), 0) FROM record_chunks WHERE first_seq <= ?)
            AND first_seq + count - 1 > ?
          ORDER BY first_seq LIMIT 1`,
    args: [afterSeq + 1, afterSeq],
  });
  return Number(result.rows[0]?.received_at ?? 0);
}
