// Entry of the spool owner thread: the only thread that opens spool.db. It serves the
// MessagePort of every other thread (RADIUS workers, the main thread), runs the
// owner's periodic jobs (stale-session sweep, pruning) and publishes the spool's
// stats into shared memory for /metrics and /health. Started, restarted and closed by
// owner-thread.ts. When spool.db cannot be opened it runs without it, failing every
// request at once, and retries the open with back-off (open-with-retry.ts).
//
// Why a thread of its own: a commit's fsync blocks the thread that runs it (libSQL's
// file driver is synchronous underneath its promises). On the main thread that also
// held up the supervisor, the HTTP server and the CoA client.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { ApplianceConfig } from '../config.ts';
import { limitedLog } from '../log-limiter.ts';
import { createLogger } from '../log.ts';
import { openWithRetry } from './open-with-retry.ts';
import type { SpoolOpenState } from './open-with-retry.ts';
import { serveSpool } from './port-protocol.ts';
import { openSpool } from './spool.ts';
import type { Spool } from './spool.ts';
import { writeSpoolStats } from './stats-buffer.ts';

export type OwnerData = {
  config: ApplianceConfig;
  /** SpoolStats in shared memory (stats-buffer.ts), kept across restarts of this thread. */
  stats: SharedArrayBuffer;
};

/** Main thread → owner. */
export type ToOwner = { type: 'serve'; port: MessagePort } | { type: 'close' };
/**
 * Owner → main thread. `ready` comes after the first open attempt, whether spool.db
 * opened or not (open-with-retry.ts): the ports are served either way.
 */
export type FromOwner =
  | { type: 'ready'; depth: number; openSessions: number; state: SpoolOpenState }
  | { type: 'state'; state: SpoolOpenState }
  | { type: 'closed' };

// Pruning keeps the spool within retention + this; each run deletes in slices.
const PRUNE_INTERVAL_MS = 60_000;
// A backlog above spool.backlogWarnMegabytes is logged at most this often.
const BACKLOG_WARN_INTERVAL_MS = 3_600_000;

const data = workerData as OwnerData;
const { config } = data;
const log = createLogger({
  level: config.logLevel,
  bindings: { service: 'isp-appliance', pid: process.pid, thread: 'spool' },
});
const post = (message: FromOwner) => parentPort?.postMessage(message);

let publish: () => void = () => undefined;
const jobs: NodeJS.Timeout[] = [];
let ready = false;

// The owner's periodic jobs, once the spool is open; returns what stops them (the spool
// failed while open and is being reopened: open-with-retry.ts).
const stopJobs = () => {
  for (const job of jobs.splice(0)) clearInterval(job);
};
const startJobs = (spool: Spool) => {
  publish = writeSpoolStats(data.stats, spool);
  publish();
  // Sessions that stopped sending interims, and records past retention (prune.ts).
  const pruneOnce = () => {
    spool.prune(config.spool.retentionHours * 3_600_000).then(
      (pruned) => {
        if (pruned.records > 0 || pruned.sessions > 0) log.info('spool pruned past retention', { ...pruned });
        publish();
      },
      (error: unknown) => log.error('spool pruning failed', { error }),
    );
  };
  pruneOnce();
  jobs.push(
    setInterval(() => {
      spool.sweepStaleSessions().catch((error: unknown) => log.error('stale-session sweep failed', { error }));
    }, config.sessions.sweepIntervalSeconds * 1000),
    setInterval(pruneOnce, PRUNE_INTERVAL_MS),
  );
  const backlogWarning = limitedLog(log, 'warn', BACKLOG_WARN_INTERVAL_MS);
  // Depth and open sessions also move without a commit (cursor, session flushes).
  const refresh = setInterval(() => {
    publish();
    const { depth, backlogBytes, backlogOldestAt } = spool.stats();
    if (backlogBytes > config.spool.backlogWarnMegabytes * 1_048_576) {
      backlogWarning('spool backlog above spool.backlogWarnMegabytes: records are not leaving the appliance', {
        records: depth,
        bytes: backlogBytes,
        oldestAgeSeconds: Math.round((Date.now() - backlogOldestAt) / 1000),
      });
    }
  }, 1_000);
  refresh.unref();
  jobs.push(refresh);
  return stopJobs;
};

const opener = await openWithRetry({
  path: config.spoolPath,
  log,
  open: (onError) =>
    openSpool({
      path: config.spoolPath,
      log,
      maxBatch: config.spool.maxBatch,
      maxDelayMs: config.spool.maxDelayMs,
      staleFactor: config.sessions.staleFactor,
      defaultInterimInterval: config.sessions.defaultInterimInterval,
      // Before the appends of a commit resolve: whoever sees an Accounting-Response sees its count.
      onChange: () => publish(),
      // The WAL could not be synced: this spool's memory may be ahead of the disk. The
      // thread ends (nothing more is acknowledged); owner-thread.ts starts a new owner,
      // which reopens spool.db.
      onFatal: () => {
        publish();
        process.exit(1);
      },
      onError,
    }),
  onOpen: startJobs,
  // Before `ready` the state travels in it.
  onState: (state) => {
    if (ready) post({ type: 'state', state });
  },
});

const served = new Set<() => void>();

let closing = false;
parentPort?.on('message', (message: ToOwner) => {
  if (message.type === 'serve') {
    if (closing) {
      message.port.close();
      return;
    }
    const stop = serveSpool(opener.current, message.port);
    served.add(stop);
    // The client's thread went away (a RADIUS worker crashed or was replaced).
    message.port.once('close', () => served.delete(stop));
    return;
  }
  if (message.type !== 'close' || closing) return;
  closing = true;
  void (async () => {
    await opener.stop();
    stopJobs();
    // Commits what is queued and answers it, writes sessions, checkpoints the WAL.
    await opener.current()?.close();
    publish();
    for (const stop of served) stop();
    served.clear();
    post({ type: 'closed' });
    parentPort?.close();
  })().catch((error: unknown) => {
    log.error('closing the spool failed', { error });
    process.exit(1);
  });
});

const stats = opener.current()?.stats();
ready = true;
post({ type: 'ready', depth: stats?.depth ?? 0, openSessions: stats?.openSessions ?? 0, state: opener.state() });
