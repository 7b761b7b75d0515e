// Memory of a long CSV export (issue 13: `?format=csv` must fit a Worker's 128 MB). Starts the
// edge (edge/node.ts, one process, libSQL files), seeds N subscribers through the CSV import,
// then downloads GET /api/v1/subscribers?format=csv while sampling the server's resident set
// (/proc/<pid>/status VmRSS) every few milliseconds. The export streams one page of 1,000
// rows at a time (routes/list-csv.ts), so its peak growth over the RSS before it should not
// depend on N. Runs the export `--runs` times; the first also warms the page statement.
// Usage: node bench/http/csv-export.ts [--subscribers 100000 --runs 3]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startEdgeServer } from './edge-server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '18799' },
    subscribers: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/results/http-csv-export.json' },
  },
});
const total = Number(values.subscribers);
const runs = Number(values.runs);
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
const loadBefore = load();
const { base, pid, dataDir } = await startEdgeServer(values.port);
// However the bench ends, the server and its files go with it.
process.on('exit', () => {
  if (!stopped) process.kill(pid, 'SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});
let stopped = false;

const call = async (method: string, path: string, token: string, csv?: string) => {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'text/csv' };
  const init = { method, headers, body: csv };
  // A kept-alive socket the server has just closed fails the next request: retry reads once.
  const response = await fetch(base + path, init).catch((error: unknown) =>
    method === 'GET' ? fetch(base + path, init) : Promise.reject(error),
  );
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
};
const login = await fetch(`${base}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ tenant: 'demo', email: 'owner@demo.isp', password: 'demo-owner-password' }),
});
const token = String(((await login.json()) as { access_token: string }).access_token);

const cities = ['Springfield', 'Riverton', 'Lakeside', 'Fairview', 'Georgetown', 'Salem', 'Madison', 'Clinton'];
const csvOf = (from: number, to: number) => {
  const lines = ['first_name,last_name,email,phone,service_line1,service_city,service_postal_code,service_country'];
  for (let i = from; i <= to; i++)
    lines.push(
      `Ada,Bench${i},bench${i}@subscribers.test,+1555${String(i).padStart(7, '0')},${i} Fiber Road,` +
        `${cities[i % cities.length]},${String(i % 100_000).padStart(5, '0')},US`,
    );
  return lines.join('\n');
};
const seedStarted = performance.now();
// The import takes at most 50,000 rows a file.
for (let from = 1; from <= total; from += 50_000) {
  const job = await call('POST', '/api/v1/subscriber-imports', token, csvOf(from, Math.min(total, from + 49_999)));
  let status = job.status;
  for (let polls = 0; status !== 'completed' && status !== 'failed' && polls < 12_000; polls++) {
    await new Promise((r) => setTimeout(r, 50));
    status = (await call('GET', `/api/v1/subscriber-imports/${String(job.id)}?errors_limit=1`, token)).status;
  }
  if (status !== 'completed') throw new Error(`import from row ${from}: ${String(status)}`);
}
const seedMs = Math.round(performance.now() - seedStarted);
console.log(JSON.stringify({ seeded: total, ms: seedMs }));

const rssMb = () => {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Math.round((Number(kb) / 1024) * 10) / 10;
};

async function exportOnce() {
  const before = rssMb();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 5);
  const started = performance.now();
  const response = await fetch(`${base}/api/v1/subscribers?format=csv`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok || !response.body) throw new Error(`export: ${response.status}`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 10) lines++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb());
  const rows = lines - 1;
  // The demo tenant has a few subscribers of its own besides the seeded ones.
  if (rows < total) throw new Error(`export had ${rows} rows, expected at least ${total}`);
  const run = {
    rows,
    mib: Math.round((bytes / 1024 / 1024) * 10) / 10,
    seconds: Math.round(seconds * 100) / 100,
    rows_per_s: Math.round(rows / seconds),
    rss_before_mb: before,
    rss_peak_mb: peak,
    peak_growth_mb: Math.round((peak - before) * 10) / 10,
  };
  console.log(JSON.stringify(run));
  return run;
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await exportOnce());
process.kill(pid, 'SIGTERM');
stopped = true;

const report = {
  command: `node bench/http/csv-export.ts --subscribers ${total} --runs ${runs}`,
  note:
    'Server: one Node process (edge/node.ts, libSQL files, demo tenant), its RSS read from /proc every 5 ms ' +
    'during each download; client: fetch in the bench process on the same machine. Growth is peak RSS during ' +
    "an export over RSS just before it. A Worker's limit is 128 MB for the isolate; the Node process's RSS " +
    'includes the runtime itself, so the growth is the export’s share.',
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  load_average: { before: loadBefore, after: load() },
  seeding: { subscribers: total, ms: seedMs },
  results,
  max_peak_growth_mb: Math.max(...results.map((r) => r.peak_growth_mb)),
  max_rss_peak_mb: Math.max(...results.map((r) => r.rss_peak_mb)),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`saved ${values.out}`);
