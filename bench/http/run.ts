// HTTP bench: login and GET /api/v1/me (token and API key) against a trivial route, in
// one run against one server, so the ratios survive this machine's noise.
// Usage: npm run bench:http [-- --duration 10 --connections 32]
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, port: { type: 'string', default: '18799' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);
const base = `http://127.0.0.1:${values.port}`;

const dataDir = mkdtempSync(join(tmpdir(), 'bench-http-'));
const server = spawn(process.execPath, ['edge/node.ts'], {
  env: { ...process.env, PORT: values.port, DATA_DIR: dataDir, LOG_LEVEL: 'error', DEMO: '1', API_KEY_RATE_LIMIT: '100000000' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  server.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve());
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});

const post = async (path: string, body: unknown, token?: string) => {
  const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, string>>;
};
const login = { tenant: 'demo', email: 'owner@demo.isp', password: 'demo-owner-password' };
const { access_token: token } = await post('/api/v1/auth/login', login);
const { secret: apiKey } = await post('/api/v1/api-keys', { name: 'bench', role: 'read_only' }, token);

type Scenario = { name: string; path: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string };
const scenarios: Scenario[] = [
  { name: 'trivial GET /health', path: '/health' },
  { name: 'GET /api/v1/me (access token)', path: '/api/v1/me', headers: { authorization: `Bearer ${token}` } },
  { name: 'GET /api/v1/me (API key)', path: '/api/v1/me', headers: { authorization: `Bearer ${apiKey}` } },
  { name: 'POST /api/v1/auth/login', path: '/api/v1/auth/login', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(login) },
];

const results = [];
for (const s of scenarios) {
  const r = await autocannon({ url: base + s.path, method: s.method ?? 'GET', headers: s.headers, body: s.body, connections, duration });
  const row = { scenario: s.name, req_per_s: Math.round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, non_2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
  results.push(row);
  console.log(JSON.stringify(row));
}
server.kill('SIGTERM');
rmSync(dataDir, { recursive: true, force: true });

const trivial = results[0]!.req_per_s;
const report = {
  command: `npm run bench:http -- --duration ${duration} --connections ${connections}`,
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  note: 'Server is one Node process (edge/node.ts, libSQL files); load generator is autocannon in a second process on the same machine. Login is bound by PBKDF2-SHA256 at 100,000 iterations by design.',
  results: results.map((r) => ({ ...r, ratio_to_trivial: Math.round((r.req_per_s / trivial) * 1000) / 1000 })),
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/http-auth.json', `${JSON.stringify(report, null, 2)}\n`);
console.log('saved bench/results/http-auth.json');
