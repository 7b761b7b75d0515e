// Group commit: append() queues; the next flush takes what is queued (up to maxBatch
// records) into one commit (commit-batch.ts). While a commit runs and while the WAL
// syncs (wal-sync.ts), new appends pile up and form the next batch, so batches grow
// with the load by themselves. An enqueue resolves once its batch has committed, with
// the commit's number: the records are durable once the WAL sync reaches it
// (wal-sync.ts), which the spool's append() and the spool's port wait for.
import type { Logger } from '../log.ts';
import type { AppendResult, BatchCommitter } from './commit-batch.ts';
import type { SpoolEntry } from './record.ts';
import type { WalSync } from './wal-sync.ts';

export class SpoolClosedError extends Error {
  override name = 'SpoolClosedError';
}

export class SpoolOverloadedError extends Error {
  override name = 'SpoolOverloadedError';
}

export type QueueStats = { queued: number; failedCommits: number; lastCommitFailed: boolean };

/** Records committed, not yet known durable: durable once the WAL sync reaches `commit`. */
export type CommittedAppend = { results: AppendResult[]; commit: number };

export type GroupCommit = {
  /** Resolves, per record and in order, once the records are committed. */
  enqueue(entries: SpoolEntry[]): Promise<CommittedAppend>;
  /** Waits until everything queued so far is committed (or failed) and on disk. */
  flush(): Promise<void>;
  /** Appends after this are refused. */
  close(): void;
  readonly closed: boolean;
};

type Pending = {
  entries: SpoolEntry[];
  resolve: (committed: CommittedAppend) => void;
  reject: (error: unknown) => void;
};

export function createGroupCommit(parts: {
  maxBatch: number;
  maxDelayMs: number;
  maxQueued: number;
  log: Logger;
  stats: QueueStats;
  /** Commits a batch (commit-batch.ts, on the spool's one-at-a-time database chain). */
  commitBatch: BatchCommitter;
  sync: WalSync;
  onChange: () => void;
}): GroupCommit {
  const { stats, log, sync } = parts;
  const queue: Pending[] = [];
  let scheduled = false;
  let flushing = false;
  let closed = false;
  let drainWaiters: Array<() => void> = [];

  const settleDrained = () => {
    if (queue.length > 0 || flushing || scheduled) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const waiter of waiters) waiter();
  };

  const runFlush = async () => {
    scheduled = false;
    flushing = true;
    let take = 0;
    let count = 0;
    while (take < queue.length && count < parts.maxBatch) count += queue[take++]?.entries.length ?? 0;
    const batch = queue.splice(0, take);
    stats.queued -= count;
    try {
      const results = await parts.commitBatch(batch.flatMap((pending) => pending.entries));
      stats.lastCommitFailed = sync.failure !== null;
      // Every record's original is in this commit or an earlier one (duplicates).
      const commit = sync.lastCommit;
      let offset = 0;
      for (const pending of batch) {
        pending.resolve({ results: results.slice(offset, offset + pending.entries.length), commit });
        offset += pending.entries.length;
      }
    } catch (error) {
      stats.failedCommits++;
      stats.lastCommitFailed = true;
      log.error('spool commit failed; the records were not acknowledged', { records: count, error });
      for (const pending of batch) pending.reject(error);
    } finally {
      // Before the appends' continuations run: whoever sees an acknowledgement sees its count.
      parts.onChange();
      flushing = false;
      // The next batch commits while this one's WAL sync runs.
      schedule();
      settleDrained();
    }
  };

  function schedule(): void {
    if (scheduled || flushing || queue.length === 0) return;
    scheduled = true;
    // setImmediate runs after pending I/O callbacks, so appends that arrived in this
    // turn of the event loop (messages from worker threads included) join the batch.
    if (parts.maxDelayMs > 0 && stats.queued < parts.maxBatch) setTimeout(() => void runFlush(), parts.maxDelayMs);
    else setImmediate(() => void runFlush());
  }

  return {
    enqueue(entries) {
      if (closed) return Promise.reject(new SpoolClosedError('spool is closed'));
      if (sync.failure !== null) return Promise.reject(sync.failure);
      if (stats.queued + entries.length > parts.maxQueued) {
        const message = `spool queue is full (${stats.queued} records waiting for the disk)`;
        return Promise.reject(new SpoolOverloadedError(message));
      }
      if (entries.length === 0) return Promise.resolve({ results: [], commit: sync.lastCommit });
      return new Promise<CommittedAppend>((resolve, reject) => {
        queue.push({ entries, resolve, reject });
        stats.queued += entries.length;
        schedule();
      });
    },
    async flush() {
      await new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settleDrained();
      });
      // A failed sync has already rejected what waited for it.
      await sync.awaitDurable().catch(() => undefined);
    },
    close() {
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
}
