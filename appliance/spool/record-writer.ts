// The spool's hot path: a second connection to spool.db, through the `libsql` driver
// that @libsql/client wraps, whose prepared statements outlive a batch. The client
// prepares every statement it runs, and a multi-row INSERT of a different row count
// each batch is a different statement, so re-preparing cost ~11% of the owner's
// thread under accounting load. Here the statements are prepared once, for fixed row
// counts, and a batch is inserted as chunks of those.
//
// Durability is the spool's: synchronous=FULL, set and verified on this connection
// too, so COMMIT returns only after the WAL is fsynced. Both connections belong to the
// spool owner, which runs one database operation at a time (spool.ts, exclusive), so
// they never wait on each other's locks.
import Database from 'libsql';
import type { Cell } from '../local-db.ts';

/** Rows per prepared INSERT, largest first; 1 must be last (it takes any remainder). */
const CHUNK_ROWS = [64, 8, 1] as const;

export type RecordWriter = {
  /** Inserts the rows and upserts the NAS epochs in one transaction; returns after the COMMIT (fsync). */
  write(records: readonly Cell[][], epochs: ReadonlyArray<readonly [string, number]>): void;
  /** The stored session rows for these (nas_id, session_id) pairs. */
  readSessions(pairs: ReadonlyArray<readonly [string, string]>): Array<Record<string, unknown>>;
  close(): void;
};

export function openRecordWriter(path: string, columns: readonly string[]): RecordWriter {
  const db = new Database(path, { timeout: 5_000 });
  try {
    db.exec('PRAGMA synchronous = FULL');
    // (The driver's pragma(…, { simple: true }) returns an object, not the value.)
    const pragma = (name: string) => (db.prepare(`PRAGMA ${name}`).raw().get() as unknown[] | undefined)?.[0];
    if (pragma('synchronous') !== 2) throw new Error(`${path}: PRAGMA synchronous did not take effect`);
    if (pragma('journal_mode') !== 'wal') throw new Error(`${path}: expected WAL journal mode`);
  } catch (error) {
    db.close();
    throw error;
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  // Explicit seqs: if anything else had written to the table, the primary key would
  // collide and the whole batch would fail rather than misnumber.
  const inserts = CHUNK_ROWS.map((rows) => ({
    rows,
    statement: db.prepare(`INSERT INTO records (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`),
  }));
  const upsertEpoch = db.prepare('INSERT INTO nas_epochs (nas_id, epoch) VALUES (?, ?) ON CONFLICT (nas_id) DO UPDATE SET epoch = excluded.epoch');
  const selectSession = db.prepare('SELECT * FROM sessions WHERE nas_id = ? AND session_id = ?');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

  return {
    write(records, epochs) {
      begin.run();
      try {
        let start = 0;
        for (const { rows, statement } of inserts) {
          for (; start + rows <= records.length; start += rows) statement.run(records.slice(start, start + rows).flat());
        }
        for (const [nasId, epoch] of epochs) upsertEpoch.run([nasId, epoch]);
        commit.run();
      } catch (error) {
        if (db.inTransaction) rollback.run();
        throw error;
      }
    },
    readSessions(pairs) {
      const rows: Array<Record<string, unknown>> = [];
      for (const pair of pairs) {
        const row = selectSession.get([pair[0], pair[1]]) as Record<string, unknown> | undefined;
        if (row !== undefined) rows.push(row);
      }
      return rows;
    },
    close() {
      db.close();
    },
  };
}
