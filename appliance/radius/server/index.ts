// The RADIUS server: authentication and accounting (and Status-Server on both) on
// every configured address, served by `config.threads` worker threads that each own
// SO_REUSEPORT sockets (DESIGN.md "Multi-core UDP": ~55k req/s on 2 threads this way,
// against 9–14k with one Piscina task per packet). The main thread only supervises,
// hands each worker a port of the spool owner thread and aggregates metrics; it
// never touches a datagram.
//
//   main thread                                  worker thread × config.threads
//   reservePorts (port 0 → one concrete port)    replica reader, dictionary, spool port
//   supervisor: spawn, back-off restarts         bind <address>:auth/acct (reusePort)
//   duplicate cache + counters (shared memory) ◄─ packet-loop → handlers/ → reply
//   spool owner thread (serveSpool per port)  ◄─ append / countLiveSessions
import { Worker } from 'node:worker_threads';
import type { ApplianceContext, Listeners } from '../../main.ts';
import type { SpoolPortLease } from '../../spool/index.ts';
import { allocateCounters } from './counters.ts';
import { allocateDuplicateCache, MAIN_THREAD_OWNER, openDuplicateCache } from './duplicate-cache.ts';
import { registerRadiusMetrics } from './register-metrics.ts';
import { reservePorts } from './sockets.ts';
import type { PortPlan } from './sockets.ts';
import { startSupervisor } from './supervisor.ts';
import type { WorkerStatus } from './supervisor.ts';
import type { WorkerData } from './worker-main.ts';

export type RadiusServer = Listeners & {
  /** The ports actually bound (differs from the configuration only for port 0). */
  readonly ports: PortPlan;
  workers(): WorkerStatus[];
  /** Kills worker `index` as a crash would; the supervisor restarts it (operators, tests). */
  terminateWorker(index: number): Promise<void>;
};

const WORKER_URL = new URL('./worker-main.ts', import.meta.url);

export async function startRadiusServer(context: ApplianceContext): Promise<RadiusServer> {
  const { config, log } = context;
  const reservation = await reservePorts(config.radius.bind, {
    auth: config.radius.authPort,
    acct: config.radius.acctPort,
  });
  const counters = Array.from({ length: config.threads }, () => allocateCounters());
  const duplicates = allocateDuplicateCache();
  const mainView = openDuplicateCache(duplicates, MAIN_THREAD_OWNER);

  // The spool port of each worker slot's current thread, closed when that thread
  // exits (crash or shutdown), so restarts do not pile up served ports.
  const spoolPorts: Array<SpoolPortLease | undefined> = [];
  const releaseSpoolPort = (index: number) => {
    spoolPorts[index]?.close();
    spoolPorts[index] = undefined;
  };

  const supervisor = startSupervisor({
    count: config.threads,
    log,
    spawn(index) {
      const lease = context.createSpoolPort();
      spoolPorts[index] = lease;
      const workerData: WorkerData = {
        index,
        config,
        ports: reservation.ports,
        spoolPort: lease.port,
        counters: counters[index] ?? allocateCounters(),
        duplicates,
      };
      return new Worker(WORKER_URL, { workerData, transferList: [lease.port], name: `radius-${index}` });
    },
    onExit: releaseSpoolPort,
    // Whatever the dead worker had claimed in the duplicate cache is released, so the
    // NAS's retransmit of a request it never answered is processed by another worker.
    onCrash: (index) => mainView.releaseOwner(index),
    onMessage(_index, message) {
      if (message.type !== 'crypt-verified') return;
      const subscriber = message.subscriberId;
      context.replica.replaceCryptCredential(subscriber, message.verifiedCrypt, message.fast).then(
        (replaced) => {
          if (replaced) log.debug('crypt(3) credential stored in its fast form', { subscriber });
        },
        (error: unknown) =>
          log.warn('cannot store a verified crypt(3) credential in its fast form', {
            subscriber,
            error,
          }),
      );
    },
  });

  // A restarted spool owner serves none of the old ports: each running worker gets a
  // new one (a worker between restarts gets its own from spawn()).
  context.spool.onRestart(() => {
    for (let index = 0; index < config.threads; index++) {
      const lease = context.createSpoolPort();
      if (!supervisor.send(index, { type: 'spool-port', port: lease.port }, [lease.port])) {
        lease.close();
        continue;
      }
      releaseSpoolPort(index);
      spoolPorts[index] = lease;
    }
  });

  try {
    await supervisor.ready;
  } catch (error) {
    await supervisor.close(1_000);
    await reservation.release();
    throw error;
  }
  // Every worker holds the ports now; the reservation would only steal datagrams.
  await reservation.release();
  registerRadiusMetrics(context.metrics, counters, supervisor);
  log.info('radius listening', {
    bind: config.radius.bind,
    authPort: reservation.ports.auth,
    acctPort: reservation.ports.acct,
    threads: config.threads,
  });

  return {
    name: 'radius',
    ports: reservation.ports,
    workers: () => supervisor.status(),
    terminateWorker: (index) => supervisor.terminate(index),
    health() {
      const workers = supervisor.status();
      const alive = workers.filter((worker) => worker.alive).length;
      return {
        healthy: alive === workers.length,
        workersAlive: alive,
        workers: workers.length,
        restarts: supervisor.restarts(),
      };
    },
    // Leaves a second of the shutdown budget for the spool to flush after the workers.
    close: () => supervisor.close(Math.max(500, config.shutdownTimeoutMs - 1_000)),
  };
}
