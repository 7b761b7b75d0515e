// Entry of one RADIUS worker thread: its own replica reader, dictionary, spool port
// and SO_REUSEPORT sockets (one per bind address and port), serving until the main
// thread says close. Started and restarted by supervisor.ts.
import type { Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { ApplianceConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { openReplicaReader } from '../../replica/index.ts';
import type { Credentials } from '../../replica/index.ts';
import { connectSpool } from '../../spool/index.ts';
import { loadDictionary } from '../dictionary.ts';
import type { HandlerContext, PortKind } from '../handlers/index.ts';
import { openWorkerCounters } from './counters.ts';
import { createCryptChecker } from './crypt-pool.ts';
import { openDuplicateCache } from './duplicate-cache.ts';
import { createPacketLoop } from './packet-loop.ts';
import { bindUdpSocket, closeSocket, flushSends } from './sockets.ts';

export type WorkerData = {
  index: number;
  config: ApplianceConfig;
  ports: { auth: number; acct: number };
  spoolPort: MessagePort;
  counters: SharedArrayBuffer;
  duplicates: SharedArrayBuffer;
};

/** Main thread → worker. spool-port: the spool owner thread restarted; its old port is dead. */
export type ToWorker = { type: 'close' } | { type: 'spool-port'; port: MessagePort };
/** Worker → main thread. crypt-verified: see HandlerContext.restoreCredential. */
export type FromWorker =
  | { type: 'ready'; receiveBufferBytes: number }
  | { type: 'closed' }
  | { type: 'crypt-verified'; subscriberId: string; verifiedCrypt: string; fast: Credentials };

const data = workerData as WorkerData;
const { config, index } = data;
const log = createLogger({
  level: config.logLevel,
  bindings: { service: 'isp-appliance', pid: process.pid, worker: index },
});
const post = (message: FromWorker) => parentPort?.postMessage(message);

const replica = await openReplicaReader({
  path: config.replicaPath,
  keyFile: config.keyFile,
  log,
  defaults: { suspendedPolicy: config.policy.suspended, captiveProfile: config.policy.captiveProfile },
  pollIntervalMs: config.replica.pollIntervalMs,
});
const spool = connectSpool(data.spoolPort);
const counters = openWorkerCounters(data.counters);
const crypt = createCryptChecker({
  maxPending: config.radius.cryptQueueLimit,
  onBatch: (checks) => counters.cryptBatch(checks),
});
const ctx: HandlerContext = {
  config,
  log,
  dictionary: loadDictionary({ extraPaths: [...config.radius.dictionaries] }),
  replica,
  spool,
  counters,
  crypt,
  restoreCredential: (subscriberId, verifiedCrypt, fast) =>
    post({ type: 'crypt-verified', subscriberId, verifiedCrypt, fast }),
};
const loop = createPacketLoop(ctx, openDuplicateCache(data.duplicates, index));

const sockets: Socket[] = [];
for (const address of config.radius.bind) {
  for (const kind of ['auth', 'acct'] as const satisfies readonly PortKind[]) {
    const socket = await bindUdpSocket({
      address,
      port: data.ports[kind],
      receiveBufferBytes: config.radius.receiveBufferBytes,
    });
    socket.on('message', loop.listener(socket, kind));
    // Send failures (ICMP unreachable reported back, buffer full) concern one reply.
    socket.on('error', (error) => log.warn('radius socket error', { address, kind, error }));
    sockets.push(socket);
  }
}

let closing = false;
parentPort?.on('message', (message: ToWorker) => {
  if (message.type === 'spool-port') {
    spool.reconnect(message.port);
    return;
  }
  if (closing) return;
  closing = true;
  void (async () => {
    // Stop taking datagrams, but answer what is in flight (accounting waiting for its
    // fsync) before the sockets go: the spool is still open until the listeners close.
    for (const socket of sockets) socket.removeAllListeners('message');
    await loop.drained();
    await flushSends(sockets);
    await Promise.all(sockets.map(closeSocket));
    spool.close();
    replica.close();
    await crypt.close();
    post({ type: 'closed' });
    parentPort?.close();
  })();
});

post({ type: 'ready', receiveBufferBytes: sockets[0]?.getRecvBufferSize() ?? 0 });
