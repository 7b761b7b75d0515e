// The durable accounting spool: one owner per data dir, group commit, idempotent by
// record key, and a sessions table derived from the records.
//
// Durability. append() resolves only after the records' transaction has committed
// *and* the WAL holding it has been fsynced, so an acknowledged record survives a
// process crash and a power loss. The records are committed by the record writer
// (record-writer.ts) with synchronous=NORMAL, which in WAL mode writes the commit to
// the WAL without syncing it (checkpoints still sync the WAL before copying it into
// the database and the database before the WAL is reused), and then the spool's WAL
// sync thread (wal-sync.ts) calls fdatasync on the WAL itself: the owner thread goes
// on receiving and committing the next batch while the disk syncs, and one sync makes
// every commit before it durable. What the two together guarantee is what
// synchronous=FULL guarantees (a COMMIT that fsyncs the WAL before it returns), minus
// the blocked thread. Recovery after a power loss keeps a prefix of the WAL's commits
// (frames are checksummed cumulatively), so a later write (a sessions flush) never
// survives without the records before it. A failed sync is fatal for this spool
// (onFatal): after one, Linux may have dropped the unsynced pages, so nothing more is
// acknowledged until the spool is reopened from disk. The other connection (outbox
// cursor, pruning, reads) runs with synchronous=FULL, also this libsql build's
// compiled default for WAL connections (SQLITE_DEFAULT_WAL_SYNCHRONOUS=2).
//
// Group commit (group-commit.ts). append() queues; the writer takes what is queued (up
// to maxBatch records) into one transaction. While a commit runs and while the WAL
// syncs, new appends pile up and form the next batch, so batches grow with the load.
//
// The log and what derives from it. The log is append-only (sequential writes): each
// commit adds one row to record_chunks holding its records (record-chunk.ts) and one
// narrow row per record to record_keys. Two things are derived and kept in memory by
// the owner, rebuilt from the log on open: duplicate detection (duplicate-window.ts)
// and the sessions (session-table.ts).
//
// This file assembles the parts: the duplicate window, the sessions, one batch's
// commit (commit-batch.ts), the queue that groups appends into batches
// (group-commit.ts), the WAL syncs (wal-sync.ts), the outbox (outbox.ts) and pruning
// (prune.ts); all database work goes through one chain (exclusive).
import { describeDatabase, openLocalDatabase } from '../local-db.ts';
import type { Logger } from '../log.ts';
import { openBatchCommitter } from './commit-batch.ts';
import type { AppendResult, LogHead } from './commit-batch.ts';
import { openDuplicateWindow } from './duplicate-window.ts';
import { SpoolReplacedError } from './durable-waiter.ts';
import { createGroupCommit } from './group-commit.ts';
import type { CommittedAppend } from './group-commit.ts';
import { markShipped, readEntries } from './outbox.ts';
import { chunkBytes, oldestReceivedAfter, pruneLogSlice, pruneSessionsSlice } from './prune.ts';
import type { PruneResult } from './prune.ts';
import { recordsViewSql } from './record-chunk.ts';
import type { OutboxEntry } from './record-chunk.ts';
import { toSpoolEntry } from './record.ts';
import { openRecordWriter } from './record-writer.ts';
import type { AccountingRecord, SpoolEntry } from './record.ts';
import { migrateSpool } from './schema.ts';
import { SESSION_ROW_COLUMNS, sessionsViewSql } from './session-body.ts';
import { staleAfterMs } from './session-state.ts';
import type { SessionRow } from './session-state.ts';
import { closeEntry, openSessionTable } from './session-table.ts';
import { startWalCheckpoints } from './wal-checkpoint.ts';
import { createWalSync } from './wal-sync.ts';

export type SpoolOptions = {
  path: string;
  log: Logger;
  /** Most records per transaction. */
  maxBatch: number;
  /** Wait this long for company before committing an idle spool's first record (0: next turn of the event loop). */
  maxDelayMs: number;
  staleFactor: number;
  /** Interim interval (s) assumed for sessions that did not report theirs. */
  defaultInterimInterval: number;
  /** Appends beyond this many queued records are refused (the NAS retries). Default 100 × maxBatch. */
  maxQueued?: number;
  /** Record keys kept in memory for duplicate detection. Default 250,000. */
  recentKeys?: number;
  /**
   * How often changed sessions are written to session_rows (a slice at a time).
   * Default 100 ms: what a crash leaves to replay stays short, and a session changed
   * several times within the interval is written once.
   */
  sessionFlushMs?: number;
  now?: () => number;
  /** Called after every commit (before its appends resolve), cursor move and prune: stats() changed. */
  onChange?: () => void;
  /**
   * A WAL sync failed: what the kernel did with the unsynced pages is unknown, so this
   * spool acknowledges nothing more; reopen it (the owner thread exits and is restarted).
   */
  onFatal?: (error: unknown) => void;
  /**
   * Every failure of database work (commits, reads, pruning, sessions writes): the owner
   * decides whether the file can still be trusted (open-with-retry.ts, brokenWhileOpen).
   */
  onError?: (error: unknown) => void;
};

export type { AppendResult, CommittedAppend, OutboxEntry };
export { SpoolClosedError, SpoolOverloadedError } from './group-commit.ts';

export type SpoolStats = {
  appended: number;
  duplicates: number;
  commits: number;
  failedCommits: number;
  lastBatchSize: number;
  maxBatchSize: number;
  commitMillisTotal: number;
  queued: number;
  /** Records in the log not yet shipped to the edge (the backlog). */
  depth: number;
  /** Body bytes of the chunks holding them. */
  backlogBytes: number;
  /** Receipt time (ms) of the oldest of them; 0 when there is none. */
  backlogOldestAt: number;
  /** Records deleted by pruning. */
  prunedRecords: number;
  shippedSeq: number;
  lastSeq: number;
  openSessions: number;
  /** Keys looked up on disk because they were older than the in-memory window. */
  diskDuplicateProbes: number;
  /** fdatasyncs of the WAL (each makes every commit before it durable). */
  walSyncs: number;
  /** The most recent commit failed (disk full, I/O error): appends are not being acknowledged. */
  lastCommitFailed: boolean;
};

export type Spool = {
  /** Resolves, per record and in order, once the records are durable. */
  append(records: readonly AccountingRecord[]): Promise<AppendResult[]>;
  /**
   * Entries made by toSpoolEntry (validated). Resolves once they are committed, before
   * they are durable: acknowledge them only once durableWaiter(durability).wait(commit)
   * has resolved (the spool's port does).
   */
  appendCommitted(entries: SpoolEntry[]): Promise<CommittedAppend>;
  /** The WAL sync counters in shared memory (durable-waiter.ts), for any thread. */
  readonly durability: SharedArrayBuffer;
  /** Open sessions of `username` that are not stale yet (Simultaneous-Use). */
  countLiveSessions(username: string): Promise<number>;
  listLiveSessions(username: string): Promise<SessionRow[]>;
  /**
   * Closes a session the NAS confirmed disconnected (Disconnect-ACK); false if it was not
   * open. `address`: the NAS the Disconnect went to (SessionTable.findOpen).
   */
  closeSession(nasId: string, sessionId: string, address: string): Promise<boolean>;
  /** Closes open sessions without an update for staleFactor × their interim interval. */
  sweepStaleSessions(): Promise<number>;
  /** Outbox entries after `afterSeq`, oldest first. */
  readOutbox(afterSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** Advances the outbox cursor: everything through `seq` reached the edge. */
  markShipped(seq: number): Promise<void>;
  /** Deletes shipped records and closed sessions older than `ageMs`. */
  /**
   * Deletes records and closed sessions older than `ageMs` (prune.ts: records whatever
   * their state until an edge has taken any, then only shipped ones), a slice at a time.
   */
  prune(ageMs: number): Promise<PruneResult>;
  stats(): SpoolStats;
  /** Waits until everything queued so far is committed (or failed) and on disk. */
  flush(): Promise<void>;
  /** Flushes records and sessions, checkpoints the WAL and closes. Appends after this are refused. */
  close(): Promise<void>;
  describeStorage(): Promise<{ journalMode: string; synchronous: number }>;
};

// Sessions per transaction of the periodic sessions write: ~2 ms of the owner thread.
const SESSION_WRITE_SLICE = 256;

export async function openSpool(options: SpoolOptions): Promise<Spool> {
  // What is open so far, closed newest first when the open fails half-way: the owner
  // retries a failing open (open-with-retry.ts), and each attempt left a connection and
  // a WAL sync thread behind (test/appliance/spool/open-failure.test.ts).
  const opened: Array<() => unknown> = [];
  try {
    return await assembleSpool(options, opened);
  } catch (error) {
    for (const close of opened.reverse()) {
      try {
        await close();
      } catch (closeError) {
        options.log.warn('closing a half-open spool failed', { error: closeError });
      }
    }
    throw error;
  }
}

async function assembleSpool(options: SpoolOptions, opened: Array<() => unknown>): Promise<Spool> {
  const now = options.now ?? Date.now;
  const log = options.log.child({ component: 'spool' });
  const client = await openLocalDatabase({ path: options.path, synchronous: 'FULL' });
  opened.push(() => client.close());
  await migrateSpool(client);
  await client.executeMultiple(`${recordsViewSql()}\n${sessionsViewSql()}`);
  // Records, sessions flushes and the session rows a batch reads go through the
  // writer's persistent statements (record-writer.ts); everything else through the client.
  const writer = openRecordWriter(options.path, SESSION_ROW_COLUMNS);
  opened.push(() => writer.close());

  // Every database use goes through this chain: the client has one connection, the
  // writer another, and a batch's reads (duplicate probes, session rows) must see no
  // write but its own.
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work);
    chain = next.catch((error: unknown) => options.onError?.(error));
    return next;
  };

  const meta = async (key: string) => {
    const result = await client.execute({ sql: 'SELECT value FROM spool_meta WHERE key = ?', args: [key] });
    return Number(result.rows[0]?.value ?? 0);
  };
  // The newest chunk's last seq, or the high mark pruning left (seq is never reused).
  const newest = await client.execute(
    'SELECT first_seq + count - 1 AS n FROM record_chunks ORDER BY first_seq DESC LIMIT 1',
  );
  let shippedSeq = await meta('shipped_seq');
  const lastSeq = Math.max(Number(newest.rows[0]?.n ?? 0), await meta('seq_floor'));
  const head: LogHead = {
    lastSeq,
    unshippedBytes: await chunkBytes(client, shippedSeq, lastSeq),
    oldestUnshippedAt: await oldestReceivedAfter(client, shippedSeq),
  };
  // First seq in the log: pruning unshipped records (unpaired) moves it past shippedSeq.
  const oldest = await client.execute('SELECT min(first_seq) AS n FROM record_chunks');
  let logStart = oldest.rows[0]?.n == null ? lastSeq + 1 : Number(oldest.rows[0].n);
  let prunedRecords = 0;
  const depth = () => head.lastSeq - Math.max(shippedSeq, logStart - 1);

  const stats = {
    appended: 0,
    duplicates: 0,
    commits: 0,
    failedCommits: 0,
    lastBatchSize: 0,
    maxBatchSize: 0,
    commitMillisTotal: 0,
    queued: 0,
    lastCommitFailed: false,
  };

  const duplicates = await openDuplicateWindow(client, options.recentKeys ?? 250_000);
  const sessions = await openSessionTable(client, writer);
  const sync = createWalSync(`${options.path}-wal`, log, (error) => {
    stats.lastCommitFailed = true;
    // A file replaced under the spool is not a failed disk: close it and open the path again.
    if (error instanceof SpoolReplacedError) options.onError?.(error);
    else options.onFatal?.(error);
  });
  // The sync thread holds the WAL open: it ends before the writer's connection.
  opened.push(() => sync.stop());
  const checkpoints = startWalCheckpoints(options.path, sync.buffer, log);
  opened.push(() => checkpoints.stop());
  const commitBatch = await openBatchCommitter({
    client,
    writer,
    duplicates,
    sessions,
    head,
    stats,
    committed: () => void sync.committed(),
  });

  // Replay what the last run committed but had not folded into session_rows.
  {
    const entries = await readEntries(client, sessions.sessionsSeq, Number.POSITIVE_INFINITY);
    if (entries.length > 0) {
      sessions.apply(
        sessions.fold(
          entries,
          entries.map((entry) => entry.seq),
        ),
        entries[0]?.seq ?? 0,
      );
      log.info('replayed accounting records into sessions', { records: entries.length, throughSeq: head.lastSeq });
    }
    sessions.write(Number.POSITIVE_INFINITY, head.lastSeq);
  }

  const staleness = (row: SessionRow) => staleAfterMs(row, options.staleFactor, options.defaultInterimInterval);
  const liveSessions = (username: string): SessionRow[] => {
    const at = now();
    return sessions.openOf(username, (row) => row.updatedAt + staleness(row) >= at);
  };

  const queue = createGroupCommit({
    maxBatch: options.maxBatch,
    maxDelayMs: options.maxDelayMs,
    maxQueued: options.maxQueued ?? options.maxBatch * 100,
    log,
    stats,
    commitBatch: (entries: SpoolEntry[]) => exclusive(() => commitBatch(entries)),
    sync,
    onChange: () => options.onChange?.(),
  });

  // Every sessionFlushMs, the sessions dirty at that moment are written, a slice at a
  // time with commits in between: one write of everything held the owner thread for
  // ~10 ms every 100 ms under accounting load, and every acknowledgement with it.
  let writingSessions = false;
  const writeDueSessions = async () => {
    if (writingSessions) return;
    writingSessions = true;
    try {
      let due = sessions.dirtyCount;
      do {
        due -= await exclusive(async () => sessions.write(Math.min(due, SESSION_WRITE_SLICE), head.lastSeq));
        // Let a commit that became due take its turn on the chain.
        if (due > 0) await new Promise((resolve) => setImmediate(resolve));
      } while (due > 0 && !queue.closed);
    } finally {
      writingSessions = false;
    }
  };
  const sessionFlushTimer = setInterval(() => {
    writeDueSessions().catch((error: unknown) => log.error('writing sessions failed; will retry', { error }));
  }, options.sessionFlushMs ?? 100);
  sessionFlushTimer.unref();

  const appendDurably = async (entries: SpoolEntry[]): Promise<AppendResult[]> => {
    const { results, commit } = await queue.enqueue(entries);
    await sync.awaitDurable(commit);
    return results;
  };

  return {
    append(records) {
      let entries: SpoolEntry[];
      try {
        entries = records.map(toSpoolEntry);
      } catch (error) {
        return Promise.reject(error);
      }
      return appendDurably(entries);
    },

    // Validated by the caller (the spool's port validates on the client's thread).
    appendCommitted: (entries) => queue.enqueue(entries),

    durability: sync.buffer,

    countLiveSessions: (username) => Promise.resolve(liveSessions(username).length),
    listLiveSessions: (username) => Promise.resolve(liveSessions(username).map((row) => ({ ...row }))),

    async closeSession(nasId, sessionId, address) {
      const row = sessions.findOpen(nasId, sessionId, address);
      if (row === undefined) return false;
      await appendDurably([closeEntry(row, 'disconnect', now())]);
      return true;
    },

    async sweepStaleSessions() {
      const at = now();
      const stale = [...sessions.openRows()].filter((row) => row.updatedAt + staleness(row) < at);
      if (stale.length === 0) return 0;
      await appendDurably(stale.map((row) => closeEntry(row, 'stale', at)));
      log.info('closed stale sessions', { count: stale.length });
      return stale.length;
    },

    readOutbox: (afterSeq, limit) => exclusive(() => readEntries(client, afterSeq, limit)),

    markShipped: (seq) =>
      exclusive(async () => {
        const next = await markShipped(client, shippedSeq, seq, head.lastSeq);
        if (next === shippedSeq) return;
        head.unshippedBytes -= await chunkBytes(client, shippedSeq, next);
        head.oldestUnshippedAt = await oldestReceivedAfter(client, next);
        shippedSeq = next;
        options.onChange?.();
      }),

    async prune(ageMs) {
      const before = now() - ageMs;
      const result: PruneResult = { records: 0, sessions: 0 };
      for (let done = false; !done && !queue.closed;) {
        done = await exclusive(async () => {
          // Unpaired (no edge has taken a record): by age alone. Never what the
          // sessions table still needs for replay.
          const shippable = shippedSeq === 0 ? head.lastSeq : shippedSeq;
          const slice = await pruneLogSlice(client, {
            before,
            throughSeq: Math.min(shippable, sessions.sessionsSeq),
            lastSeq: head.lastSeq,
          });
          if (slice.records > 0) {
            if (shippedSeq === 0) {
              head.unshippedBytes -= slice.bytes;
              head.oldestUnshippedAt = await oldestReceivedAfter(client, 0);
            }
            logStart = slice.logStart;
            result.records += slice.records;
            prunedRecords += slice.records;
            options.onChange?.();
          }
          return slice.done;
        });
        // Let commits take their turn on the chain between slices.
        if (!done) await new Promise((resolve) => setImmediate(resolve));
      }
      for (let deleted = -1; deleted !== 0 && !queue.closed;) {
        deleted = await exclusive(() => pruneSessionsSlice(client, before));
        result.sessions += deleted;
        if (deleted !== 0) await new Promise((resolve) => setImmediate(resolve));
      }
      return result;
    },

    stats: () => ({
      ...stats,
      diskDuplicateProbes: duplicates.diskProbes,
      walSyncs: sync.syncs,
      depth: depth(),
      backlogBytes: head.unshippedBytes,
      backlogOldestAt: head.oldestUnshippedAt,
      prunedRecords,
      shippedSeq,
      lastSeq: head.lastSeq,
      openSessions: sessions.openCount,
    }),
    flush: queue.flush,

    async close() {
      if (queue.closed) return;
      queue.close();
      clearInterval(sessionFlushTimer);
      await queue.flush();
      try {
        await exclusive(async () => {
          try {
            sessions.write(Number.POSITIVE_INFINITY, head.lastSeq);
          } finally {
            // A checkpoint in progress would make the TRUNCATE below wait.
            await checkpoints.stop();
            // The sync thread holds the WAL open; it ends before the writer's connection.
            await sync.stop();
            writer.close();
          }
          // Fold the WAL into the database: a stopped appliance leaves one self-contained file.
          await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
        });
      } finally {
        // Also when the file failed (open-with-retry.ts closes a broken spool): nothing left open.
        client.close();
      }
      log.info('spool closed', { depth: depth(), lastSeq: head.lastSeq });
    },

    describeStorage: () => exclusive(() => describeDatabase(client)),
  };
}
