// The durable accounting spool: one owner per data dir, group commit, idempotent by
// record key, and a sessions table derived from the records.
//
// Durability. append() resolves only after the records' transaction has committed
// *and* the WAL holding it has been fsynced, so an acknowledged record survives a
// process crash and a power loss. The records are committed by the record writer
// (record-writer.ts) with synchronous=NORMAL, which in WAL mode writes the commit to
// the WAL without syncing it (checkpoints still sync the WAL before copying it into
// the database and the database before the WAL is reused), and then the spool calls
// fdatasync on the WAL itself, on the libuv thread pool: the owner thread goes on
// receiving and committing the next batch while the disk syncs, and one sync makes
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
// Group commit. append() queues; the writer takes what is queued (up to maxBatch
// records) into one transaction. While a commit runs and while the WAL syncs, new
// appends pile up and form the next batch, so batches grow with the load by themselves.
//
// The log and what derives from it. The log is append-only (sequential writes): each
// commit adds one row to record_chunks holding its records (record-chunk.ts) and one
// narrow row per record to record_keys. Two things are derived and kept in memory by
// the owner, rebuilt from the log on open:
//  - Duplicate detection: the keys of the most recent records (options.recentKeys) in
//    a Map. A key older than that (a NAS retransmitting long after) is looked up on
//    disk by its event time (record_keys, ± DUPLICATE_WINDOW_MS): a retransmit carries
//    the same event time give or take Acct-Delay-Time rounding (RFC 2866 §5.2), so the
//    original is found without a random index on the key.
//  - Sessions: every open session lives in memory (Simultaneous-Use counts are Map
//    lookups). Changed sessions are written to session_rows every sessionFlushMs, a
//    slice at a time, each row with the seq of the last record folded into it, and
//    sessions_seq with the last record before the oldest change not yet written; on
//    open, records after sessions_seq are replayed (skipping what a row already has),
//    so a crash loses nothing and folds nothing twice.
import { describeDatabase, openLocalDatabase } from '../local-db.ts';
import type { Cell } from '../local-db.ts';
import type { Logger } from '../log.ts';
import { decodeChunk, encodeChunk, recordsViewSql } from './record-chunk.ts';
import type { OutboxEntry } from './record-chunk.ts';
import { recordKey, toSpoolEntry } from './record.ts';
import { openRecordWriter } from './record-writer.ts';
import type { AccountingRecord, SpoolEntry } from './record.ts';
import { migrateSpool } from './schema.ts';
import { SESSION_ROW_COLUMNS, sessionCells, sessionFromCells, sessionsViewSql } from './session-body.ts';
import { applyClose, applyToSession, closeForNasRestart, sessionKey, staleAfterMs } from './session-state.ts';
import type { CloseReason, SessionRow } from './session-state.ts';

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
};

/** Where the record is (or already was) stored, and its idempotency key. */
export type AppendResult = { seq: number; key: string; duplicate: boolean };

export type SpoolStats = {
  appended: number;
  duplicates: number;
  commits: number;
  failedCommits: number;
  lastBatchSize: number;
  maxBatchSize: number;
  commitMillisTotal: number;
  queued: number;
  /** Outbox entries not yet shipped to the edge. */
  depth: number;
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

export type { OutboxEntry };

export type Spool = {
  /** Resolves, per record and in order, once the records are durable. */
  append(records: readonly AccountingRecord[]): Promise<AppendResult[]>;
  /** Open sessions of `username` that are not stale yet (Simultaneous-Use). */
  countLiveSessions(username: string): Promise<number>;
  listLiveSessions(username: string): Promise<SessionRow[]>;
  /** Closes a session the NAS confirmed disconnected (Disconnect-ACK); false if it was not open. */
  closeSession(nasId: string, sessionId: string, reason?: Extract<CloseReason, 'disconnect'>): Promise<boolean>;
  /** Closes open sessions without an update for staleFactor × their interim interval. */
  sweepStaleSessions(): Promise<number>;
  /** Outbox entries after `afterSeq`, oldest first. */
  readOutbox(afterSeq: number, limit: number): Promise<OutboxEntry[]>;
  /** Advances the outbox cursor: everything through `seq` reached the edge. */
  markShipped(seq: number): Promise<void>;
  /** Deletes shipped records and closed sessions older than `ageMs`. */
  pruneShipped(ageMs: number): Promise<{ records: number; sessions: number }>;
  stats(): SpoolStats;
  /** Waits until everything queued so far is committed (or failed). */
  flush(): Promise<void>;
  /** Flushes records and sessions, checkpoints the WAL and closes. Appends after this are refused. */
  close(): Promise<void>;
  describeStorage(): Promise<{ journalMode: string; synchronous: number }>;
};

export class SpoolClosedError extends Error {
  override name = 'SpoolClosedError';
}

export class SpoolOverloadedError extends Error {
  override name = 'SpoolOverloadedError';
}

type Pending = { entries: SpoolEntry[]; resolve: (results: AppendResult[]) => void; reject: (error: unknown) => void };

// How far apart two receipts of one record may put its event time: Acct-Delay-Time has
// one-second resolution and the network adds jitter. (NASes that buffer accounting
// report delays of many minutes, but consistently per record.) Also the margin for
// deciding whether a record is old enough to need a disk probe: it must stay well
// below the time the in-memory key window covers at full load (~9 s of 250,000 keys
// at 27,000 records/s here), or every record would be probed.
const DUPLICATE_WINDOW_MS = 5_000;

// Sessions per transaction of the periodic sessions write: ~2 ms of the owner thread.
const SESSION_WRITE_SLICE = 256;

/** A 'close' record: the appliance closed a session itself; the edge and replay learn it from the log. */
function closeEntry(row: SessionRow, reason: CloseReason, at: number): SpoolEntry {
  const entry: SpoolEntry = {
    key: '',
    kind: 'close',
    nasId: row.nasId,
    nasAddress: null,
    receivedAt: at,
    eventAt: at,
    sessionId: row.sessionId,
    username: row.username,
    subscriberId: row.subscriberId,
    sessionTime: row.sessionTime,
    inputOctets: row.inputOctets,
    outputOctets: row.outputOctets,
    inputPackets: row.inputPackets,
    outputPackets: row.outputPackets,
    terminateCause: reason,
    framedIp: row.framedIp,
    callingStationId: row.callingStationId,
    nasPortId: row.nasPortId,
    interimInterval: row.interimInterval,
    eventTimestamp: null,
    attributes: { lastUpdateAt: row.updatedAt },
  };
  entry.key = recordKey(entry, 0);
  return entry;
}

export async function openSpool(options: SpoolOptions): Promise<Spool> {
  const now = options.now ?? Date.now;
  const log = options.log.child({ component: 'spool' });
  const maxQueued = options.maxQueued ?? options.maxBatch * 100;
  const recentLimit = options.recentKeys ?? 250_000;
  const client = await openLocalDatabase({ path: options.path, synchronous: 'FULL' });
  try {
    await migrateSpool(client);
    await client.executeMultiple(`${recordsViewSql()}\n${sessionsViewSql()}`);
  } catch (error) {
    client.close();
    throw error;
  }
  // Records, sessions flushes and the session rows a batch reads go through the
  // writer's persistent statements (record-writer.ts); everything else through the client.
  const writer = openRecordWriter(options.path, SESSION_ROW_COLUMNS);

  // Every database use goes through this chain: the client has one connection, the
  // writer another, and a batch's reads (duplicate probes, session rows) must see no
  // write but its own.
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = chain.then(work);
    chain = next.catch(() => undefined);
    return next;
  };

  const meta = async (key: string) => Number((await client.execute({ sql: 'SELECT value FROM spool_meta WHERE key = ?', args: [key] })).rows[0]?.value ?? 0);
  // The newest chunk's last seq, or the high mark pruning left (seq is never reused).
  const newest = await client.execute('SELECT first_seq + count - 1 AS n FROM record_chunks ORDER BY first_seq DESC LIMIT 1');
  let lastSeq = Math.max(Number(newest.rows[0]?.n ?? 0), await meta('seq_floor'));
  let shippedSeq = await meta('shipped_seq');
  let sessionsSeq = await meta('sessions_seq');

  const stats = {
    appended: 0,
    duplicates: 0,
    commits: 0,
    failedCommits: 0,
    lastBatchSize: 0,
    maxBatchSize: 0,
    commitMillisTotal: 0,
    queued: 0,
    diskDuplicateProbes: 0,
    walSyncs: 0,
    lastCommitFailed: false,
  };

  // --- duplicate detection -------------------------------------------------------
  // Key → seq. The event times live beside the ring, so a record costs no object here.
  const recent = new Map<string, number>();
  // Insertion order of the keys in `recent`, as a ring: the oldest is evicted in O(1).
  // (Taking the first entry of a Map that has seen many deletions walks over the
  // holes they leave, which made eviction cost grow with the spool.)
  const ring: Array<string | undefined> = new Array<string | undefined>(recentLimit);
  const ringEventAt = new Float64Array(recentLimit);
  let ringNext = 0;
  // Event time of the newest key that left the Map (0: none has). Every stored key
  // not in the Map has an event time at or before it.
  let horizon = 0;
  const rememberKey = (key: string, seq: number, eventAt: number) => {
    const evicted = ring[ringNext];
    if (evicted !== undefined) {
      recent.delete(evicted);
      horizon = Math.max(horizon, ringEventAt[ringNext] ?? 0);
    }
    ring[ringNext] = key;
    ringEventAt[ringNext] = eventAt;
    ringNext = (ringNext + 1) % recentLimit;
    recent.set(key, seq);
  };
  {
    // The newest keys by event time, walking the primary key backwards.
    const result = await client.execute({ sql: 'SELECT key, seq, event_at FROM record_keys ORDER BY event_at DESC, key DESC, seq DESC LIMIT ?', args: [recentLimit] });
    const rows = result.rows;
    for (let index = rows.length - 1; index >= 0; index--) {
      const row = rows[index];
      if (row !== undefined) rememberKey(String(row.key), Number(row.seq), Number(row.event_at));
    }
    const oldestLoaded = rows[rows.length - 1];
    if (rows.length === recentLimit && oldestLoaded !== undefined) horizon = Number(oldestLoaded.event_at);
  }

  // The original's seq if `entry` was stored before: the Map answers synchronously for
  // recent keys (the common case); only an event from before the horizon, whose
  // original may have left the Map, costs a disk probe.
  const findStoredDuplicate = (entry: SpoolEntry): number | undefined => recent.get(entry.key);
  const needsDiskProbe = (entry: SpoolEntry): boolean => horizon !== 0 && entry.eventAt <= horizon + DUPLICATE_WINDOW_MS;
  const probeDisk = async (entry: SpoolEntry): Promise<number | undefined> => {
    stats.diskDuplicateProbes++;
    const result = await client.execute({
      sql: 'SELECT seq FROM record_keys WHERE event_at BETWEEN ? AND ? AND key = ? LIMIT 1',
      args: [entry.eventAt - DUPLICATE_WINDOW_MS, entry.eventAt + DUPLICATE_WINDOW_MS, entry.key],
    });
    const row = result.rows[0];
    return row === undefined ? undefined : Number(row.seq);
  };

  // Stored records after `afterSeq`, oldest first, at most `limit`: the chunk holding
  // afterSeq + 1 and the ones after it.
  const readEntries = async (afterSeq: number, limit: number): Promise<OutboxEntry[]> => {
    const entries: OutboxEntry[] = [];
    let from = Number(
      (await client.execute({ sql: 'SELECT max(first_seq) AS n FROM record_chunks WHERE first_seq <= ?', args: [afterSeq + 1] })).rows[0]?.n ?? 0,
    );
    while (entries.length < limit) {
      const chunks = await client.execute({ sql: 'SELECT first_seq, body FROM record_chunks WHERE first_seq >= ? ORDER BY first_seq LIMIT 64', args: [from] });
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
  };

  const nasEpochs = new Map<string, number>();
  for (const row of (await client.execute('SELECT nas_id, epoch FROM nas_epochs')).rows) nasEpochs.set(String(row.nas_id), Number(row.epoch));

  // --- sessions ----------------------------------------------------------------------
  const openSessions = new Map<string, SessionRow>();
  const openByUser = new Map<string, Set<string>>();
  // Changed since their last write to session_rows (open or closed), in the order they
  // first changed: the sessions write takes them oldest first, a slice at a time.
  const dirty = new Map<string, SessionRow>();
  // Seq of a commit's first record, for each session that commit made dirty: every
  // record before the oldest dirty session's is in session_rows (sessions_seq).
  const dirtySince = new Map<string, number>();

  const indexOpen = (key: string, row: SessionRow) => {
    const previous = openSessions.get(key);
    if (previous?.username != null && previous.username !== row.username) openByUser.get(previous.username)?.delete(key);
    if (row.status === 'open') {
      openSessions.set(key, row);
      if (row.username !== null) {
        let keys = openByUser.get(row.username);
        if (keys === undefined) {
          keys = new Set();
          openByUser.set(row.username, keys);
        }
        keys.add(key);
      }
    } else {
      openSessions.delete(key);
      if (previous?.username != null) {
        const keys = openByUser.get(previous.username);
        keys?.delete(key);
        if (keys?.size === 0) openByUser.delete(previous.username);
      }
    }
  };

  for (const row of (await client.execute(`SELECT ${SESSION_ROW_COLUMNS.join(', ')} FROM session_rows WHERE status = 'open'`)).rows) {
    const session = sessionFromCells(row);
    indexOpen(sessionKey(session.nasId, session.sessionId), session);
  }

  const loadSessions = (pairs: Array<[string, string]>): Map<string, SessionRow> => {
    const rows = new Map<string, SessionRow>();
    for (const row of writer.readSessions(pairs)) {
      const session = sessionFromCells(row);
      rows.set(sessionKey(session.nasId, session.sessionId), session);
    }
    return rows;
  };

  // Folds entries (with their seqs) into session state without touching memory: the
  // caller applies the returned rows only once the records are committed. A record at
  // or before a row's seq is already in it: replay after a crash re-reads records that
  // a sessions write had already folded into some rows (sessions_seq is the oldest
  // unwritten change, not the newest written one).
  const foldSessions = (entries: readonly SpoolEntry[], seqs: readonly number[]): Map<string, SessionRow> => {
    const overlay = new Map<string, SessionRow>();
    // Each entry's session key, made once ('' for On/Off, which have none).
    const keys = entries.map((entry) => (entry.sessionId === null ? '' : sessionKey(entry.nasId, entry.sessionId)));
    const missing = new Map<string, [string, string]>();
    entries.forEach((entry, index) => {
      const key = keys[index] ?? '';
      if (entry.sessionId !== null && !openSessions.has(key) && !dirty.has(key)) missing.set(key, [entry.nasId, entry.sessionId]);
    });
    const stored = missing.size > 0 ? loadSessions([...missing.values()]) : undefined;
    const current = (key: string) => overlay.get(key) ?? openSessions.get(key) ?? dirty.get(key) ?? stored?.get(key);

    const folded = (key: string, row: SessionRow | undefined, next: SessionRow | undefined, seq: number) => {
      if (next === undefined || next === row) return;
      // Every changed row is a new object (session-state.ts), ours to stamp.
      next.seq = seq;
      overlay.set(key, next);
    };
    entries.forEach((entry, index) => {
      const seq = seqs[index] ?? 0;
      if (entry.kind === 'on' || entry.kind === 'off') {
        const closing = new Set<string>();
        for (const [key, row] of openSessions) if (row.nasId === entry.nasId) closing.add(key);
        for (const [key, row] of overlay) if (row.nasId === entry.nasId && row.status === 'open') closing.add(key);
        for (const key of closing) {
          const row = current(key);
          if (row === undefined || row.seq >= seq) continue;
          folded(key, row, closeForNasRestart(row, entry), seq);
        }
        return;
      }
      if (entry.sessionId === null) return;
      const key = keys[index] ?? '';
      const row = current(key);
      if (row !== undefined && row.seq >= seq) return;
      folded(key, row, entry.kind === 'close' ? applyClose(row, entry) : applyToSession(row, entry), seq);
    });
    return overlay;
  };

  // `firstSeq`: the seq of the first record folded into the overlay.
  const applySessions = (overlay: Map<string, SessionRow>, firstSeq: number) => {
    for (const [key, row] of overlay) {
      if (!dirty.has(key)) dirtySince.set(key, firstSeq);
      dirty.set(key, row);
      indexOpen(key, row);
    }
  };

  // Writes the `limit` oldest dirty sessions and moves sessions_seq up to just before
  // the oldest change still unwritten (to lastSeq once none is). They stay dirty until
  // the write succeeded. Returns how many it wrote.
  const writeSessions = (limit: number): number => {
    if (dirty.size === 0 && sessionsSeq === lastSeq) return 0;
    const keys: string[] = [];
    const rows: SessionRow[] = [];
    let through = lastSeq;
    for (const [key, row] of dirty) {
      if (rows.length === limit) {
        through = (dirtySince.get(key) ?? 1) - 1;
        break;
      }
      keys.push(key);
      rows.push(row);
    }
    writer.writeSessions(rows.map(sessionCells), through);
    for (const key of keys) {
      dirty.delete(key);
      dirtySince.delete(key);
    }
    sessionsSeq = through;
    return rows.length;
  };

  // Replay what the last run committed but had not folded into session_rows.
  {
    const entries = await readEntries(sessionsSeq, Number.POSITIVE_INFINITY);
    if (entries.length > 0) {
      applySessions(foldSessions(entries, entries.map((entry) => entry.seq)), entries[0]?.seq ?? 0);
      log.info('replayed accounting records into sessions', { records: entries.length, throughSeq: lastSeq });
    }
    writeSessions(Number.POSITIVE_INFINITY);
  }

  const staleness = (row: SessionRow) => staleAfterMs(row, options.staleFactor, options.defaultInterimInterval);
  const liveSessions = (username: string): SessionRow[] => {
    const at = now();
    const rows: SessionRow[] = [];
    for (const key of openByUser.get(username) ?? []) {
      const row = openSessions.get(key);
      if (row !== undefined && row.updatedAt + staleness(row) >= at) rows.push(row);
    }
    return rows;
  };

  // --- durability: WAL syncs shared by every commit before them -----------------------
  // Commits that wrote records, and how many of them are known to be on disk.
  let committed = 0;
  let durable = 0;
  let syncing = false;
  let syncFailure: unknown = null;
  const syncWaiters: Array<{ target: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  const startSync = () => {
    if (syncing || syncWaiters.length === 0) return;
    syncing = true;
    const target = committed;
    stats.walSyncs++;
    writer.syncLog().then(
      () => {
        syncing = false;
        durable = target;
        for (let index = syncWaiters.length - 1; index >= 0; index--) {
          const waiter = syncWaiters[index];
          if (waiter !== undefined && waiter.target <= durable) {
            syncWaiters.splice(index, 1);
            waiter.resolve();
          }
        }
        startSync();
      },
      (error: unknown) => {
        syncing = false;
        syncFailure = error;
        stats.lastCommitFailed = true;
        log.error('spool WAL sync failed; nothing more is acknowledged', { error });
        for (const waiter of syncWaiters.splice(0)) waiter.reject(error);
        options.onFatal?.(error);
      },
    );
  };
  // Resolves once every commit made so far is on disk.
  const awaitDurable = (): Promise<void> => {
    if (syncFailure !== null) return Promise.reject(syncFailure);
    const target = committed;
    if (durable >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      syncWaiters.push({ target, resolve, reject });
      startSync();
    });
  };

  // --- group commit ------------------------------------------------------------------
  const commitBatch = async (entries: SpoolEntry[]): Promise<AppendResult[]> => {
    const started = performance.now();
    // In arrival order: an Accounting-On early in the batch changes the keys of the
    // Starts after it, and only a stored (not duplicate) On does.
    const epochs = new Map<string, number>();
    const batchKeys = new Map<string, number>();
    const fresh: SpoolEntry[] = [];
    const results: AppendResult[] = [];
    let nextSeq = lastSeq + 1;
    for (const entry of entries) {
      if (entry.key === '') entry.key = recordKey(entry, epochs.get(entry.nasId) ?? nasEpochs.get(entry.nasId) ?? 0);
      let original = batchKeys.get(entry.key) ?? findStoredDuplicate(entry);
      if (original === undefined && needsDiskProbe(entry)) original = await probeDisk(entry);
      if (original !== undefined) {
        results.push({ seq: original, key: entry.key, duplicate: true });
        continue;
      }
      const seq = nextSeq++;
      batchKeys.set(entry.key, seq);
      fresh.push(entry);
      results.push({ seq, key: entry.key, duplicate: false });
      if (entry.kind === 'on' || entry.kind === 'off') epochs.set(entry.nasId, seq);
    }

    const firstSeq = lastSeq + 1;
    const overlay = foldSessions(fresh, fresh.map((_, index) => firstSeq + index));
    if (fresh.length > 0) {
      let receivedAt = 0;
      for (const entry of fresh) receivedAt = Math.max(receivedAt, entry.receivedAt);
      writer.write(
        { firstSeq, count: fresh.length, receivedAt, body: encodeChunk(fresh) },
        fresh.map((entry, index): Cell[] => [entry.eventAt, entry.key, firstSeq + index]),
        [...epochs],
      );
      committed++;
    }

    for (const [index, entry] of fresh.entries()) rememberKey(entry.key, lastSeq + 1 + index, entry.eventAt);
    lastSeq += fresh.length;
    for (const [nasId, epoch] of epochs) nasEpochs.set(nasId, epoch);
    applySessions(overlay, firstSeq);

    stats.commits++;
    stats.commitMillisTotal += performance.now() - started;
    stats.lastBatchSize = entries.length;
    stats.maxBatchSize = Math.max(stats.maxBatchSize, entries.length);
    stats.appended += fresh.length;
    stats.duplicates += entries.length - fresh.length;
    return results;
  };

  const queue: Pending[] = [];
  let scheduled = false;
  let flushing = false;
  // Batches committed and waiting for their WAL sync.
  let syncPending = 0;
  let closed = false;
  let drainWaiters: Array<() => void> = [];

  const settleDrained = () => {
    if (queue.length > 0 || flushing || scheduled || syncPending > 0) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const waiter of waiters) waiter();
  };

  const runFlush = async () => {
    scheduled = false;
    flushing = true;
    let take = 0;
    let count = 0;
    while (take < queue.length && count < options.maxBatch) count += queue[take++]?.entries.length ?? 0;
    const batch = queue.splice(0, take);
    stats.queued -= count;
    let results: AppendResult[];
    try {
      results = await exclusive(() => commitBatch(batch.flatMap((pending) => pending.entries)));
      stats.lastCommitFailed = false;
    } catch (error) {
      stats.failedCommits++;
      stats.lastCommitFailed = true;
      log.error('spool commit failed; the records were not acknowledged', { records: count, error });
      for (const pending of batch) pending.reject(error);
      options.onChange?.();
      flushing = false;
      schedule();
      settleDrained();
      return;
    }
    // The next batch may commit while this one's WAL sync runs.
    syncPending++;
    flushing = false;
    schedule();
    try {
      await awaitDurable();
      let offset = 0;
      for (const pending of batch) {
        pending.resolve(results.slice(offset, offset + pending.entries.length));
        offset += pending.entries.length;
      }
    } catch (error) {
      stats.failedCommits++;
      stats.lastCommitFailed = true;
      for (const pending of batch) pending.reject(error);
    } finally {
      syncPending--;
      options.onChange?.();
      settleDrained();
    }
  };

  function schedule(): void {
    if (scheduled || flushing || queue.length === 0) return;
    scheduled = true;
    // setImmediate runs after pending I/O callbacks, so appends that arrived in this
    // turn of the event loop (messages from worker threads included) join the batch.
    if (options.maxDelayMs > 0 && stats.queued < options.maxBatch) setTimeout(() => void runFlush(), options.maxDelayMs);
    else setImmediate(() => void runFlush());
  }

  const enqueue = (entries: SpoolEntry[]): Promise<AppendResult[]> => {
    if (closed) return Promise.reject(new SpoolClosedError('spool is closed'));
    if (syncFailure !== null) return Promise.reject(syncFailure);
    if (stats.queued + entries.length > maxQueued) {
      return Promise.reject(new SpoolOverloadedError(`spool queue is full (${stats.queued} records waiting for the disk)`));
    }
    if (entries.length === 0) return Promise.resolve([]);
    return new Promise<AppendResult[]>((resolve, reject) => {
      queue.push({ entries, resolve, reject });
      stats.queued += entries.length;
      schedule();
    });
  };

  const flush = () =>
    new Promise<void>((resolve) => {
      drainWaiters.push(resolve);
      settleDrained();
    });

  // Every sessionFlushMs, the sessions dirty at that moment are written, a slice at a
  // time with commits in between: one write of everything held the owner thread for
  // ~10 ms every 100 ms under accounting load, and every acknowledgement with it.
  let writingSessions = false;
  const writeDueSessions = async () => {
    if (writingSessions) return;
    writingSessions = true;
    try {
      let due = dirty.size;
      do {
        due -= await exclusive(async () => writeSessions(Math.min(due, SESSION_WRITE_SLICE)));
        // Let a commit that became due take its turn on the chain.
        if (due > 0) await new Promise((resolve) => setImmediate(resolve));
      } while (due > 0 && !closed);
    } finally {
      writingSessions = false;
    }
  };
  const sessionFlushTimer = setInterval(() => {
    writeDueSessions().catch((error: unknown) => log.error('writing sessions failed; will retry', { error }));
  }, options.sessionFlushMs ?? 100);
  sessionFlushTimer.unref();

  return {
    append(records) {
      let entries: SpoolEntry[];
      try {
        entries = records.map(toSpoolEntry);
      } catch (error) {
        return Promise.reject(error);
      }
      return enqueue(entries);
    },

    countLiveSessions: (username) => Promise.resolve(liveSessions(username).length),
    listLiveSessions: (username) => Promise.resolve(liveSessions(username).map((row) => ({ ...row }))),

    async closeSession(nasId, sessionId, reason = 'disconnect') {
      const row = openSessions.get(sessionKey(nasId, sessionId));
      if (row === undefined) return false;
      await enqueue([closeEntry(row, reason, now())]);
      return true;
    },

    async sweepStaleSessions() {
      const at = now();
      const stale = [...openSessions.values()].filter((row) => row.updatedAt + staleness(row) < at);
      if (stale.length === 0) return 0;
      await enqueue(stale.map((row) => closeEntry(row, 'stale', at)));
      log.info('closed stale sessions', { count: stale.length });
      return stale.length;
    },

    readOutbox: (afterSeq, limit) => exclusive(() => readEntries(afterSeq, limit)),

    markShipped: (seq) =>
      exclusive(async () => {
        const next = Math.max(shippedSeq, Math.min(seq, lastSeq));
        if (next === shippedSeq) return;
        await client.batch([{ sql: "UPDATE spool_meta SET value = ? WHERE key = 'shipped_seq'", args: [next] }], 'write');
        shippedSeq = next;
        options.onChange?.();
      }),

    pruneShipped: (ageMs) =>
      exclusive(async () => {
        const before = now() - ageMs;
        // Only what the edge has and the sessions table no longer needs for replay, and
        // only whole chunks from the start of the log: everything before the first
        // chunk that must stay.
        const through = Math.min(shippedSeq, sessionsSeq);
        const keep = await client.execute({
          sql: 'SELECT first_seq FROM record_chunks WHERE first_seq + count - 1 > ? OR received_at >= ? ORDER BY first_seq LIMIT 1',
          args: [through, before],
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
      }),

    stats: () => ({ ...stats, depth: lastSeq - shippedSeq, shippedSeq, lastSeq, openSessions: openSessions.size }),
    flush,

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sessionFlushTimer);
      await flush();
      await exclusive(async () => {
        writeSessions(Number.POSITIVE_INFINITY);
        writer.close();
        // Fold the WAL into the database: a stopped appliance leaves one self-contained file.
        await client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
      });
      client.close();
      log.info('spool closed', { depth: lastSeq - shippedSeq, lastSeq });
    },

    describeStorage: () => exclusive(() => describeDatabase(client)),
  };
}
