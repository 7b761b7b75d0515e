// The appliance against Debian's FreeRADIUS 3.2, same load generator, same users,
// same run, same machine, on 127.0.0.1, both up for the whole run and measured one
// right after the other for each shape (order alternating per round), in three traffic shapes
// (SHAPES): auth (PAP + Message-Authenticator) from a fleet, accounting (Start /
// Interim-Update / Stop) from one busy NAS port, and accounting from a fleet.
//
//   node bench/radius/compare.ts [--duration S] [--warmup S] [--rounds R]
//        [--shapes auth,acct_one_port,acct_fleet] [--only freeradius|appliance]
//        [--fr-threads N] [--appliance-threads N] [--generator-threads N]
//        [--note TEXT]   (the note is saved with the result) [--out FILE]
//
// Writes bench/results/radius-vs-freeradius.json (or --out). Speed is reported, never
// asserted; see bench/radius/README.md for what is measured and the caveats.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDictionary } from '../../appliance/radius/index.ts';
import { applianceDataDir, importIntoAppliance, startAppliance } from './appliance.ts';
import { freeRadiusVersion, startFreeRadius } from './freeradius.ts';
import { runLoadThreads, waitForServer } from './load.ts';
import { cpuPressure, shellQuote } from './proc-cpu.ts';
import { metricDiff, scrapeMetrics } from './scrape.ts';

import type { LoadResult, Scenario } from './load.ts';
import { BENCH_SECRET, DEFAULT_USERS, makeUsers } from './traffic.ts';
import { renderClientsConf, renderUsersFile } from './users-file.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    shapes: { type: 'string', default: 'auth,acct_one_port,acct_fleet' },
    timeout: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    interims: { type: 'string', default: '1' },
    only: { type: 'string' },
    'fr-threads': { type: 'string', default: '4' },
    'generator-threads': { type: 'string', default: '1' },
    'appliance-threads': { type: 'string' },
    'port-base': { type: 'string', default: '28112' },
    note: { type: 'string' },
    out: { type: 'string', default: 'bench/results/radius-vs-freeradius.json' },
  },
});

const durationS = Math.min(Math.max(Number(args.duration), 1), 600);
const warmupS = Math.min(Math.max(Number(args.warmup), 0), 60);
const timeoutMs = Math.min(Math.max(Number(args.timeout), 50), 10_000);
const rounds = Math.min(Math.max(Number(args.rounds), 1), 10);
const interims = Math.min(Math.max(Number(args.interims), 0), 100);
const generatorThreads = Math.min(Math.max(Number(args['generator-threads']), 1), 8);
const frThreads = Math.min(Math.max(Number(args['fr-threads']), 1), 64);
const applianceThreads = args['appliance-threads'] === undefined ? undefined : Number(args['appliance-threads']);
const portBase = Number(args['port-base']);
const only = args.only;
if (only !== undefined && only !== 'freeradius' && only !== 'appliance')
  throw new Error('--only is freeradius or appliance');
const outFile = resolve(args.out);

// The traffic shapes. Source ports matter because the kernel hashes a datagram's
// 4-tuple to one SO_REUSEPORT socket, so one port is one appliance worker thread (and
// one FreeRADIUS network thread either way). One big BNG sends all its accounting from
// one port with a bounded window of outstanding requests; a fleet of NASes brings
// many ports and a larger window in total.
const SHAPES = {
  auth: { scenario: 'auth', sockets: 8, window: 256, what: 'auth, a fleet: 8 source ports, 256 outstanding' },
  acct_one_port: {
    scenario: 'acct',
    sockets: 1,
    window: 64,
    what: 'acct, one busy NAS port: 1 source port, 64 outstanding',
  },
  acct_fleet: { scenario: 'acct', sockets: 8, window: 256, what: 'acct, a fleet: 8 source ports, 256 outstanding' },
} as const satisfies Record<string, { scenario: Scenario; sockets: number; window: number; what: string }>;
type ShapeName = keyof typeof SHAPES;
const isShape = (name: string): name is ShapeName => Object.hasOwn(SHAPES, name);
const shapes = String(args.shapes)
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name !== '');
for (const name of shapes)
  if (!isShape(name)) throw new Error(`--shapes: unknown shape ${name} (${Object.keys(SHAPES).join(', ')})`);
const shapeNames = shapes as ShapeName[];

type ServerName = 'freeradius' | 'appliance';
type ShapeRuns = Partial<Record<ShapeName, LoadResult[]>>;
interface ServerReport {
  runs: ShapeRuns;
  /** How many rounds this server has run (one run of every shape each). */
  rounds: number;
  error?: string;
  notes: string[];
  /** The appliance's /metrics counters that moved during each shape (warm-up included), per round. */
  metrics?: Partial<Record<ShapeName, Record<string, number>>>[];
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** The commit measured, and whether appliance/ had uncommitted changes (work in progress). */
function applianceRevision(): { commit: string; appliance_dirty: boolean } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'appliance'], { encoding: 'utf8' }).trim() !== '';
    return { commit, appliance_dirty: dirty };
  } catch {
    return null;
  }
}
const revision = applianceRevision();
const loadAtStart = loadavg().map(round3);
const pressureAtStart = cpuPressure();
const startedAt = new Date().toISOString();
const dictionary = loadDictionary();

// Every server started here is killed on the way out, whatever the way out is.
const running = new Set<{ kill(signal: NodeJS.Signals): unknown }>();
const killAll = () => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
};
process.once('exit', killAll);
const root = mkdtempSync(join(tmpdir(), 'bench-radius-'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    rmSync(root, { recursive: true, force: true });
    process.exit(130);
  });
}

const usersFile = join(root, 'users');
const clientsConf = join(root, 'clients.conf');
writeFileSync(usersFile, renderUsersFile(makeUsers(DEFAULT_USERS)));
writeFileSync(clientsConf, renderClientsConf(BENCH_SECRET));

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString()}] ${message}\n`);
}

/** A server up for the whole run. */
type Target = {
  name: ServerName;
  authPort: number;
  acctPort: number;
  pid: number;
  metricsPort?: number;
  alive(): boolean;
  log(): string;
};

/** One shape against one server: a warm-up, then the measured run. */
async function measureShape(target: Target, shape: ShapeName, report: ServerReport, round: number): Promise<void> {
  const { scenario, sockets, window } = SHAPES[shape];
  const before = await scrapeMetrics(target.metricsPort);
  const common = {
    host: '127.0.0.1',
    port: scenario === 'auth' ? target.authPort : target.acctPort,
    secret: BENCH_SECRET,
    scenario,
    window,
    sockets,
    timeoutMs,
    users: DEFAULT_USERS,
    interims,
    serverPids: [target.pid],
    replyMessageAuthenticator: target.name === 'appliance' ? 'require' : 'if-present',
    dictionary,
  } as const;
  if (warmupS > 0)
    await runLoadThreads({ ...common, durationMs: warmupS * 1000, maxRequests: 10_000_000 }, generatorThreads);
  const result = await runLoadThreads(
    { ...common, durationMs: durationS * 1000, maxRequests: 100_000_000 },
    generatorThreads,
  );
  log(
    `${target.name} ${shape}: ${result.per_second}/s p50 ${result.p50_ms} ms p99 ${result.p99_ms} ms losses ` +
      `${result.losses} ` +
      `cpu ${result.server_cpu_us_per_request} µs/req, cores busy ${result.server_cores_busy}, waiting for a CPU ` +
      `${result.server_run_queue_wait}`,
  );
  (report.runs[shape] ??= []).push(result);
  if (target.metricsPort !== undefined)
    ((report.metrics ??= [])[round] ??= {})[shape] = metricDiff(
      before,
      await scrapeMetrics(target.metricsPort),
      'appliance_',
    );
}

function detailBytes(dir: string): number {
  let total = 0;
  try {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
    }
  } catch {
    // no accounting written
  }
  return total;
}

const freeRadiusDir = join(root, 'freeradius');
const applianceOptions = {
  dataDir: applianceDataDir(root),
  authPort: portBase + 10,
  acctPort: portBase + 11,
  httpPort: portBase + 17,
  ...(applianceThreads === undefined ? {} : { threads: applianceThreads }),
};

const reports: Record<ServerName, ServerReport> = {
  freeradius: { runs: {}, rounds: 0, notes: [] },
  appliance: { runs: {}, rounds: 0, notes: [] },
};
const stops: Array<() => Promise<void>> = [];

async function startTarget(name: ServerName): Promise<Target | null> {
  const report = reports[name];
  try {
    if (name === 'freeradius') {
      const server = startFreeRadius({
        dir: freeRadiusDir,
        authPort: portBase,
        acctPort: portBase + 1,
        threads: frThreads,
        usersFile,
        clientsConf,
      });
      running.add(server.process);
      stops.push(() => server.stop());
      await waitForServer('127.0.0.1', portBase, 20_000, server.alive);
      return {
        name,
        authPort: portBase,
        acctPort: portBase + 1,
        pid: server.pid,
        alive: server.alive,
        log: server.log,
      };
    }
    importIntoAppliance(applianceOptions, clientsConf, usersFile);
    const server = startAppliance(applianceOptions);
    running.add(server.process);
    stops.push(() => server.stop());
    await waitForServer('127.0.0.1', applianceOptions.authPort, 60_000, server.alive);
    const { authPort, acctPort, httpPort } = applianceOptions;
    return { name, authPort, acctPort, pid: server.pid, metricsPort: httpPort, alive: server.alive, log: server.log };
  } catch (error) {
    report.error = (error as Error).message;
    log(`${name} did not start: ${report.error}`);
    return null;
  }
}

// Both servers stay up for the whole run (the idle one costs next to nothing), and
// each shape runs against one right after the other, so a pair sees the same machine
// within seconds; the order alternates per round.
try {
  const targets: Target[] = [];
  for (const name of ['freeradius', 'appliance'] as const) {
    if (only !== undefined && only !== name) continue;
    const target = await startTarget(name);
    if (target !== null) targets.push(target);
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    log(`round ${round + 1}/${rounds}: ${order.map((target) => target.name).join(', ')}`);
    for (const shape of shapeNames) {
      for (const target of order) {
        const report = reports[target.name];
        if (report.error !== undefined) continue;
        try {
          await measureShape(target, shape, report, round);
        } catch (error) {
          report.error = `${(error as Error).message}\n${target.log().slice(-2000)}`;
          log(`${target.name} failed: ${report.error}`);
        }
      }
    }
    for (const target of targets) reports[target.name].rounds++;
  }
  if (targets.some((target) => target.name === 'freeradius')) {
    reports.freeradius.notes.push(`detail files: ${detailBytes(join(freeRadiusDir, 'radacct'))} bytes written`);
  }
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
  killAll();
  rmSync(root, { recursive: true, force: true });
}

/** The run with the median rate (several rounds), or the only one. */
function representative(runs: readonly LoadResult[]): LoadResult | undefined {
  const sorted = [...runs].sort((a, b) => a.per_second - b.per_second);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const median = (values: readonly number[]): number | null => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

type ShapeSummary = {
  per_second: number;
  p50_ms: number;
  p99_ms: number;
  /** Median of the rounds' p99 (the median-rate run's p99 is p99_ms). */
  p99_ms_median_of_rounds: number | null;
  losses: number;
  rejects: number;
  wrong_replies: number;
  server_cpu_us_per_request: number | null;
  server_cores_busy: number | null;
  server_run_queue_wait: number | null;
  generator_cores_busy: number;
};

function summary(report: ServerReport): Partial<Record<ShapeName, ShapeSummary | null>> {
  const out: Partial<Record<ShapeName, ShapeSummary | null>> = {};
  for (const shape of shapeNames) {
    const runs = report.runs[shape] ?? [];
    const run = representative(runs);
    out[shape] =
      run === undefined
        ? null
        : {
            per_second: run.per_second,
            p50_ms: run.p50_ms,
            p99_ms: run.p99_ms,
            p99_ms_median_of_rounds: median(runs.map((each) => each.p99_ms)),
            losses: run.losses,
            rejects: run.rejects,
            wrong_replies: run.wrong_replies,
            server_cpu_us_per_request: run.server_cpu_us_per_request,
            server_cores_busy: run.server_cores_busy,
            server_run_queue_wait: run.server_run_queue_wait,
            generator_cores_busy: run.generator_cores_busy,
          };
  }
  return out;
}

const ours = summary(reports.appliance);
const theirs = summary(reports.freeradius);
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : round3(a / b);
const ratios: Partial<Record<ShapeName, Record<string, number | null | Array<number | null>>>> = {};
for (const shape of shapeNames) {
  const a = ours[shape];
  const b = theirs[shape];
  const mine = reports.appliance.runs[shape] ?? [];
  const other = reports.freeradius.runs[shape] ?? [];
  ratios[shape] = {
    per_second: ratio(a?.per_second, b?.per_second),
    p99_ms: ratio(a?.p99_ms_median_of_rounds, b?.p99_ms_median_of_rounds),
    server_cpu_us_per_request: ratio(a?.server_cpu_us_per_request, b?.server_cpu_us_per_request),
    // Round by round (the two servers ran back to back in each): how steady the ratio is.
    per_second_by_round: mine.map((run, index) => ratio(run.per_second, other[index]?.per_second)),
    p99_ms_by_round: mine.map((run, index) => ratio(run.p99_ms, other[index]?.p99_ms)),
  };
}
const acctTarget = (shape: ShapeName) => {
  const a = ours[shape];
  const b = theirs[shape];
  if (a == null || b == null) return null;
  return (
    (ratio(a.per_second, b.per_second) ?? 0) >= 1.2 &&
    (a.p99_ms_median_of_rounds ?? Infinity) <= (b.p99_ms_median_of_rounds ?? 0) &&
    a.losses === 0
  );
};
const targets = {
  'auth ≥ 1.2× FreeRADIUS with 0 losses':
    ours.auth == null || theirs.auth == null
      ? null
      : (ratio(ours.auth.per_second, theirs.auth.per_second) ?? 0) >= 1.2 && ours.auth.losses === 0,
  'acct one port ≥ 1.2× FreeRADIUS, p99 no worse, 0 losses': acctTarget('acct_one_port'),
  'acct fleet ≥ 1.2× FreeRADIUS, p99 no worse, 0 losses': acctTarget('acct_fleet'),
};

const commandParts = [
  `node ${relative(process.cwd(), process.argv[1] ?? 'bench/radius/compare.ts')}`,
  ...process.argv.slice(2).map(shellQuote),
];
const result = {
  command: commandParts.join(' '),
  date: startedAt,
  machine: {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    load_average_at_start: loadAtStart,
    load_average_at_end: loadavg().map(round3),
    // /proc/pressure/cpu some avg60 (%): how much of the last minute some task waited for a CPU.
    cpu_pressure_at_start: pressureAtStart,
    cpu_pressure_at_end: cpuPressure(),
  },
  node: process.version,
  freeradius: freeRadiusVersion(),
  revision,
  ...(args.note === undefined ? {} : { note: args.note }),
  settings: {
    users: DEFAULT_USERS,
    duration_s: durationS,
    warmup_s: warmupS,
    rounds,
    shapes: Object.fromEntries(shapeNames.map((shape) => [shape, SHAPES[shape]])),
    timeout_ms: timeoutMs,
    interims_per_session: interims,
    generator_threads: generatorThreads,
    freeradius_threads: frThreads,
    appliance_threads: applianceThreads ?? 'default (all cores)',
  },
  what:
    'One load generator process (bench/radius/load.ts) on the same machine as the server under test, 127.0.0.1. ' +
    'auth: PAP Access-Request with Message-Authenticator (required for the client by both servers), MikroTik-shaped, ' +
    'random user of 10,000; every reply verified (Response Authenticator, Message-Authenticator when present or ' +
    'required, ' +
    "Access-Accept with the user's Framed-IP-Address). acct: sessions of Start, Interim-Update, Stop with unique " +
    'Acct-Session-Id. Shapes (settings.shapes): source ports and outstanding requests. ' +
    'per_second: verified replies per second while issuing; p99: first transmission to verified reply; ' +
    'losses: unanswered after one retransmission; ' +
    'server_cpu_us_per_request: utime+stime of the server process (all threads) / answered requests. ' +
    'FreeRADIUS accounting goes to its detail file (not fsynced); the appliance acknowledges after the spool commit ' +
    'and the fdatasync of the WAL holding it.',
  ratios_note:
    'ours / FreeRADIUS: above 1 is better for per_second; below 1 is better for p99 and CPU per request. ' +
    "per_second compares the median-rate runs, p99_ms the medians of the rounds' p99.",
  freeradius_result: { ...theirs, error: reports.freeradius.error ?? null, notes: reports.freeradius.notes },
  appliance_result: {
    ...ours,
    error: reports.appliance.error ?? null,
    notes: reports.appliance.notes,
    metrics: reports.appliance.metrics ?? [],
  },
  ratios,
  targets,
  runs: { freeradius: reports.freeradius.runs, appliance: reports.appliance.runs },
};

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ freeradius: theirs, appliance: ours, ratios, targets }, null, 2));
log(`saved ${relative(process.cwd(), outFile)}`);
