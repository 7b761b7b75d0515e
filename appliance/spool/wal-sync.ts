// Durability of the spool's commits: fdatasyncs of the WAL on the libuv thread pool,
// each shared by every commit before it. The writer commits with synchronous=NORMAL
// (record-writer.ts); spool.ts says why the two together equal synchronous=FULL. A
// failed sync is fatal: Linux may have dropped the unsynced pages, so nothing more is
// acknowledged until the spool is reopened from disk.
import type { Logger } from '../log.ts';
import type { RecordWriter } from './record-writer.ts';

export type WalSync = {
  /** A commit that wrote records returned: the next sync must cover it. */
  committed(): void;
  /** Resolves once every commit made so far is on disk; rejects once a sync has failed. */
  awaitDurable(): Promise<void>;
  /** The failed sync's error, or null. */
  readonly failure: unknown;
  /** Syncs started. */
  readonly syncs: number;
};

export function createWalSync(writer: RecordWriter, log: Logger, onFailure: (error: unknown) => void): WalSync {
  // Commits that wrote records, and how many of them are known to be on disk.
  let committed = 0;
  let durable = 0;
  let syncing = false;
  let failure: unknown = null;
  let syncs = 0;
  const waiters: Array<{ target: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  const startSync = () => {
    if (syncing || waiters.length === 0) return;
    syncing = true;
    const target = committed;
    syncs++;
    writer.syncLog().then(
      () => {
        syncing = false;
        durable = target;
        for (let index = waiters.length - 1; index >= 0; index--) {
          const waiter = waiters[index];
          if (waiter !== undefined && waiter.target <= durable) {
            waiters.splice(index, 1);
            waiter.resolve();
          }
        }
        startSync();
      },
      (error: unknown) => {
        syncing = false;
        failure = error;
        log.error('spool WAL sync failed; nothing more is acknowledged', { error });
        for (const waiter of waiters.splice(0)) waiter.reject(error);
        onFailure(error);
      },
    );
  };
  return {
    committed: () => {
      committed++;
    },
    awaitDurable() {
      if (failure !== null) return Promise.reject(failure);
      const target = committed;
      if (durable >= target) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ target, resolve, reject });
        startSync();
      });
    },
    get failure() {
      return failure;
    },
    get syncs() {
      return syncs;
    },
  };
}
