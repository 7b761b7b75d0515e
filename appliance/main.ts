// Composition root of the appliance daemon. Every daemon entry has the same shape:
// config → log → privilege drop → local state (replica, spool owner thread) → servers →
// signals → graceful shutdown that flushes the spool. cli.ts `start` calls startAppliance().
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { ApplianceConfig } from './config.ts';
import { startHttpServer } from './http-server.ts';
import type { HealthReport } from './http-server.ts';
import type { Logger } from './log.ts';
import { createMetricsRegistry } from './metrics.ts';
import type { MetricsRegistry } from './metrics.ts';
import { dropPrivileges } from './privileges.ts';
import { createCoaRoutes } from './coa-routes.ts';
import { loadControlToken } from './control-token.ts';
import { createCoaClient } from './radius/coa/index.ts';
import type { CoaClient } from './radius/coa/index.ts';
import { openReplica } from './replica/index.ts';
import type { Replica } from './replica/index.ts';
import { startSpoolThread } from './spool/index.ts';
import type { SpoolPortLease, SpoolStats, SpoolThread } from './spool/index.ts';

/** What a set of listeners (RADIUS auth/acct, CoA client) gets to work with. */
export type ApplianceContext = {
  config: ApplianceConfig;
  log: Logger;
  /** The main thread's replica (writer); worker threads open their own readers. */
  replica: Replica;
  /** The spool, owned by its own thread (spool/owner-thread.ts); stats() is synchronous. */
  spool: SpoolThread;
  metrics: MetricsRegistry;
  /**
   * The RFC 5176 CoA/Disconnect client, for listeners that act on sessions (the edge
   * sync). It closes after every listener and before the spool: a listener's commands
   * in flight are answered (`closed` at worst), and a Disconnect-ACK can still close
   * its spool session.
   */
  coa: CoaClient;
  /**
   * A MessagePort served by the spool owner thread, to transfer to one worker thread
   * (see spool/index.ts). close() closes the channel: call it when that worker is gone
   * (each restart gets a new port), or it stays open until shutdown. When the owner
   * thread restarts, every port handed out dies: context.spool.onRestart listeners
   * hand their threads new ones.
   */
  createSpoolPort(): SpoolPortLease;
};

/** Something that accepts traffic: closed first on shutdown, before the spool flushes. */
export type Listeners = {
  name: string;
  close(): Promise<void>;
  /** Merged into GET /health under `name`; an unhealthy listener makes the appliance unhealthy. */
  health?(): HealthReport;
};

export type StartOptions = {
  /** Binds and starts the packet listeners. The RADIUS servers (appliance/radius/) plug in here. */
  attachListeners?: (context: ApplianceContext) => Promise<Listeners[]>;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (default true; tests drive stop()). */
  handleSignals?: boolean;
};

export type RunningAppliance = {
  httpPort: number;
  context: ApplianceContext;
  listeners: readonly Listeners[];
  /** Graceful shutdown; resolves when everything is closed and flushed. */
  stop(reason: string): Promise<void>;
  /** Settles once the appliance has stopped (by stop() or a signal); true if cleanly. */
  stopped: Promise<boolean>;
};

const PID_FILE = 'appliance.pid';

// One appliance per data dir: the spool assumes it is the only writer of spool.db.
function acquirePidFile(dataDir: string): () => void {
  const path = join(dataDir, PID_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`another appliance (pid ${pid}) is running on ${dataDir}`);
      }
      // Left behind by a crash: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot create ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function backlogAgeSeconds(stats: SpoolStats): number {
  return stats.backlogOldestAt === 0 ? 0 : Math.max(0, Math.round((Date.now() - stats.backlogOldestAt) / 1000));
}

function registerMetrics(metrics: MetricsRegistry, replica: Replica, spool: SpoolThread, startedAt: number): void {
  metrics.collect('appliance_up_seconds', 'Seconds since the appliance started.', 'gauge', () => [
    { value: Math.round((Date.now() - startedAt) / 1000) },
  ]);
  metrics.collect(
    'appliance_replica_revision',
    'Local revision of the replica (bumps with every write).',
    'gauge',
    () => [{ value: replica.revision }],
  );
  metrics.collect(
    'appliance_replica_sync_version',
    'Edge version the replica is synced to (0: never).',
    'gauge',
    () => [{ value: replica.syncVersion }],
  );
  metrics.collect('appliance_replica_rows', 'Rows in the replica by kind.', 'gauge', () => {
    const counts = replica.counts();
    return [
      { labels: { kind: 'nas_client' }, value: counts.nasClients },
      { labels: { kind: 'profile' }, value: counts.profiles },
      { labels: { kind: 'subscriber' }, value: counts.subscribers },
    ];
  });
  metrics.collect('appliance_spool_depth', 'Accounting records not yet shipped to the edge.', 'gauge', () => [
    { value: spool.stats().depth },
  ]);
  const backlogBytes = 'Bytes of the accounting records not yet shipped to the edge.';
  metrics.collect('appliance_spool_backlog_bytes', backlogBytes, 'gauge', () => [
    { value: spool.stats().backlogBytes },
  ]);
  const backlogAge = 'Age of the oldest record not yet shipped (0: none).';
  metrics.collect('appliance_spool_backlog_oldest_seconds', backlogAge, 'gauge', () => [
    { value: backlogAgeSeconds(spool.stats()) },
  ]);
  const pruned = 'Accounting records deleted past spool.retentionHours.';
  metrics.collect('appliance_spool_pruned_records_total', pruned, 'counter', () => [
    { value: spool.stats().prunedRecords },
  ]);
  metrics.collect('appliance_spool_queued', 'Accounting records waiting for the next commit.', 'gauge', () => [
    { value: spool.stats().queued },
  ]);
  metrics.collect('appliance_spool_records_total', 'Accounting records stored.', 'counter', () => [
    { value: spool.stats().appended },
  ]);
  metrics.collect(
    'appliance_spool_duplicates_total',
    'Accounting records recognized as retransmits and not stored again.',
    'counter',
    () => [{ value: spool.stats().duplicates }],
  );
  metrics.collect('appliance_spool_commits_total', 'Spool transactions committed (each one fsync).', 'counter', () => [
    { value: spool.stats().commits },
  ]);
  metrics.collect(
    'appliance_spool_commit_failures_total',
    'Spool transactions that failed (records not acknowledged).',
    'counter',
    () => [{ value: spool.stats().failedCommits }],
  );
  metrics.collect(
    'appliance_spool_commit_seconds_total',
    'Time the spool owner thread spent in commits (the WAL sync runs beside it).',
    'counter',
    () => [{ value: spool.stats().commitMillisTotal / 1000 }],
  );
  metrics.collect(
    'appliance_spool_wal_syncs_total',
    'fdatasyncs of the spool WAL (each makes every commit before it durable).',
    'counter',
    () => [{ value: spool.stats().walSyncs }],
  );
  metrics.collect('appliance_sessions_open', 'Open accounting sessions.', 'gauge', () => [
    { value: spool.stats().openSessions },
  ]);
  metrics.collect(
    'appliance_spool_thread_alive',
    'Whether the spool owner thread is up (0 while it restarts).',
    'gauge',
    () => [{ value: spool.status().alive ? 1 : 0 }],
  );
  metrics.collect(
    'appliance_spool_thread_restarts_total',
    'Restarts of the spool owner thread after it died.',
    'counter',
    () => [{ value: spool.status().restarts }],
  );
  const spoolOpenHelp = 'Whether spool.db is open (0: accounting is not answered; /health says why).';
  const spoolOpen = () => (spool.status().open?.state === 'open' ? 1 : 0);
  metrics.collect('appliance_spool_open', spoolOpenHelp, 'gauge', () => [{ value: spoolOpen() }]);
}

// GET /health `spool`: down while the owner thread restarts, while spool.db cannot be
// opened (spool/open-with-retry.ts: reason, error, next retry) or while commits fail.
function describeSpool(spool: SpoolThread): HealthReport {
  const owner = spool.status();
  const open = owner.open;
  const commitFailed = spool.stats().lastCommitFailed;
  const state = !owner.alive || open === null ? 'restarting' : open.state;
  return {
    healthy: state === 'open' && !commitFailed,
    state,
    alive: owner.alive,
    restarts: owner.restarts,
    lastCommitFailed: commitFailed,
    ...(open === null
      ? {}
      : {
          since: new Date(open.since).toISOString(),
          attempts: open.attempts,
          reason: open.reason,
          error: open.error,
          retryInMs: open.retryAt === null ? null : Math.max(0, open.retryAt - Date.now()),
          movedAside: open.movedAside,
        }),
  };
}

export async function startAppliance(
  config: ApplianceConfig,
  log: Logger,
  options: StartOptions = {},
): Promise<RunningAppliance> {
  const startedAt = Date.now();
  log.info('starting appliance', { dataDir: config.dataDir, configFile: config.configFile, threads: config.threads });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const releasePidFile = acquirePidFile(config.dataDir);
  const cleanups: Array<() => Promise<void> | void> = [releasePidFile];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    // Root hands over to `user` before anything is opened or bound, so that every
    // socket, including those of restarted RADIUS workers, belongs to one uid
    // (privileges.ts explains why).
    dropPrivileges({
      user: config.user,
      group: config.group,
      dataDir: config.dataDir,
      ports: [
        { key: 'radius.authPort', port: config.radius.authPort },
        { key: 'radius.acctPort', port: config.radius.acctPort },
        { key: 'http.port', port: config.http.port },
      ],
      log,
    });
    // After the privilege drop: the token file belongs to the service user.
    const controlToken = loadControlToken(config.dataDir, log);
    const replica = await openReplica({
      path: config.replicaPath,
      keyFile: config.keyFile,
      log,
      defaults: { suspendedPolicy: config.policy.suspended, captiveProfile: config.policy.captiveProfile },
      pollIntervalMs: config.replica.pollIntervalMs,
      authMethods: config.auth.methods,
    });
    cleanups.push(() => replica.close());

    // The spool's owner thread opens spool.db and runs the stale-session sweep and
    // pruning; it closes last (after the listeners answered what they had in flight).
    // A spool.db that cannot be opened does not stop the start: authentication needs
    // only the replica (spool/open-with-retry.ts).
    const spool = await startSpoolThread(config, log);
    cleanups.push(() => spool.close(Math.max(500, config.shutdownTimeoutMs - 500)));
    log.info('local state open', {
      replicaRevision: replica.revision,
      ...replica.counts(),
      spoolDepth: spool.stats().depth,
      openSessions: spool.stats().openSessions,
    });

    const metrics = createMetricsRegistry();
    registerMetrics(metrics, replica, spool, startedAt);

    // RFC 5176 CoA/Disconnect client; operators reach it through POST /coa/* on the
    // local HTTP port (bearer token: control-token.ts), listeners through the context. Closed after the listeners and
    // the HTTP server, before the spool.
    const coa = createCoaClient({
      replica,
      spool,
      config,
      log,
      metrics,
      bind: {
        ipv4: config.coa.sourceAddress.find((value) => isIPv4(value)),
        ipv6: config.coa.sourceAddress.find((value) => isIPv6(value)),
      },
    });
    cleanups.push(() => coa.close());

    const context: ApplianceContext = {
      config,
      log,
      replica,
      spool,
      metrics,
      coa,
      createSpoolPort: () => spool.createPort(),
    };

    // Set once the listeners are attached (after the HTTP server, which must be up first).
    let listeners: Listeners[] = [];
    const http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      registry: metrics,
      log,
      commands: { routes: createCoaRoutes(coa), token: controlToken },
      health: () => {
        const stats = spool.stats();
        const parts: Record<string, HealthReport> = { spool: describeSpool(spool) };
        for (const listener of listeners) if (listener.health) parts[listener.name] = listener.health();
        // Which parts are down: with only the spool down, RADIUS still authenticates.
        const down = Object.entries(parts).flatMap(([name, part]) => (part.healthy ? [] : [name]));
        return {
          healthy: down.length === 0,
          down,
          replicaRevision: replica.revision,
          syncVersion: replica.syncVersion,
          spoolDepth: stats.depth,
          // Not yet shipped to the edge (until one is paired, held for spool.retentionHours).
          spoolBacklog: {
            records: stats.depth,
            bytes: stats.backlogBytes,
            oldestAgeSeconds: backlogAgeSeconds(stats),
            aboveWarning: stats.backlogBytes > config.spool.backlogWarnMegabytes * 1_048_576,
          },
          openSessions: stats.openSessions,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          ...parts,
        };
      },
    });
    cleanups.push(() => http.close());
    log.info('http listening', { host: config.http.host, port: http.port });

    // The RADIUS servers (cli.ts attaches appliance/radius/server) bind here.
    listeners = options.attachListeners === undefined ? [] : await options.attachListeners(context);
    if (listeners.length === 0) log.warn('no RADIUS listeners attached: this build serves only /health and /metrics');
    // Listeners close first on shutdown (after everything else was registered, so
    // reverse order runs them first): no new records once the spool starts flushing.
    for (const listener of listeners) cleanups.push(() => listener.close());

    let settle: (clean: boolean) => void = () => undefined;
    const stopped = new Promise<boolean>((resolve) => (settle = resolve));
    let stopping: Promise<void> | null = null;

    const signals: Array<[NodeJS.Signals, () => void]> = [];
    const stop = (reason: string): Promise<void> => {
      if (stopping !== null) return stopping;
      log.info('stopping appliance', { reason });
      for (const [signal, handler] of signals) process.off(signal, handler);
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs).unref(),
      );
      stopping = Promise.race([runCleanups().then(() => 'done' as const), timeout]).then(
        (outcome) => {
          if (outcome === 'timeout')
            log.error('shutdown timed out; records queued but not committed were not acknowledged', {
              timeoutMs: config.shutdownTimeoutMs,
            });
          else log.info('appliance stopped');
          settle(outcome === 'done');
        },
        (error: unknown) => {
          log.error('shutdown failed', { error });
          settle(false);
        },
      );
      return stopping;
    };

    if (options.handleSignals !== false) {
      const onTerminate = (signal: NodeJS.Signals) => () => void stop(signal);
      const onHangup = () => log.warn('SIGHUP ignored: restart the appliance to apply configuration changes');
      signals.push(['SIGTERM', onTerminate('SIGTERM')], ['SIGINT', onTerminate('SIGINT')], ['SIGHUP', onHangup]);
      for (const [signal, handler] of signals) process.on(signal, handler);
    }

    log.info('appliance started', {
      startupMs: Date.now() - startedAt,
      listeners: listeners.map((listener) => listener.name),
    });
    return { httpPort: http.port, context, listeners, stop, stopped };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}
