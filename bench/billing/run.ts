// Billing bench (issue 4): N active monthly subscriptions invoiced by ONE
// POST /api/v1/billing-runs {as_of} against the real edge server (node edge/node.ts,
// libSQL files in a temp dir, synchronous = FULL as in production), then a second run
// for the same as_of that must create nothing. Checks the counts, the invoice numbers
// (INV-000001… with no gaps) and the trial balance; saves bench/results/billing.json.
// Usage: node bench/billing/run.ts [--subscriptions 100000] [--quick] [--cpu-prof DIR]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '@libsql/client';
import { offerExample } from '../../edge/services/catalog/catalog-input.ts';
import { processCpuMicros, shellQuote } from '../radius/proc-cpu.ts';
import { seedSubscriptions } from './seed.ts';

const { values } = parseArgs({
  options: {
    subscriptions: { type: 'string', default: '100000' },
    quick: { type: 'boolean', default: false },
    port: { type: 'string', default: '18799' },
    timezone: { type: 'string', default: 'America/New_York' },
    'run-timeout': { type: 'string', default: '300' },
    'max-load': { type: 'string', default: '2' },
    'cpu-prof': { type: 'string' },
    out: { type: 'string' },
  },
});
const total = values.quick ? 2_000 : Number(values.subscriptions);
if (!Number.isSafeInteger(total) || total < 1) throw new Error('--subscriptions must be a positive integer');
const out = values.out ?? (values.quick ? join(tmpdir(), 'billing-quick.json') : 'bench/results/billing.json');
const runTimeoutMs = Number(values['run-timeout']) * 1000;
const command = ['node', 'bench/billing/run.ts', ...process.argv.slice(2)].map(shellQuote).join(' ');
const rounded = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const loadNow = () => loadavg().map((l) => rounded(l, 2));

// The machine is shared: wait (up to 5 minutes) for the 1-minute load to settle.
const maxLoad = Number(values['max-load']);
const waits: number[][] = [];
for (let i = 0; i < 5 && loadavg()[0]! > maxLoad; i++) {
  waits.push(loadNow());
  console.log(`load ${loadNow().join(' ')} above ${maxLoad}; waiting 60 s`);
  await new Promise((r) => setTimeout(r, 60_000));
}
const loadBefore = loadNow();

// Everything is bounded: the whole bench gives up after the run timeout × 3 (seeding and two runs).
const watchdog = setTimeout(() => {
  console.error('bench took too long; stopping');
  stopServer();
  process.exit(2);
}, runTimeoutMs * 3);
watchdog.unref();

const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};
// The code the server runs is the code at its start.
const commit = git('rev-parse', '--short', 'HEAD');
const status = git('status', '--porcelain', '--', 'edge', 'db');
const dirty = status === null ? null : status.length > 0;

// ---- the edge server, as bench/http starts it, but no demo tenant and a known platform admin
const dataDir = mkdtempSync(join(tmpdir(), 'bench-billing-'));
const adminEmail = 'admin@bench.test';
const adminPassword = 'bench-platform-admin-password';
const nodeArgs = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`] : [];
const server = spawn(process.execPath, [...nodeArgs, 'edge/node.ts'], {
  env: {
    ...process.env,
    PORT: values.port,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DEMO: '0',
    BILLING_SCHEDULE: 'off',
    PLATFORM_ADMIN_EMAIL: adminEmail,
    PLATFORM_ADMIN_PASSWORD: adminPassword,
    API_KEY_RATE_LIMIT: '100000000',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let serverExited = false;
let stopping = false;
server.once('exit', (code, signal) => {
  serverExited = true;
  if (!stopping) console.error(`server exited unexpectedly: code ${code}, signal ${signal}`);
});
function stopServer() {
  stopping = true;
  if (!serverExited) server.kill('SIGTERM');
}
process.once('SIGINT', () => {
  stopServer();
  process.exit(130);
});
await new Promise<void>((resolveStart, reject) => {
  server.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolveStart());
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const base = `http://127.0.0.1:${values.port}`;

type Body = Record<string, unknown>;
async function request(
  method: string,
  path: string,
  options: { token?: string; json?: unknown; timeoutMs?: number } = {},
): Promise<Body> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(base + path, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Body>;
}

try {
  // ---- tenant, tax rate and offer through the API
  const platformToken = String(
    (await request('POST', '/api/v1/platform/auth/login', { json: { email: adminEmail, password: adminPassword } }))
      .access_token,
  );
  const slug = 'bench-billing';
  const ownerEmail = 'owner@bench-billing.test';
  const ownerPassword = 'bench-owner-password';
  await request('POST', '/api/v1/platform/tenants', {
    token: platformToken,
    json: {
      slug,
      name: 'Billing bench ISP',
      currency: 'USD',
      timezone: values.timezone,
      admin_email: ownerEmail,
      admin_password: ownerPassword,
    },
  });
  const token = String(
    (
      await request('POST', '/api/v1/auth/login', {
        json: { tenant: slug, email: ownerEmail, password: ownerPassword },
      })
    ).access_token,
  );
  const taxRate = await request('POST', '/api/v1/tax-rates', {
    token,
    json: { name: 'State sales tax', rate: '7.5', mode: 'exclusive' },
  });
  const offer = await request('POST', '/api/v1/offers', {
    token,
    json: { ...offerExample, tax_rate_id: taxRate.id },
  });

  // ---- seeding straight into the tenant's file (setup, not measured)
  const dbFile = join(dataDir, 'db', `tenant-${slug}.db`);
  if (!existsSync(dbFile)) throw new Error(`no tenant database at ${dbFile}`);
  const now = Date.now();
  const asOf = new Date(Math.floor(now / 1000) * 1000);
  const seedClient = createClient({ url: `file:${dbFile}`, timeout: 5_000 });
  const seeding = await seedSubscriptions(seedClient, {
    subscriptions: total,
    offerId: String(offer.id),
    currency: 'USD',
    timeZone: values.timezone,
    asOf: asOf.getTime(),
    now,
  });
  seedClient.close();
  console.log(JSON.stringify({ seeded: total, seconds: rounded(seeding.seconds), transactions: seeding.transactions }));
  const dbBytes = () =>
    ['', '-wal'].reduce((sum, suffix) => sum + (existsSync(dbFile + suffix) ? statSync(dbFile + suffix).size : 0), 0);
  const dbBytesBefore = dbBytes();
  // Seeding ran synchronous libSQL calls back to back, so the event loop has not yet seen
  // the server close the idle keep-alive socket: let it, and prove the server answers,
  // before the measured POST (which is not retried) could pick that dead socket.
  await new Promise((r) => setTimeout(r, 200));
  await request('GET', '/health').catch(() => request('GET', '/health'));

  // ---- the measured runs
  async function timedRun() {
    const cpuBefore = processCpuMicros(server.pid!);
    const started = performance.now();
    const run = await request('POST', '/api/v1/billing-runs', {
      token,
      json: { as_of: asOf.toISOString() },
      timeoutMs: runTimeoutMs,
    });
    const seconds = (performance.now() - started) / 1000;
    const serverCpuSeconds = (processCpuMicros(server.pid!) - cpuBefore) / 1e6;
    return { run, seconds, serverCpuSeconds };
  }
  const benchCpuBefore = process.cpuUsage();
  const first = await timedRun();
  const benchCpu = process.cpuUsage(benchCpuBefore);
  console.log(
    JSON.stringify({
      first_run_s: rounded(first.seconds),
      invoices_created: first.run.invoices_created,
      lines_created: first.run.lines_created,
      server_cpu_s: rounded(first.serverCpuSeconds),
    }),
  );
  const second = await timedRun();
  console.log(JSON.stringify({ second_run_s: rounded(second.seconds), invoices_created: second.run.invoices_created }));

  // ---- checks, through the API and the file
  const trial = (await request('GET', '/api/v1/reports/trial-balance', { token, timeoutMs: runTimeoutMs })) as {
    currencies: {
      currency: string;
      total_debit: number;
      total_credit: number;
      balanced: boolean;
      accounts: { account: string; debit: number; credit: number }[];
    }[];
  };
  const usd = trial.currencies.find((c) => c.currency === 'USD');
  const checkClient = createClient({ url: `file:${dbFile}`, timeout: 5_000 });
  const one = async (sql: string) => (await checkClient.execute(sql)).rows[0]!;
  const invoiceFacts = await one(
    `SELECT count(*) AS n, count(DISTINCT number) AS distinct_numbers, min(CAST(substr(number, 5) AS INTEGER)) AS lo,
            max(CAST(substr(number, 5) AS INTEGER)) AS hi,
            sum(number GLOB 'INV-[0-9][0-9][0-9][0-9][0-9][0-9]*') AS well_formed, sum(total) AS total,
            count(DISTINCT subscriber_id) AS subscribers, min(total) AS min_total, max(total) AS max_total
       FROM invoices`,
  );
  const lineCount = Number((await one(`SELECT count(*) AS n FROM invoice_lines WHERE kind = 'recurring'`)).n);
  const stillDue = Number(
    (
      await one(
        `SELECT count(*) AS n FROM subscriptions WHERE status IN ('active', 'suspended') AND next_billing_at <= ` +
          `${asOf.getTime()}`,
      )
    ).n,
  );
  const sequence = Number((await one(`SELECT last_value AS v FROM document_sequences WHERE prefix = 'INV'`)).v);
  const entries = Number((await one(`SELECT count(*) AS n FROM journal_entries WHERE kind = 'invoice.issued'`)).n);
  const events = Number((await one(`SELECT count(*) AS n FROM domain_events WHERE type = 'invoice.issued'`)).n);
  checkClient.close();
  const receivable = usd?.accounts.find((a) => a.account === 'receivable');
  const checks = {
    first_run_invoices_created_equals_subscriptions: first.run.invoices_created === total,
    first_run_no_failures: Array.isArray(first.run.failures) && first.run.failures.length === 0,
    second_run_created_nothing: second.run.invoices_created === 0 && second.run.lines_created === 0,
    invoice_count_equals_subscriptions: Number(invoiceFacts.n) === total,
    one_invoice_per_subscriber: Number(invoiceFacts.subscribers) === total,
    recurring_lines_equal_subscriptions: lineCount === total,
    numbers_gap_free:
      Number(invoiceFacts.distinct_numbers) === total &&
      Number(invoiceFacts.well_formed) === total &&
      Number(invoiceFacts.lo) === 1 &&
      Number(invoiceFacts.hi) === total &&
      sequence === total,
    trial_balance_balanced: usd !== undefined && usd.total_debit === usd.total_credit && usd.balanced,
    receivable_equals_invoice_totals: receivable?.debit === Number(invoiceFacts.total),
    one_journal_entry_and_event_per_invoice: entries === total && events === total,
    nothing_left_due: stillDue === 0,
  };
  const passed = Object.values(checks).every(Boolean);

  const loadAfter = loadNow();
  const report = {
    command,
    at: new Date().toISOString(),
    commit,
    edge_or_db_uncommitted_changes: dirty,
    machine: {
      cores: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      load_average: { before: loadBefore, after: loadAfter, waited_while: waits },
    },
    note:
      'Server: one Node process (edge/node.ts), libSQL files under a temp dir, PRAGMA synchronous = FULL (the file ' +
      'driver). Tenant, tax rate (7.5 % exclusive) and offer (USD 49.99 monthly) created through the API. ' +
      'Subscribers and subscriptions are seeded straight into the tenant file with multi-row INSERTs (setup, not ' +
      'measured; with their subscribers_fts rows, the SUB sequence and domain events). ' +
      'Measured: the wall time of each POST /api/v1/billing-runs as the client sees it, and the server process CPU ' +
      'time (utime + stime from /proc) over it.',
    subscriptions: total,
    time_zone: values.timezone,
    as_of: asOf.toISOString(),
    seeding: {
      measured: false,
      seconds: rounded(seeding.seconds),
      transactions: seeding.transactions,
      distinct_period_starts: seeding.periodStarts,
    },
    first_run: {
      seconds: rounded(first.seconds),
      invoices_created: first.run.invoices_created,
      lines_created: first.run.lines_created,
      invoices_per_second: Math.round(Number(first.run.invoices_created) / first.seconds),
      failures: Array.isArray(first.run.failures) ? first.run.failures.length : null,
      server_cpu_seconds: rounded(first.serverCpuSeconds),
      server_cores_busy: rounded(first.serverCpuSeconds / first.seconds),
      bench_process_cpu_seconds: rounded((benchCpu.user + benchCpu.system) / 1e6),
    },
    second_run: {
      seconds: rounded(second.seconds),
      invoices_created: second.run.invoices_created,
      lines_created: second.run.lines_created,
      server_cpu_seconds: rounded(second.serverCpuSeconds),
    },
    db_file_bytes: { before_run: dbBytesBefore, after_runs: dbBytes() },
    trial_balance_usd: usd ? { total_debit: usd.total_debit, total_credit: usd.total_credit } : null,
    under_30_seconds: first.seconds < 30,
    checks,
    pass: passed,
  };
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ checks, pass: passed }));
  console.log(`saved ${out}`);
  process.exitCode = passed ? 0 : 1;
} finally {
  stopServer();
  await new Promise((r) => (serverExited ? r(undefined) : server.once('exit', r)));
  rmSync(dataDir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
