// How far the spool's log is durable, in shared memory: the WAL sync thread
// (wal-sync-thread.ts) publishes the number of the last commit its fdatasync covered,
// and any thread holding the buffer (the spool owner, every RADIUS worker through its
// spool port) waits for its own commit with Atomics.waitAsync. Atomics.notify wakes
// them all at once, without a message through the owner's event loop.
//
// Counters are Int32 and wrap; they are compared as differences, which stay far
// below 2^31 (commits not yet durable).

/** Int32 slots of the shared buffer. */
export const COMMITTED = 0;
export const DURABLE = 1;
/** Non-zero once an fdatasync failed: nothing after it is ever durable. */
export const FAILED = 2;
export const SYNCS = 3;
export const STOP = 4;
export const DURABILITY_SLOTS = 5;

export class SpoolSyncError extends Error {
  override name = 'SpoolSyncError';
}

/** spool.db or its WAL no longer names the file the spool opened (deleted, renamed, replaced). */
export class SpoolReplacedError extends Error {
  override name = 'SpoolReplacedError';
}

// Atomics.waitAsync is ES2024 (in V8 and Node since 16); the project's lib is ES2023.
type WaitAsync = (
  view: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** `durable` covers commit `target` (wrap-around safe). */
const covers = (durable: number, target: number): boolean => ((durable - target) | 0) >= 0;

export type DurableWaiter = {
  /** Resolves once commit `target` is durable; rejects if a WAL sync failed. */
  wait(target: number): Promise<void>;
  /** Resolves what is durable already and rejects everything else with `error`. */
  abandon(error: unknown): void;
};

// A waiter re-reads the counters at least this often: a missed wake-up costs a delay,
// never an acknowledgement of something not durable.
const RECHECK_MS = 250;

const syncFailed = () => new SpoolSyncError('the spool WAL could not be synced; not acknowledged');

export function durableWaiter(buffer: SharedArrayBuffer): DurableWaiter {
  const view = new Int32Array(buffer);
  // Sorted by target, so release takes from the head. Targets arrive almost always in
  // commit order (a port's answers do; an in-process flush may overtake an append).
  const parked: Array<{ target: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  let head = 0;
  let armed = false;

  const release = () => {
    const durable = Atomics.load(view, DURABLE);
    for (; head < parked.length; head++) {
      const waiter = parked[head];
      if (waiter === undefined) continue;
      if (!covers(durable, waiter.target)) break;
      parked[head] = undefined as never;
      waiter.resolve();
    }
    if (head < parked.length && Atomics.load(view, FAILED) !== 0) {
      const error = syncFailed();
      for (; head < parked.length; head++) parked[head]?.reject(error);
    }
    if (head === parked.length) {
      parked.length = 0;
      head = 0;
    }
  };

  const arm = () => {
    while (!armed && head < parked.length) {
      const seen = Atomics.load(view, DURABLE);
      release();
      if (head === parked.length) return;
      const result = waitAsync(view, DURABLE, seen, RECHECK_MS);
      // Not async: DURABLE moved between the load and the wait; look again.
      if (!result.async || typeof result.value === 'string') continue;
      armed = true;
      void result.value.then(() => {
        armed = false;
        arm();
      });
    }
  };

  return {
    wait(target) {
      if (covers(Atomics.load(view, DURABLE), target)) return Promise.resolve();
      if (Atomics.load(view, FAILED) !== 0) return Promise.reject(syncFailed());
      return new Promise<void>((resolve, reject) => {
        let at = parked.length;
        while (at > head && !covers(target, parked[at - 1]?.target ?? target)) at--;
        parked.splice(at, 0, { target, resolve, reject });
        arm();
      });
    },
    abandon(error) {
      release();
      for (; head < parked.length; head++) parked[head]?.reject(error);
      parked.length = 0;
      head = 0;
    },
  };
}
