// The spool's hot path: a second connection to spool.db, through the `libsql` driver
// that @libsql/client wraps, whose prepared statements outlive a batch. The client
// prepares every statement it runs, and a multi-row INSERT of a different row count
// each batch is a different statement, so re-preparing cost ~11% of the owner's
// thread under accounting load. Here the statements are prepared once, for fixed row
// counts, and a batch's record keys (or the sessions flush) are written in runs of
// those; the records themselves are one row per batch (record-chunk.ts).
//
// Durability (spool.ts explains it): this connection commits with synchronous=NORMAL,
// so COMMIT writes the WAL without syncing it, and the WAL sync thread (wal-sync.ts)
// fdatasyncs it; the spool acknowledges a record only after an fdatasync begun after
// its COMMIT has returned. Both connections belong to the spool owner, which runs one
// database operation at a time (spool.ts, exclusive), so they never wait on each
// other's locks.
import Database from 'libsql';
import type { Cell } from '../local-db.ts';

/** Rows per prepared INSERT, largest first; 1 must be last (it takes any remainder). */
const CHUNK_ROWS = [64, 8, 1] as const;

/** A commit's records as one row of record_chunks. */
export type Chunk = { firstSeq: number; count: number; receivedAt: number; body: string };

export type RecordWriter = {
  /**
   * Inserts the chunk, its records' keys (event_at, key, seq) and the NAS epochs
   * (nas_id, nas_ip, epoch) in one transaction; returns after the COMMIT (not yet synced: wal-sync.ts).
   */
  write(chunk: Chunk, keys: readonly Cell[][], epochs: ReadonlyArray<readonly [string, string, number]>): void;
  /** Upserts session rows and sets sessions_seq to `throughSeq`, in one transaction. */
  writeSessions(sessions: readonly Cell[][], throughSeq: number): void;
  /** The stored session rows for these (nas_id, nas_ip, session_id) triples. */
  readSessions(keys: ReadonlyArray<readonly [string, string, string]>): Array<Record<string, unknown>>;
  close(): void;
};

type SizedStatements = Array<{ rows: number; statement: ReturnType<Database.Database['prepare']> }>;

function runSized(statements: SizedStatements, rows: readonly Cell[][]): void {
  let start = 0;
  for (const { rows: size, statement } of statements) {
    for (; start + size <= rows.length; start += size) statement.run(rows.slice(start, start + size).flat());
  }
}

export function openRecordWriter(path: string, sessionColumns: readonly string[]): RecordWriter {
  const db = new Database(path, { timeout: 5_000 });
  try {
    db.exec('PRAGMA synchronous = NORMAL');
    // The checkpoint thread (wal-checkpoint.ts) copies the WAL into spool.db; this
    // connection's own checkpoint (inside a COMMIT, on the owner) only ends a WAL
    // generation, at 4,000 pages (16 MB at 4 KiB) instead of SQLite's 1,000.
    db.exec('PRAGMA wal_autocheckpoint = 4000');
    // (The driver's pragma(…, { simple: true }) returns an object, not the value.)
    const pragma = (name: string) => (db.prepare(`PRAGMA ${name}`).raw().get() as unknown[] | undefined)?.[0];
    if (pragma('synchronous') !== 1) throw new Error(`${path}: PRAGMA synchronous did not take effect`);
    if (pragma('journal_mode') !== 'wal') throw new Error(`${path}: expected WAL journal mode`);
    if (pragma('wal_autocheckpoint') !== 4000)
      throw new Error(`${path}: PRAGMA wal_autocheckpoint did not take effect`);
  } catch (error) {
    db.close();
    throw error;
  }
  const sized = (table: string, names: readonly string[], tail: string): SizedStatements => {
    const tuple = `(${names.map(() => '?').join(', ')})`;
    return CHUNK_ROWS.map((rows) => ({
      rows,
      statement: db.prepare(
        (
          `INSERT INTO ${table} (${names.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')} ` +
          `${tail}`
        ).trim(),
      ),
    }));
  };
  // Explicit seqs: if anything else had written to the table, the primary key would
  // collide and the whole batch would fail rather than misnumber.
  const insertChunk = db.prepare('INSERT INTO record_chunks (first_seq, count, received_at, body) VALUES (?, ?, ?, ?)');
  const insertKeys = sized('record_keys', ['event_at', 'key', 'seq'], '');
  const upsertSessions = sized(
    'session_rows',
    sessionColumns,
    `ON CONFLICT (nas_id, nas_ip, session_id) DO UPDATE SET ${sessionColumns
      .filter((column) => column !== 'nas_id' && column !== 'nas_ip' && column !== 'session_id')
      .map((column) => `${column} = excluded.${column}`)
      .join(', ')}`,
  );
  const setSessionsSeq = db.prepare("UPDATE spool_meta SET value = ? WHERE key = 'sessions_seq'");
  const upsertEpoch = db.prepare(
    `INSERT INTO nas_epochs (nas_id, nas_ip, epoch) VALUES (?, ?, ?)
     ON CONFLICT (nas_id, nas_ip) DO UPDATE SET epoch = excluded.epoch`,
  );
  // One statement for all of a batch's keys: a statement per key cost more in the
  // driver's call and row conversion than in SQLite's primary-key lookup.
  const selectSessions = db.prepare(
    `SELECT ${sessionColumns.map((column) => `session.${column}`).join(', ')}
     FROM json_each(?) AS wanted CROSS JOIN session_rows AS session
     ON session.nas_id = wanted.value ->> 0 AND session.nas_ip = wanted.value ->> 1
       AND session.session_id = wanted.value ->> 2`,
  );
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

  const transaction = (work: () => void) => {
    begin.run();
    try {
      work();
      commit.run();
    } catch (error) {
      if (db.inTransaction) rollback.run();
      throw error;
    }
  };

  return {
    write(chunk, keys, epochs) {
      transaction(() => {
        insertChunk.run([chunk.firstSeq, chunk.count, chunk.receivedAt, chunk.body]);
        runSized(insertKeys, keys);
        for (const [nasId, nasIp, epoch] of epochs) upsertEpoch.run([nasId, nasIp, epoch]);
      });
    },
    writeSessions(sessions, throughSeq) {
      transaction(() => {
        runSized(upsertSessions, sessions);
        setSessionsSeq.run([throughSeq]);
      });
    },
    readSessions: (keys) => selectSessions.all([JSON.stringify(keys)]) as Array<Record<string, unknown>>,
    close() {
      db.close();
    },
  };
}
