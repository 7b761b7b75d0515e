// Group commit: append() queues; the next flush takes what is queued (up to maxBatch
// records) into one commit (commit-batch.ts). While a commit runs and while the WAL
// syncs (wal-sync.ts), new appends pile up and form the next batch, so batches grow
// with the load by themselves. An append resolves only once its batch is durable.
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

export type GroupCommit = {
  /** Resolves, per record and in order, once the records are durable. */
  enqueue(entries: SpoolEntry[]): Promise<AppendResult[]>;
  /** Waits until everything queued so far is committed (or failed). */
  flush(): Promise<void>;
  /** Appends after this are refused. */
  close(): void;
  readonly closed: boolean;
};

type Pending = { entries: SpoolEntry[]; resolve: (results: AppendResult[]) => void; reject: (error: unknown) => void };

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
    while (take < queue.length && count < parts.maxBatch) count += queue[take++]?.entries.length ?? 0;
    const batch = queue.splice(0, take);
    stats.queued -= count;
    let results: AppendResult[];
    try {
      results = await parts.commitBatch(batch.flatMap((pending) => pending.entries));
      stats.lastCommitFailed = false;
    } catch (error) {
      stats.failedCommits++;
      stats.lastCommitFailed = true;
      log.error('spool commit failed; the records were not acknowledged', { records: count, error });
      for (const pending of batch) pending.reject(error);
      parts.onChange();
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
      await sync.awaitDurable();
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
      parts.onChange();
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
      if (entries.length === 0) return Promise.resolve([]);
      return new Promise<AppendResult[]>((resolve, reject) => {
        queue.push({ entries, resolve, reject });
        stats.queued += entries.length;
        schedule();
      });
    },
    flush: () =>
      new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settleDrained();
      }),
    close() {
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
}
