// The main thread's side of the spool owner thread (owner-main.ts): starts it, hands
// it the MessagePorts of the other threads, restarts it when it dies and closes it
// last on shutdown.
//
// Crashes. The owner thread is restarted like a RADIUS worker (radius/server/
// supervisor.ts): after 100 ms, doubling per consecutive crash up to 30 s, the streak
// forgotten after a minute up. Nothing acknowledged is lost: an append resolves only
// after its COMMIT (fsync), and the new owner reopens spool.db, whose log holds every
// committed record (sessions are replayed from it). Appends that were outstanding
// when the thread died are rejected on their clients' side (port-protocol.ts): not
// acknowledged, so the NAS retransmits, and the record key recognizes a record that
// had been committed after all. Every port of the dead owner is dead; once the new
// owner is ready the main thread's own client reconnects and the onRestart listeners
// (the RADIUS server) hand their threads new ports.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { ApplianceConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { SpoolOpenState } from './open-with-retry.ts';
import type { FromOwner, OwnerData, ToOwner } from './owner-main.ts';
import { connectSpool } from './port-protocol.ts';
import type { SpoolClient } from './port-protocol.ts';
import type { SpoolStats } from './spool.ts';
import { allocateSpoolStats, readSpoolStats } from './stats-buffer.ts';

const OWNER_URL = new URL('./owner-main.ts', import.meta.url);
// The RADIUS workers' restart policy (radius/server/supervisor.ts).
const BACKOFF_INITIAL_MS = 100;
const BACKOFF_MAX_MS = 30_000;
const BACKOFF_RESET_MS = 60_000;

/** One end of a channel served by the spool owner, to transfer to another thread. */
export type SpoolPortLease = {
  readonly port: MessagePort;
  /** That thread is gone (or the port is not needed): closes the channel; the owner stops serving it. */
  close(): void;
};

export type SpoolThreadStatus = {
  alive: boolean;
  restarts: number;
  threadId: number | null;
  /** Whether the owner has spool.db open, and if not why (open-with-retry.ts); null while no owner runs. */
  open: SpoolOpenState | null;
};

/** What the main thread holds of the spool. */
export type SpoolThread = Omit<SpoolClient, 'reconnect' | 'close'> & {
  /** The owner's stats as of its last commit (shared memory: synchronous). */
  stats(): SpoolStats;
  status(): SpoolThreadStatus;
  /** A port for another thread; after an owner restart, onRestart listeners must replace it. */
  createPort(): SpoolPortLease;
  /** Called once a restarted owner is ready: every port handed out before is dead. */
  onRestart(listener: () => void): void;
  /** Kills the owner thread as a crash would; it is restarted (operators, tests). */
  terminate(): Promise<void>;
  /** Commits what is queued, writes sessions, checkpoints, ends the thread. */
  close(timeoutMs: number): Promise<void>;
};

export async function startSpoolThread(config: ApplianceConfig, log: Logger): Promise<SpoolThread> {
  const statsBuffer = allocateSpoolStats();
  const restartListeners: Array<() => void> = [];
  let worker: Worker | null = null;
  let alive = false;
  let stopping = false;
  let restarts = 0;
  let streak = 0;
  let startedAt = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  let openState: SpoolOpenState | null = null;
  // Ports created while no owner runs, served by the next one.
  let pending: MessagePort[] = [];

  const serve = (port: MessagePort) => {
    if (alive && worker !== null) worker.postMessage({ type: 'serve', port } satisfies ToOwner, [port]);
    else pending.push(port);
  };

  const channel = () => {
    const { port1, port2 } = new MessageChannel();
    serve(port1);
    return port2;
  };

  const spawn = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const thread = new Worker(OWNER_URL, {
        workerData: { config, stats: statsBuffer } satisfies OwnerData,
        name: 'spool',
      });
      worker = thread;
      let failure: Error | null = null;
      thread.on('message', (message: FromOwner) => {
        if (worker !== thread) return;
        if (message.type === 'state') openState = message.state;
        if (message.type !== 'ready') return;
        openState = message.state;
        alive = true;
        startedAt = Date.now();
        const queued = pending;
        pending = [];
        for (const port of queued) serve(port);
        log.info('spool owner ready', {
          threadId: thread.threadId,
          spoolState: message.state.state,
          spoolDepth: message.depth,
          openSessions: message.openSessions,
        });
        resolve();
      });
      thread.on('error', (error) => {
        failure = error;
        log.error('spool owner failed', { error });
      });
      thread.on('exit', (code) => {
        if (worker !== thread) return;
        const wasAlive = alive;
        const upFor = wasAlive ? Date.now() - startedAt : 0;
        worker = null;
        alive = false;
        openState = null;
        // Its ports died with it; pending ones were meant for it only if it was up.
        if (!wasAlive) {
          // Died before its first open attempt finished (a spool.db that cannot be
          // opened does not get here: the owner runs without it, open-with-retry.ts).
          reject(failure ?? new Error(`spool owner exited with code ${code} before it was ready`));
          if (restarts === 0 && !stopping) return;
        }
        if (stopping) return;
        streak = upFor >= BACKOFF_RESET_MS ? 0 : streak + 1;
        const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.max(0, streak - 1));
        restarts++;
        log.error('spool owner exited; restarting', { code, delayMs, restarts });
        restartTimer = setTimeout(restart, delayMs);
      });
    });

  const restart = () => {
    restartTimer = null;
    if (stopping) return;
    spawn().then(
      () => {
        client.reconnect(channel());
        for (const listener of restartListeners) listener();
      },
      // The exit handler has scheduled the next attempt.
      () => undefined,
    );
  };

  await spawn();
  const client = connectSpool(channel());

  return {
    append: (records) => client.append(records),
    countLiveSessions: (username) => client.countLiveSessions(username),
    listLiveSessions: (username) => client.listLiveSessions(username),
    closeSession: (nasId, sessionId, address) => client.closeSession(nasId, sessionId, address),
    readOutbox: (afterSeq, limit) => client.readOutbox(afterSeq, limit),
    markShipped: (seq) => client.markShipped(seq),
    stats: () => readSpoolStats(statsBuffer),
    status: () => ({ alive, restarts, threadId: worker?.threadId ?? null, open: openState }),
    createPort() {
      const port = channel();
      return { port, close: () => port.close() };
    },
    onRestart(listener) {
      restartListeners.push(listener);
    },
    async terminate() {
      await worker?.terminate();
    },
    async close(timeoutMs) {
      stopping = true;
      if (restartTimer !== null) clearTimeout(restartTimer);
      client.close();
      for (const port of pending.splice(0)) port.close();
      const thread = worker;
      if (thread === null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.error(
            'spool owner did not close in time; terminating (records queued but not committed were not acknowledged)',
            { timeoutMs },
          );
          void thread.terminate();
        }, timeoutMs);
        thread.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        thread.postMessage({ type: 'close' } satisfies ToOwner);
      });
    },
  };
}
