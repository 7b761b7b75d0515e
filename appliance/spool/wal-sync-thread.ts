// Entry of the spool's WAL sync thread (wal-sync.ts): fdatasync of the WAL whenever
// a commit is newer than the last sync, back to back, and the durable commit number
// published with Atomics.notify. It blocks in Atomics.wait and fdatasync, never in an
// event loop: nothing else runs on this thread.
import { closeSync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { COMMITTED, DURABLE, STOP, SYNCS } from './durable-waiter.ts';

const { walPath, buffer } = workerData as { walPath: string; buffer: SharedArrayBuffer };
const view = new Int32Array(buffer);
// The WAL exists while the writer's connection is open, and SQLite reuses it in place
// (restart, truncate), so this descriptor stays its own. fdatasync flushes the file's
// data whichever descriptor wrote it.
const fd = openSync(walPath, 'r');
// spool.db deleted or replaced under an open spool: SQLite goes on committing into the
// old inode, which nothing will ever open again, so a sync is declared durable only
// while both paths still name the files this spool opened. Otherwise the thread stops
// declaring anything durable and says so (the owner closes the spool and opens whatever
// the path names now: open-with-retry.ts).
const dbPath = walPath.replace(/-wal$/, '');
const identity = (stats: Stats) => `${stats.dev}:${stats.ino}`;
const opened = { db: identity(statSync(dbPath)), wal: identity(fstatSync(fd)) };
const replaced = (): string | null => {
  try {
    if (identity(statSync(dbPath)) === opened.db && identity(statSync(walPath)) === opened.wal) return null;
    return `${dbPath} or its WAL was replaced while the spool had it open`;
  } catch (error) {
    return `${dbPath} or its WAL is gone while the spool had it open (${(error as Error).message})`;
  }
};
// Bounds each wait, so a STOP is seen even if its notify came between load and wait.
const WAIT_MS = 100;

try {
  while (Atomics.load(view, STOP) === 0) {
    const committed = Atomics.load(view, COMMITTED);
    if (committed === Atomics.load(view, DURABLE)) {
      Atomics.wait(view, COMMITTED, committed, WAIT_MS);
      continue;
    }
    fdatasyncSync(fd);
    const gone = replaced();
    if (gone !== null) {
      parentPort?.postMessage({ error: gone, replaced: true });
      break;
    }
    Atomics.store(view, DURABLE, committed);
    Atomics.add(view, SYNCS, 1);
    Atomics.notify(view, DURABLE);
  }
} catch (error) {
  // After a failed fdatasync Linux may have dropped the unsynced pages: nothing more is
  // declared durable; the owner reopens the spool from disk.
  parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
} finally {
  closeSync(fd);
}
