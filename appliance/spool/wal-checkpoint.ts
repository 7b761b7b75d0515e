// WAL checkpoints of the spool on a thread of their own (wal-checkpoint-thread.ts).
//
// Why. SQLite's automatic checkpoint runs inside the COMMIT of the connection that
// pushed the WAL past its threshold: on the spool owner, in the commit path of every
// acknowledgement. Each one copies the WAL's pages into spool.db and fsyncs both files
// (strace under the FreeRADIUS comparison's one-port accounting load: a pair of owner
// fsyncs every ~4 MB of WAL, up to 10 ms each on a busy machine, with every commit,
// and every Accounting-Response behind it, waiting). The checkpoint thread copies the
// pages with PASSIVE checkpoints, which never wait for or block the writer, whenever
// commits happened since its last one. The writer keeps an automatic checkpoint at a
// higher threshold (record-writer.ts): a PASSIVE checkpoint cannot finish while
// commits keep coming, and only a finished one lets the writer start the WAL over, so
// the owner's own checkpoint still ends each WAL generation, with little left to copy.
//
// Durability is SQLite's: the checkpoint connection syncs the WAL before copying and
// spool.db before marking the frames copied (synchronous=FULL), so the writer reuses
// the WAL only once its content is safe in the database file. A failed checkpoint is
// logged and the thread ends; the writer's own checkpoints keep the WAL bounded.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';

export type WalCheckpoints = {
  /** Checkpoints the thread ran. */
  readonly count: number;
  /** Ends the thread after its current checkpoint (it holds a connection); resolves once it has exited. */
  stop(): Promise<void>;
};

/** Int32 slots of the thread's control buffer. */
export const CHECKPOINT_STOP = 0;
export const CHECKPOINTS = 1;
export const CHECKPOINT_SLOTS = 2;

// Often enough that the writer's own checkpoint finds little to copy (~2.5 MB of WAL at
// 10 MB/s), rarely enough that an idle spool costs nothing (no commit, no checkpoint).
const INTERVAL_MS = 250;

const THREAD_URL = new URL('./wal-checkpoint-thread.ts', import.meta.url);

/** `durability`: the WAL sync counters (durable-waiter.ts); a checkpoint runs only after new commits. */
export function startWalCheckpoints(path: string, durability: SharedArrayBuffer, log: Logger): WalCheckpoints {
  const control = new SharedArrayBuffer(CHECKPOINT_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(control);
  const thread = new Worker(THREAD_URL, {
    workerData: { path, durability, control, intervalMs: INTERVAL_MS },
    name: 'spool-checkpoint',
  });
  // Never what keeps the process alive, except while stop() waits for it.
  thread.unref();
  let stopping = false;
  thread.on('message', (message: { error: string }) =>
    log.error('spool WAL checkpoint failed; the writer checkpoints by itself from now on', { error: message.error }),
  );
  thread.on('error', (error) => log.error('spool WAL checkpoint thread failed', { error }));
  const exited = new Promise<void>((resolve) => {
    thread.once('exit', (code) => {
      if (!stopping && code !== 0) log.error('spool WAL checkpoint thread exited', { code });
      resolve();
    });
  });
  return {
    get count() {
      return Atomics.load(view, CHECKPOINTS);
    },
    stop() {
      stopping = true;
      Atomics.store(view, CHECKPOINT_STOP, 1);
      Atomics.notify(view, CHECKPOINT_STOP);
      thread.ref();
      return exited;
    },
  };
}
