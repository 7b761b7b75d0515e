// Fuzz bench: ≥ 1M mutated and random datagrams at the appliance's auth and acct ports.
// Must report 0 crashes (the process alive, no worker restarts, control requests still
// answered) and 0 positive answers (Access-Accept, Accounting-Response) to anything
// the independent oracle (fuzz-mutations.ts) does not find validly signed.
//
//   node bench/radius/fuzz.ts [--packets 1000000] [--burst 128] [--sockets 8] [--seconds 600]
//        [--in-process]                the codec + verify + PAP path in this process instead
//        [--port P --acct-port Q --metrics-port M]   an appliance already running (bench users imported)
//        [--seed N] [--note TEXT] [--out FILE]        the seed of the mutation PRNG (reported; reuse it to reproduce)
//
// Without --port it imports the bench users into a temp data dir and starts its own
// appliance on 127.0.0.1 (like compare.ts); if that does not serve RADIUS, it falls back
// to --in-process and says so. Writes bench/results/radius-fuzz.json (or --out).
import { randomInt as cryptoRandomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  authenticatePap,
  decodePacket,
  getString,
  loadDictionary,
  PacketCode,
  RadiusDecodeError,
  verifyReply,
  verifyRequest,
} from '../../appliance/radius/index.ts';
import type { Dictionary } from '../../appliance/radius/index.ts';
import { applianceDataDir, importIntoAppliance, startAppliance } from './appliance.ts';
import type { RunningAppliance } from './appliance.ts';
import { isValidlySigned, mutate, randomDatagram, randomInt, seedRandom } from './fuzz-mutations.ts';
import { waitForServer } from './load.ts';
import { metricDiff, scrapeMetrics } from './scrape.ts';
import { shellQuote } from './proc-cpu.ts';
import {
  BENCH_SECRET,
  DEFAULT_USERS,
  buildAccessRequest,
  buildAccountingRequest,
  makeUsers,
  resolveAttributes,
} from './traffic.ts';
import type { AcctStatus, BenchUser } from './traffic.ts';
import { renderClientsConf, renderUsersFile } from './users-file.ts';

const { values: args } = parseArgs({
  options: {
    packets: { type: 'string', default: '1000000' },
    burst: { type: 'string', default: '128' },
    sockets: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '600' },
    'in-process': { type: 'boolean', default: false },
    port: { type: 'string' },
    'acct-port': { type: 'string' },
    'metrics-port': { type: 'string' },
    'port-base': { type: 'string', default: '28142' },
    seed: { type: 'string' },
    note: { type: 'string' },
    out: { type: 'string', default: 'bench/results/radius-fuzz.json' },
  },
});
const SEED = args.seed === undefined ? cryptoRandomInt(0, 2 ** 32 - 1) : Number(args.seed);
seedRandom(SEED);
const PACKETS = Math.min(Math.max(Number(args.packets), 1), 100_000_000);
const BURST = Math.min(Math.max(Number(args.burst), 1), 200);
const SOCKETS = Math.min(Math.max(Number(args.sockets), 1), 32);
const DEADLINE_MS = Math.min(Math.max(Number(args.seconds), 1), 3600) * 1000;
const secret = Buffer.from(BENCH_SECRET);
const dictionary = loadDictionary();
const attributes = resolveAttributes(dictionary);
const users = makeUsers(DEFAULT_USERS);
const usersByName = new Map(users.map((user) => [user.name, user]));

interface Tally {
  sent: number;
  random: number;
  mutated: number;
  /** Positive answers to validly signed mutations (padding past Length, no-op mutations): legitimate. */
  accepts_signed: number;
  /**
   * Positive answers (Access-Accept, Accounting-Response, Status-Server Accept) to datagrams not validly signed: must
   * be 0.
   */
  accepts_unsigned: number;
  /** Any answer at all to datagrams not validly signed (RFC 2865/3579: silently discard). */
  replies_unsigned: number;
  /** Replies that verify against none of the datagrams sent with that identifier. */
  unattributable_replies: number;
  /** Crashes: exceptions other than RadiusDecodeError (in-process), process exit or worker restarts (appliance). */
  crashes: number;
  controls_sent: number;
  /** Controls answered positively (Access-Accept / Accounting-Response) within 2 s. */
  controls_answered: number;
  examples: string[];
}

const tally: Tally = {
  sent: 0,
  random: 0,
  mutated: 0,
  accepts_signed: 0,
  accepts_unsigned: 0,
  replies_unsigned: 0,
  unattributable_replies: 0,
  crashes: 0,
  controls_sent: 0,
  controls_answered: 0,
  examples: [],
};

function recordExample(kind: string, packet: Buffer): void {
  if (tally.examples.length < 20) tally.examples.push(`${kind}: ${packet.toString('hex')}`);
}

// A corpus of well-formed, signed requests that are never sent as they are (so no
// reply to them can sit in a server's RFC 5080 duplicate cache and be replayed).
function buildCorpus(size: number): Buffer[] {
  const corpus: Buffer[] = [];
  const statuses: AcctStatus[] = ['Start', 'Interim-Update', 'Stop'];
  for (let index = 0; index < size; index++) {
    const user = users[randomInt(0, users.length)] as BenchUser;
    if (index % 2 === 0) {
      corpus.push(buildAccessRequest(attributes, dictionary, secret, randomInt(0, 256), user, randomInt(0, 2 ** 31)));
    } else {
      const session = {
        user,
        number: index,
        id: randomInt(0, 2 ** 32)
          .toString(16)
          .padStart(8, '0'),
        elapsed: 600,
        inputOctets: 5e9,
        outputOctets: 9e9,
      };
      corpus.push(
        buildAccountingRequest(
          attributes,
          dictionary,
          secret,
          randomInt(0, 256),
          session,
          statuses[index % 3] as AcctStatus,
        ),
      );
    }
  }
  return corpus;
}

function freshBase(index: number): Buffer {
  const user = users[randomInt(0, users.length)] as BenchUser;
  if (index % 2 === 0)
    return buildAccessRequest(attributes, dictionary, secret, randomInt(0, 256), user, randomInt(0, 2 ** 31));
  const statuses: AcctStatus[] = ['Start', 'Interim-Update', 'Stop'];
  const session = {
    user,
    number: index,
    id: randomInt(0, 2 ** 31)
      .toString(16)
      .padStart(8, '0'),
    elapsed: 600,
    inputOctets: 5e9,
    outputOctets: 9e9,
  };
  return buildAccountingRequest(
    attributes,
    dictionary,
    secret,
    randomInt(0, 256),
    session,
    statuses[randomInt(0, 3)] as AcctStatus,
  );
}

// Every mutation starts from a freshly signed request: no two datagrams share a
// Request Authenticator, so a reply is attributable to one datagram (a reply to a
// validly signed sibling would verify against an unsigned sibling too) and RFC 5080
// duplicate detection never answers a mutation from the cache of a signed original.
function nextFuzzDatagram(corpus: readonly Buffer[]): Buffer {
  if (randomInt(0, 10) === 0) {
    tally.random++;
    return randomDatagram();
  }
  tally.mutated++;
  const other = corpus[randomInt(0, corpus.length)] as Buffer;
  return mutate(freshBase(tally.mutated), other).packet;
}

// ---- in-process: the server's per-datagram path without sockets -------------------
function runInProcess(dict: Dictionary): void {
  const userName = dict.requireAttribute('User-Name');
  let corpus = buildCorpus(512);
  const deadline = Date.now() + DEADLINE_MS;
  for (let index = 0; index < PACKETS; index++) {
    if ((index & 0xffff) === 0) {
      if (Date.now() > deadline) break;
      corpus = buildCorpus(512);
    }
    const datagram = nextFuzzDatagram(corpus);
    tally.sent++;
    let positive = false;
    try {
      const request = decodePacket(datagram, dict);
      const outcome = verifyRequest(request, secret, { requireMessageAuthenticator: true });
      if (outcome === 'ok') {
        if (request.code === PacketCode.accessRequest) {
          const name = getString(request, userName);
          const user = name === undefined ? undefined : usersByName.get(name);
          positive =
            user !== undefined && authenticatePap(request, secret, { kind: 'cleartext', password: user.password }).ok;
        } else {
          // Accounting-Request and Status-Server: a verified request gets a positive answer.
          positive = request.code === PacketCode.accountingRequest || request.code === PacketCode.statusServer;
        }
      }
    } catch (error) {
      if (!(error instanceof RadiusDecodeError)) {
        tally.crashes++;
        recordExample(`crash ${(error as Error).message}`, datagram);
      }
    }
    // The oracle runs only on what got through (it costs more than the path under test).
    if (positive) {
      if (isValidlySigned(datagram, secret)) {
        tally.accepts_signed++;
      } else {
        tally.accepts_unsigned++;
        recordExample('accept-unsigned', datagram);
      }
    }
  }
}

// ---- against a running appliance ----------------------------------------------------
interface Sent {
  packet: Buffer;
}

async function runAgainstServer(authPort: number, acctPort: number, isAlive: () => boolean): Promise<void> {
  const sockets: Array<{ socket: Socket; port: number; acct: boolean }> = [];
  const closeAll = () => sockets.forEach(({ socket }) => socket.close());
  try {
    for (let index = 0; index < SOCKETS; index++) {
      const acct = index % 2 === 1;
      const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      await new Promise<void>((resolveBind) => socket.bind(0, '127.0.0.1', () => resolveBind()));
      socket.on('error', () => undefined);
      sockets.push({ socket, port: acct ? acctPort : authPort, acct });
    }
    const deadline = Date.now() + DEADLINE_MS;
    let remaining = PACKETS;
    let corpus = buildCorpus(512);
    let sessionNumber = 0;
    await Promise.all(
      sockets.map(async ({ socket, port, acct }) => {
        // identifier → datagrams sent with it in the last GENERATIONS bursts (a reply to
        // a validly signed accounting mutation may come after a later burst's control).
        const GENERATIONS = 4;
        const bursts: Array<Map<number, Sent[]>> = [];
        let current = new Map<number, Sent[]>();
        let control: { packet: Buffer; answered: (positive: boolean) => void } | null = null;
        socket.on('message', (reply: Buffer) => {
          if (reply.length < 20) {
            tally.unattributable_replies++;
            return;
          }
          const id = reply[1] ?? 0;
          if (control !== null && control.packet[1] === id && replyMatches(reply, control.packet)) {
            control.answered(reply[0] === PacketCode.accessAccept || reply[0] === PacketCode.accountingResponse);
            return;
          }
          const candidates = bursts.flatMap((burst) => burst.get(id) ?? []);
          const matches = candidates.filter((sent) => replyMatches(reply, sent.packet));
          const match = matches[0];
          if (match === undefined) {
            tally.unattributable_replies++;
            return;
          }
          const code = reply[0];
          const positive = code === PacketCode.accessAccept || code === PacketCode.accountingResponse;
          if (matches.some((sent) => isValidlySigned(sent.packet, secret))) {
            if (positive) tally.accepts_signed++;
            return;
          }
          tally.replies_unsigned++;
          if (positive) {
            tally.accepts_unsigned++;
            recordExample(`accept-unsigned (reply ${reply.toString('hex')})`, match.packet);
          }
        });
        while (remaining > 0 && Date.now() < deadline && isAlive()) {
          current = new Map();
          bursts.unshift(current);
          if (bursts.length > GENERATIONS) bursts.pop();
          const count = Math.min(BURST, remaining);
          remaining -= count;
          for (let index = 0; index < count; index++) {
            if ((tally.sent & 0x3fff) === 0) corpus = buildCorpus(512);
            const packet = nextFuzzDatagram(corpus);
            const id = packet[1] ?? 0;
            const list = current.get(id) ?? [];
            list.push({ packet });
            current.set(id, list);
            tally.sent++;
            socket.send(packet, port, '127.0.0.1');
          }
          // A fresh valid request after each burst: the server's thread handles this
          // socket's datagrams in order, so its answer says the burst was processed.
          const user = users[randomInt(0, users.length)] as BenchUser;
          const packet = acct
            ? buildAccountingRequest(
                attributes,
                dictionary,
                secret,
                randomInt(0, 256),
                {
                  user,
                  number: sessionNumber,
                  id: `fz${(sessionNumber++).toString(16).padStart(6, '0')}`,
                  elapsed: 0,
                  inputOctets: 0,
                  outputOctets: 0,
                },
                'Start',
              )
            : buildAccessRequest(attributes, dictionary, secret, randomInt(0, 256), user, sessionNumber++);
          tally.controls_sent++;
          const answer = await new Promise<'positive' | 'negative' | 'none'>((resolveControl) => {
            const timer = setTimeout(() => resolveControl('none'), 2_000);
            control = {
              packet,
              answered: (positive) => {
                clearTimeout(timer);
                resolveControl(positive ? 'positive' : 'negative');
              },
            };
            socket.send(packet, port, '127.0.0.1');
          });
          control = null;
          // A valid control must get Access-Accept / Accounting-Response, not just any answer.
          if (answer === 'positive') tally.controls_answered++;
        }
        // Late replies to the last burst.
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      }),
    );
  } finally {
    closeAll();
  }
}

function replyMatches(reply: Buffer, request: Buffer): boolean {
  if (request.length < 20) return false;
  try {
    const decoded = decodePacket(reply, dictionary);
    return verifyReply(decoded, request.subarray(4, 20), secret, { requireMessageAuthenticator: false }) === 'ok';
  } catch {
    return false;
  }
}

// ---- main ------------------------------------------------------------------------------
const loadAtStart = loadavg().map((value) => Math.round(value * 100) / 100);
const started = Date.now();
let mode: 'in-process' | 'appliance' = args['in-process'] ? 'in-process' : 'appliance';
let note = '';
let metrics: Record<string, number> = {};
let workerRestarts: number | null = null;
let exitedDuringRun = false;
let fuzzStarted = 0;

if (mode === 'appliance') {
  let root: string | undefined;
  let server: RunningAppliance | undefined;
  const kill = () => server?.process.kill('SIGKILL');
  process.once('exit', kill);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      kill();
      if (root !== undefined) rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  }
  try {
    let authPort = args.port === undefined ? undefined : Number(args.port);
    let acctPort = args['acct-port'] === undefined ? undefined : Number(args['acct-port']);
    let metricsPort = args['metrics-port'] === undefined ? undefined : Number(args['metrics-port']);
    let alive = () => true;
    if (authPort === undefined) {
      const base = Number(args['port-base']);
      root = mkdtempSync(join(tmpdir(), 'bench-radius-fuzz-'));
      writeFileSync(join(root, 'users'), renderUsersFile(users));
      writeFileSync(join(root, 'clients.conf'), renderClientsConf(BENCH_SECRET));
      const options = { dataDir: applianceDataDir(root), authPort: base, acctPort: base + 1, httpPort: base + 7 };
      importIntoAppliance(options, join(root, 'clients.conf'), join(root, 'users'));
      server = startAppliance(options);
      const running = server;
      alive = () => running.alive();
      authPort = options.authPort;
      acctPort = options.acctPort;
      metricsPort = options.httpPort;
    }
    try {
      await waitForServer('127.0.0.1', authPort, 30_000, alive);
    } catch (error) {
      mode = 'in-process';
      note =
        `the appliance did not serve RADIUS (${(error as Error).message}); fuzzed the codec + verify + PAP path ` +
        `in-process instead`;
    }
    if (mode === 'appliance') {
      const before = await scrapeMetrics(metricsPort, 'appliance_radius_');
      fuzzStarted = Date.now();
      await runAgainstServer(authPort, acctPort ?? authPort + 1, alive);
      exitedDuringRun = !alive();
      const after = await scrapeMetrics(metricsPort, 'appliance_radius_');
      metrics = metricDiff(before, after, 'appliance_radius_');
      const restartsKey = [...after.keys()].find((key) => key.startsWith('appliance_radius_worker_restarts_total'));
      workerRestarts =
        restartsKey === undefined ? null : (after.get(restartsKey) ?? 0) - (before.get(restartsKey) ?? 0);
      if (exitedDuringRun) tally.crashes++;
      if (workerRestarts !== null && workerRestarts > 0) tally.crashes += workerRestarts;
      if (server !== undefined && !exitedDuringRun) await server.stop();
    }
  } finally {
    kill();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  }
}
if (mode === 'in-process') {
  fuzzStarted = Date.now();
  runInProcess(dictionary);
}

const seconds = (Date.now() - fuzzStarted) / 1000;
const outFile = resolve(args.out);
const result = {
  command: [
    'node',
    relative(process.cwd(), process.argv[1] ?? 'bench/radius/fuzz.ts'),
    ...process.argv.slice(2).map(shellQuote),
  ].join(' '),
  date: new Date(started).toISOString(),
  machine: { nproc: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', load_average_at_start: loadAtStart },
  node: process.version,
  mode,
  seed: SEED,
  note: [note, args.note].filter(Boolean).join('; ') || undefined,
  /** The fuzzing itself (not the import and start-up). */
  seconds: Math.round(seconds * 10) / 10,
  datagrams_per_second: Math.round(tally.sent / seconds),
  pass:
    tally.crashes === 0 &&
    tally.accepts_unsigned === 0 &&
    (mode === 'in-process' || tally.controls_answered === tally.controls_sent),
  ...tally,
  ...(mode === 'appliance'
    ? { worker_restarts: workerRestarts, exited_during_run: exitedDuringRun, metrics_delta: metrics }
    : {}),
};
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
process.exitCode = result.pass ? 0 : 1;
