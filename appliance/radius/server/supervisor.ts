// Keeps `count` worker threads running: a worker that dies (uncaught exception, out
// of memory, terminated) is logged and started again after an exponential back-off,
// so a packet that crashes a worker every time cannot spin the CPU (genieacs-style).
// The back-off starts over once a worker has stayed up for BACKOFF_RESET_MS.
import type { TransferListItem, Worker } from 'node:worker_threads';
import type { Logger } from '../../log.ts';
import type { FromWorker, ToWorker } from './worker-main.ts';

export const BACKOFF_INITIAL_MS = 100;
export const BACKOFF_MAX_MS = 30_000;
const BACKOFF_RESET_MS = 60_000;

export type SupervisorOptions = {
  count: number;
  log: Logger;
  /** Creates worker `index` (a fresh spool port each time). */
  spawn(index: number): Worker;
  /** Worker `index` exited, for whatever reason (its thread's resources can go). */
  onExit(index: number): void;
  /** A worker exited while it should have been running (before its replacement starts). */
  onCrash(index: number): void;
  /** Any other message from a worker. */
  onMessage(index: number, message: FromWorker): void;
};

export type WorkerStatus = {
  index: number;
  alive: boolean;
  threadId: number | null;
  restarts: number;
  startedAt: number | null;
};

export type Supervisor = {
  /** Resolves when every worker reported ready once; rejects if one died first. */
  readonly ready: Promise<void>;
  status(): WorkerStatus[];
  restarts(): number;
  /** Kills one worker as a crash would (operators, tests); the supervisor restarts it. */
  terminate(index: number): Promise<void>;
  /** Posts to worker `index`'s current thread; false when none runs (its next start gets a fresh spawn()). */
  send(index: number, message: ToWorker, transferList: readonly TransferListItem[]): boolean;
  /** Asks every worker to close its sockets and drain, then waits (terminating stragglers). */
  close(timeoutMs: number): Promise<void>;
};

type Slot = {
  worker: Worker | null;
  alive: boolean;
  restarts: number;
  streak: number;
  startedAt: number | null;
  timer: NodeJS.Timeout | null;
};

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const { log } = options;
  let stopping = false;
  let totalRestarts = 0;
  const slots: Slot[] = Array.from({ length: options.count }, () => ({
    worker: null,
    alive: false,
    restarts: 0,
    streak: 0,
    startedAt: null,
    timer: null,
  }));
  let readyCount = 0;
  let settleReady: { resolve: () => void; reject: (error: Error) => void } = {
    resolve: () => undefined,
    reject: () => undefined,
  };
  const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
  let initial = true;

  const start = (index: number) => {
    const slot = slots[index];
    if (slot === undefined || stopping) return;
    slot.timer = null;
    const worker = options.spawn(index);
    slot.worker = worker;
    let failure: Error | null = null;
    worker.on('message', (message: FromWorker) => {
      if (message.type !== 'ready') return options.onMessage(index, message);
      if (slot.worker !== worker) return;
      slot.alive = true;
      slot.startedAt = Date.now();
      log.info('radius worker ready', {
        worker: index,
        threadId: worker.threadId,
        receiveBufferBytes: message.receiveBufferBytes,
      });
      if (initial && ++readyCount === slots.length) {
        initial = false;
        settleReady.resolve();
      }
    });
    worker.on('error', (error) => {
      failure = error;
      log.error('radius worker failed', { worker: index, error });
    });
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      const wasAlive = slot.alive;
      const upFor = slot.startedAt === null ? 0 : Date.now() - slot.startedAt;
      slot.worker = null;
      slot.alive = false;
      slot.startedAt = null;
      options.onExit(index);
      if (stopping) return;
      options.onCrash(index);
      if (initial && !wasAlive) {
        // A worker that cannot even start (bind refused, reusePort unsupported) will not
        // do better on a retry: fail the start.
        stopping = true;
        settleReady.reject(failure ?? new Error(`radius worker ${index} exited with code ${code} before it was ready`));
        return;
      }
      slot.streak = upFor >= BACKOFF_RESET_MS ? 0 : slot.streak + 1;
      const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.max(0, slot.streak - 1));
      slot.restarts++;
      totalRestarts++;
      log.error('radius worker exited; restarting', { worker: index, code, delayMs, restarts: slot.restarts });
      slot.timer = setTimeout(() => start(index), delayMs);
    });
  };

  for (let index = 0; index < slots.length; index++) start(index);

  const waitExit = (worker: Worker, timeoutMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        log.warn('radius worker did not close in time; terminating', { threadId: worker.threadId });
        void worker.terminate();
      }, timeoutMs);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  return {
    ready,
    status: () =>
      slots.map((slot, index) => ({
        index,
        alive: slot.alive,
        threadId: slot.worker?.threadId ?? null,
        restarts: slot.restarts,
        startedAt: slot.startedAt,
      })),
    restarts: () => totalRestarts,
    async terminate(index) {
      const worker = slots[index]?.worker;
      if (worker) await worker.terminate();
    },
    send(index, message, transferList) {
      const worker = slots[index]?.worker;
      if (worker === null || worker === undefined || stopping) return false;
      worker.postMessage(message, transferList);
      return true;
    },
    async close(timeoutMs) {
      stopping = true;
      const exits: Promise<void>[] = [];
      for (const slot of slots) {
        if (slot.timer !== null) clearTimeout(slot.timer);
        const worker = slot.worker;
        if (worker === null) continue;
        exits.push(waitExit(worker, timeoutMs));
        worker.postMessage({ type: 'close' } satisfies ToWorker);
      }
      await Promise.all(exits);
    },
  };
}
