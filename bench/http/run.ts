// HTTP bench: login and GET /api/v1/me (token and API key) against a trivial route, in
// one run against one server, so the ratios survive this machine's noise.
// Usage: npm run bench:http [-- --duration 10 --connections 32]
import { parseArgs } from 'node:util';
import { startEdgeServer, type Scenario } from './edge-server.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    port: { type: 'string', default: '18799' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const { base, runScenarios, finish } = await startEdgeServer(values.port);

const post = async (path: string, body: unknown, token?: string) => {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, string>>;
};
const login = { tenant: 'demo', email: 'owner@demo.isp', password: 'demo-owner-password' };
const { access_token: token } = await post('/api/v1/auth/login', login);
const { secret: apiKey } = await post('/api/v1/api-keys', { name: 'bench', role: 'read_only' }, token);

const scenarios: Scenario[] = [
  { name: 'trivial GET /health', path: '/health' },
  { name: 'GET /api/v1/me (access token)', path: '/api/v1/me', headers: { authorization: `Bearer ${token}` } },
  { name: 'GET /api/v1/me (API key)', path: '/api/v1/me', headers: { authorization: `Bearer ${apiKey}` } },
  // A login is ~0.2 s of CPU (PBKDF2), so 32 connections would only queue: 4 measure its latency and rate.
  {
    name: 'POST /api/v1/auth/login',
    path: '/api/v1/auth/login',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
    connections: 4,
  },
];

const results = await runScenarios(scenarios, { duration, connections });
finish('bench/results/http-auth.json', {
  command: `npm run bench:http -- --duration ${duration} --connections ${connections}`,
  note:
    'Server is one Node process (edge/node.ts, libSQL files); load generator is autocannon in a second process ' +
    'on the same machine. Login is bound by PBKDF2-SHA256 at 600,000 iterations (six chained 100,000-iteration ' +
    'links, edge/lib/password.ts) by design; the login rate limit and lockout are raised for the run.',
  results,
});
