// Reads at database speed: the edge's /health and an authenticated single-row read
// (GET /api/v1/subscribers/{id} with an access token) against the bare baselines (Hono's
// trivial route; Hono + @libsql/client reading the same row from the same tenant file),
// alternating in one run so the ratios survive this machine's noise. Besides req/s it
// records each server's CPU per request (all its threads, from /proc), which moves less
// with the load of other processes than throughput does.
// Usage: node bench/http/reads.ts [--duration 8 --connections 32 --rounds 3]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startEdgeServer } from './edge-server.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    port: { type: 'string', default: '18797' },
    'bare-port': { type: 'string', default: '18796' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const edge = await startEdgeServer(values.port);

const post = async (path: string, body: unknown, token?: string) => {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(edge.base + path, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, string>>;
};
const { access_token: token } = await post('/api/v1/auth/login', {
  tenant: 'demo',
  email: 'owner@demo.isp',
  password: 'demo-owner-password',
});
const list = (await (
  await fetch(`${edge.base}/api/v1/subscribers?limit=1`, { headers: { authorization: `Bearer ${token}` } })
).json()) as { data: { id: string }[] };
const id = list.data[0]!.id;

const bare = spawn(
  process.execPath,
  ['bench/http/bare-server.ts', values['bare-port'], join(edge.dataDir, 'db', 'tenant-demo.db')],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise<void>((resolve, reject) => {
  bare.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve());
  bare.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
});
const bareBase = `http://127.0.0.1:${values['bare-port']}`;

/** CPU time of every thread of a process so far, in nanoseconds (/proc/<pid>/task/<tid>/schedstat). */
const cpuNs = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).reduce(
    (sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]),
    0,
  );

type Target = { name: string; url: string; pid: number; headers?: Record<string, string> };
const targets: Target[] = [
  { name: 'bare Hono GET /health', url: `${bareBase}/health`, pid: bare.pid! },
  { name: 'edge GET /health', url: `${edge.base}/health`, pid: edge.pid },
  { name: 'bare Hono + @libsql/client, one row by id', url: `${bareBase}/row/${id}`, pid: bare.pid! },
  {
    name: 'edge GET /api/v1/subscribers/{id}, access token',
    url: `${edge.base}/api/v1/subscribers/${id}`,
    pid: edge.pid,
    headers: { authorization: `Bearer ${token}` },
  },
];

type Row = {
  round: number;
  target: string;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  cpu_us_per_request: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
};
const rows: Row[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const t of targets) {
    const before = cpuNs(t.pid);
    const r = await autocannon({ url: t.url, headers: t.headers, connections, duration });
    const cpu = cpuNs(t.pid) - before;
    const row = {
      round,
      target: t.name,
      req_per_s: Math.round(r.requests.average),
      p50_ms: r.latency.p50,
      p99_ms: r.latency.p99,
      cpu_us_per_request: Math.round(cpu / 1000 / Math.max(1, r.requests.total)),
      non_2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
bare.kill('SIGTERM');

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = targets.map((t) => {
  const mine = rows.filter((r) => r.target === t.name);
  return {
    target: t.name,
    req_per_s: median(mine.map((r) => r.req_per_s)),
    p99_ms: median(mine.map((r) => r.p99_ms)),
    cpu_us_per_request: median(mine.map((r) => r.cpu_us_per_request)),
  };
});
const ratioPerRound = (edgeName: string, bareName: string) =>
  Array.from({ length: rounds }, (_, i) => {
    const e = rows.find((r) => r.round === i + 1 && r.target === edgeName)!;
    const b = rows.find((r) => r.round === i + 1 && r.target === bareName)!;
    return Math.round((e.req_per_s / b.req_per_s) * 1000) / 1000;
  });
const healthRatios = ratioPerRound(targets[1]!.name, targets[0]!.name);
const readRatios = ratioPerRound(targets[3]!.name, targets[2]!.name);
edge.finish('bench/results/http-reads.json', {
  command: `node bench/http/reads.ts --duration ${duration} --connections ${connections} --rounds ${rounds}`,
  note:
    'Each server is one Node process on libSQL files; autocannon runs in this process on the same 2-core machine. ' +
    'Targets: edge /health ≥ 0.8× bare Hono, the authenticated single-row read ≥ 0.5× the bare libSQL read, p99 < 20 ' +
    'ms at 32 connections.',
  summary,
  ratios: {
    health_vs_bare: { per_round: healthRatios, median: median(healthRatios), target: 0.8 },
    read_vs_bare_libsql: { per_round: readRatios, median: median(readRatios), target: 0.5 },
  },
  results: rows.map((r) => ({ scenario: `${r.target} (round ${r.round})`, ...r })),
});
