// Durability of the spool's commits: fdatasyncs of the WAL by a thread of its own
// (wal-sync-thread.ts), each shared by every commit before it. The writer commits
// with synchronous=NORMAL (record-writer.ts); spool.ts says why the two together
// equal synchronous=FULL. A failed sync is fatal: Linux may have dropped the unsynced
// pages, so nothing more is acknowledged until the spool is reopened from disk.
//
// Why a thread, and why shared memory (durable-waiter.ts). Before, the owner called
// fdatasync on the libuv pool; its completion came back through the owner's event
// loop, usually busy committing the next batch (about 1 ms of synchronous SQLite),
// then through a message to the RADIUS worker: four thread wake-ups in a row per
// acknowledgement, each a wait for a CPU on a busy 2-core machine. Now the owner
// answers a worker as soon as the batch has committed, with the commit's number; the
// sync thread starts the next fdatasync as soon as the previous one returns and a
// commit is waiting; and its Atomics.notify lets the worker send the
// Accounting-Responses without another hop through the owner.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import {
  COMMITTED,
  DURABILITY_SLOTS,
  DURABLE,
  durableWaiter,
  FAILED,
  STOP,
  SpoolReplacedError,
  SpoolSyncError,
  SYNCS,
} from './durable-waiter.ts';

export type WalSync = {
  /** A commit that wrote records returned: the next sync must cover it. Returns its number. */
  committed(): number;
  /** The number of the last commit that wrote records (0: none yet). */
  readonly lastCommit: number;
  /** Resolves once commit `target` (default: every commit so far) is on disk; rejects once a sync has failed. */
  awaitDurable(target?: number): Promise<void>;
  /** The counters in shared memory, for durableWaiter() in another thread. */
  readonly buffer: SharedArrayBuffer;
  /** The failed sync's error, or null. */
  readonly failure: unknown;
  /** Syncs done. */
  readonly syncs: number;
  /** Ends the sync thread after its current sync (it holds the WAL open); resolves once it has exited. */
  stop(): Promise<void>;
};

const THREAD_URL = new URL('./wal-sync-thread.ts', import.meta.url);

export function createWalSync(walPath: string, log: Logger, onFailure: (error: unknown) => void): WalSync {
  const buffer = new SharedArrayBuffer(DURABILITY_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(buffer);
  const waiter = durableWaiter(buffer);
  let committed = 0;
  let failure: unknown = null;
  let stopping = false;

  const fail = (error: Error) => {
    if (failure !== null) return;
    failure = error;
    Atomics.store(view, FAILED, 1);
    Atomics.notify(view, DURABLE);
    log.error('spool WAL sync failed; nothing more is acknowledged', { error });
    onFailure(error);
  };

  const thread = new Worker(THREAD_URL, { workerData: { walPath, buffer }, name: 'spool-sync' });
  // The spool's users keep the process alive, never its sync thread on its own. But
  // while someone waits for a sync (awaitDurable) or for the thread to end (stop), it
  // is ref'd: neither Atomics.waitAsync nor a worker's 'exit' event holds the event
  // loop open, so a bare script's `await spool.close()` ended the process half-way
  // (exit code 13, WAL not checkpointed: test/appliance/spool/close-exits.test.ts).
  thread.unref();
  let holds = 0;
  const holding = <T>(work: Promise<T>): Promise<T> => {
    if (holds++ === 0) thread.ref();
    return work.finally(() => {
      if (--holds === 0) thread.unref();
    });
  };
  thread.on('message', (message: { error: string; replaced?: boolean }) =>
    fail(message.replaced === true ? new SpoolReplacedError(message.error) : new SpoolSyncError(message.error)),
  );
  thread.on('error', fail);
  const exited = new Promise<void>((resolve) => {
    thread.once('exit', (code) => {
      if (!stopping) fail(new SpoolSyncError(`the spool WAL sync thread exited (${code})`));
      resolve();
    });
  });

  return {
    committed() {
      committed = (committed + 1) | 0;
      Atomics.store(view, COMMITTED, committed);
      Atomics.notify(view, COMMITTED);
      return committed;
    },
    get lastCommit() {
      return committed;
    },
    awaitDurable: (target = committed) => (failure !== null ? Promise.reject(failure) : holding(waiter.wait(target))),
    buffer,
    get failure() {
      return failure;
    },
    get syncs() {
      return Atomics.load(view, SYNCS) >>> 0;
    },
    stop() {
      stopping = true;
      Atomics.store(view, STOP, 1);
      Atomics.notify(view, COMMITTED);
      return holding(exited);
    },
  };
}
