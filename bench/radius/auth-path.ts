// Micro-bench: the appliance's Access-Request path inside one worker thread, without
// the network: a worker's packet loop (appliance/radius/server/packet-loop.ts) over
// the bench users imported into a temp data dir, fed signed PAP Access-Requests
// (traffic.ts) with a socket stand-in that only counts replies. Decode, NAS lookup,
// signature checks, duplicate cache, handler, reply encoding and signing are what is
// timed; the UDP syscalls are not. Requests are handed over in bursts of --burst with
// a macrotask between bursts, as a busy socket delivers them. Speed is reported,
// never asserted.
//
//   node bench/radius/auth-path.ts [--requests N] [--rounds R] [--burst B]
//
// Prints JSON: CPU µs per request for each round and the minimum.
import type { RemoteInfo, Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../appliance/config.ts';
import { createLogger } from '../../appliance/log.ts';
import { loadDictionary } from '../../appliance/radius/dictionary.ts';
import type { HandlerContext } from '../../appliance/radius/handlers/index.ts';
import { allocateCounters, openWorkerCounters } from '../../appliance/radius/server/counters.ts';
import { createCryptChecker } from '../../appliance/radius/server/crypt-pool.ts';
import { allocateDuplicateCache, openDuplicateCache } from '../../appliance/radius/server/duplicate-cache.ts';
import { createPacketLoop } from '../../appliance/radius/server/packet-loop.ts';
import { openReplicaReader } from '../../appliance/replica/index.ts';
import type { SpoolClient } from '../../appliance/spool/index.ts';
import { importIntoAppliance } from './appliance.ts';
import { BENCH_SECRET, DEFAULT_USERS, buildAccessRequest, makeUsers, resolveAttributes } from './traffic.ts';
import { renderClientsConf, renderUsersFile } from './users-file.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '8' },
    burst: { type: 'string', default: '64' },
  },
});
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
const BURST = Number(args.burst);

const root = mkdtempSync(join(tmpdir(), 'bench-auth-path-'));
try {
  const dataDir = join(root, 'data');
  const usersFile = join(root, 'users');
  const clientsConf = join(root, 'clients.conf');
  const users = makeUsers(DEFAULT_USERS);
  writeFileSync(usersFile, renderUsersFile(users));
  writeFileSync(clientsConf, renderClientsConf(BENCH_SECRET));
  importIntoAppliance({ dataDir, authPort: 0, acctPort: 0, httpPort: 0 }, clientsConf, usersFile);

  const config = loadConfig({ env: { APPLIANCE_DATA_DIR: dataDir, APPLIANCE_LOG_LEVEL: 'warn' } });
  const log = createLogger({ level: config.logLevel, bindings: { service: 'bench' } });
  const replica = await openReplicaReader({
    path: config.replicaPath,
    keyFile: config.keyFile,
    log,
    defaults: { suspendedPolicy: config.policy.suspended, captiveProfile: config.policy.captiveProfile },
    pollIntervalMs: 3_600_000,
  });
  const unused = () => Promise.reject(new Error('no spool in this bench'));
  const spool: SpoolClient = {
    append: unused,
    countLiveSessions: unused,
    listLiveSessions: unused,
    closeSession: unused,
    readOutbox: unused,
    markShipped: unused,
    reconnect: () => undefined,
    close: () => undefined,
  };
  const dictionary = loadDictionary({ extraPaths: [...config.radius.dictionaries] });
  const crypt = createCryptChecker({ maxPending: config.radius.cryptQueueLimit });
  const counters = openWorkerCounters(allocateCounters());
  // The bench's users have no crypt(3) hashes: nothing is ever restored.
  const restoreCredential = () => undefined;
  const ctx: HandlerContext = { config, log, dictionary, replica, spool, counters, crypt, restoreCredential };
  const loop = createPacketLoop(ctx, openDuplicateCache(allocateDuplicateCache(), 0));

  let replies = 0;
  let accepts = 0;
  const socket = {
    send(reply: Buffer) {
      replies++;
      if (reply[0] === 2) accepts++;
    },
  } as unknown as Socket;
  const listener = loop.listener(socket, 'auth');

  const attributes = resolveAttributes(dictionary);
  const secret = Buffer.from(BENCH_SECRET);
  const remotes: RemoteInfo[] = Array.from({ length: 16 }, (_, index) => ({
    address: '127.0.0.1',
    family: 'IPv4',
    port: 40_000 + index,
    size: 0,
  }));
  // Fresh Request Authenticators every round: each request is new to the duplicate cache.
  const makeRound = (round: number) =>
    Array.from({ length: REQUESTS }, (_, index) => {
      const user = users[(index * 7919 + round) % users.length]!;
      return buildAccessRequest(attributes, dictionary, secret, index & 0xff, user, round * REQUESTS + index);
    });

  const perRequest: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const datagrams = makeRound(round);
    replies = 0;
    accepts = 0;
    const before = process.cpuUsage();
    for (let index = 0; index < datagrams.length; index++) {
      listener(datagrams[index]!, remotes[index & 15]!);
      if (index % BURST === BURST - 1) await nextTurn();
    }
    await loop.drained();
    const used = process.cpuUsage(before);
    if (replies !== REQUESTS || accepts !== REQUESTS)
      throw new Error(`round ${round}: ${accepts} accepts, ${replies} replies of ${REQUESTS}`);
    perRequest.push(Math.round(((used.user + used.system) / REQUESTS) * 100) / 100);
  }
  await crypt.close();
  replica.close();
  console.log(
    JSON.stringify(
      {
        requests: REQUESTS,
        rounds: ROUNDS,
        burst: BURST,
        load_average: loadavg().map((value) => Math.round(value * 100) / 100),
        cpu_us_per_request: perRequest,
        min_cpu_us_per_request: Math.min(...perRequest),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
