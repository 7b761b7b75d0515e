// Entry of the spool's WAL checkpoint thread (wal-checkpoint.ts): a PASSIVE checkpoint
// every intervalMs when the writer committed since the last one. It blocks in
// Atomics.wait and in SQLite, never in an event loop: nothing else runs on this thread.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'libsql';
import { COMMITTED } from './durable-waiter.ts';
import { CHECKPOINT_STOP, CHECKPOINTS } from './wal-checkpoint.ts';

const { path, durability, control, intervalMs } = workerData as {
  path: string;
  durability: SharedArrayBuffer;
  control: SharedArrayBuffer;
  intervalMs: number;
};
const commits = new Int32Array(durability);
const view = new Int32Array(control);

// No busy wait: a PASSIVE checkpoint takes what it can without waiting for anyone.
const db = new Database(path, { timeout: 0 });
try {
  // The WAL is synced before its pages are copied, spool.db before they count as copied.
  db.exec('PRAGMA synchronous = FULL');
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  // The counter starts at 0 with the spool: any commit, even one made while this thread
  // was starting, is one to checkpoint.
  let seen = 0;
  while (Atomics.load(view, CHECKPOINT_STOP) === 0) {
    Atomics.wait(view, CHECKPOINT_STOP, 0, intervalMs);
    const committed = Atomics.load(commits, COMMITTED);
    if (committed === seen || Atomics.load(view, CHECKPOINT_STOP) !== 0) continue;
    seen = committed;
    checkpoint.run();
    Atomics.add(view, CHECKPOINTS, 1);
  }
} catch (error) {
  parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
} finally {
  db.close();
}
