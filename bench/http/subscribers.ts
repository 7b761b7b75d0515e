// HTTP bench: subscribers with 100,000 of them in the tenant. Seeds through the CSV import
// (timing a 10,000-row import, then 90,000 more), then measures list (first page and a
// deep cursor page), search (a name prefix, phone digits, a subscriber number), get by id
// and create against the trivial route, in one run against one server.
// Usage: node bench/http/subscribers.ts [--duration 10 --connections 32 --subscribers 100000]
import { parseArgs } from 'node:util';
import { startEdgeServer, type Scenario } from './edge-server.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    port: { type: 'string', default: '18798' },
    subscribers: { type: 'string', default: '100000' },
    out: { type: 'string', default: 'bench/results/http-subscribers.json' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const total = Number(values.subscribers);
const { base, runScenarios, finish } = await startEdgeServer(values.port);

type Body = Record<string, unknown> & { data?: Record<string, unknown>[]; next_cursor?: string | null };
const request = async (
  method: string,
  path: string,
  options: { token?: string; json?: unknown; csv?: string } = {},
): Promise<Body> => {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  if (options.csv !== undefined) headers['content-type'] = 'text/csv';
  const init = {
    method,
    headers,
    body: options.csv ?? (options.json === undefined ? undefined : JSON.stringify(options.json)),
  };
  // A kept-alive socket the server has just closed fails the next request: retry reads once.
  const response = await fetch(base + path, init).catch((error: unknown) =>
    method === 'GET' ? fetch(base + path, init) : Promise.reject(error),
  );
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Body>;
};

const { access_token: token } = (await request('POST', '/api/v1/auth/login', {
  json: { tenant: 'demo', email: 'owner@demo.isp', password: 'demo-owner-password' },
})) as { access_token: string };

const cities = ['Springfield', 'Riverton', 'Lakeside', 'Fairview', 'Georgetown', 'Salem', 'Madison', 'Clinton'];
const firstNames = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const csvOf = (from: number, to: number) => {
  const lines = ['first_name,last_name,email,phone,service_line1,service_city,service_postal_code,service_country'];
  for (let i = from; i <= to; i++) {
    lines.push(
      `${firstNames[i % firstNames.length]},Bench${i},bench${i}@subscribers.test,+1555${String(i).padStart(7, '0')},` +
        `${i} Fiber Road,${cities[i % cities.length]},${String(i % 100_000).padStart(5, '0')},US`,
    );
  }
  return lines.join('\n');
};

/** Imports rows [from, to] through POST /api/v1/subscriber-imports; milliseconds until completed. */
async function timedImport(from: number, to: number): Promise<{ rows: number; bytes: number; ms: number }> {
  const csv = csvOf(from, to);
  const started = performance.now();
  const job = await request('POST', '/api/v1/subscriber-imports', { token, csv });
  let status = job.status;
  while (status !== 'completed' && status !== 'failed') {
    await new Promise((r) => setTimeout(r, 50));
    status = (await request('GET', `/api/v1/subscriber-imports/${String(job.id)}?errors_limit=5`, { token })).status;
  }
  const ms = Math.round(performance.now() - started);
  if (status !== 'completed') throw new Error(`import ${from}..${to} failed`);
  console.log(JSON.stringify({ imported: to - from + 1, ms }));
  return { rows: to - from + 1, bytes: csv.length, ms };
}

const first = Math.min(10_000, total);
const seeding = [await timedImport(1, first)];
for (let from = first + 1; from <= total; from += 50_000)
  seeding.push(await timedImport(from, Math.min(total, from + 49_999)));

// A cursor half-way down the list (the list walks (created_at, id) newest first).
let cursor: string | null | undefined;
for (let walked = 0; walked < total / 2; walked += 200) {
  const page = await request(
    'GET',
    `/api/v1/subscribers?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    { token },
  );
  cursor = page.next_cursor;
}
const middle = await request(
  'GET',
  `/api/v1/subscribers?q=${encodeURIComponent(`SUB-${String(Math.ceil(total / 2)).padStart(6, '0')}`)}`,
  { token },
);
const someId = String(middle.data![0]!.id);
const auth = { authorization: `Bearer ${token}` };

const scenarios: Scenario[] = [
  { name: 'trivial GET /health', path: '/health' },
  { name: 'list, first page (limit 50)', path: '/api/v1/subscribers?limit=50', headers: auth },
  {
    name: `list, deep cursor page (row ${total / 2}, limit 50)`,
    path: `/api/v1/subscribers?limit=50&cursor=${encodeURIComponent(String(cursor))}`,
    headers: auth,
  },
  {
    name: 'search ?q= name prefix (Bench4242, 1 match + prefixes)',
    path: '/api/v1/subscribers?q=bench4242&limit=50',
    headers: auth,
  },
  { name: 'search ?q= phone digits (0012345)', path: '/api/v1/subscribers?q=0012345&limit=50', headers: auth },
  {
    name: 'search ?q= subscriber number',
    path: `/api/v1/subscribers?q=SUB-${String(Math.ceil(total / 3)).padStart(6, '0')}&limit=50`,
    headers: auth,
  },
  { name: 'get by id', path: `/api/v1/subscribers/${someId}`, headers: auth },
  {
    name: 'create (with a service address)',
    path: '/api/v1/subscribers',
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      first_name: 'Bench',
      last_name: 'Created',
      addresses: [{ line1: '9 Bench St', city: 'Springfield', country: 'US' }],
    }),
  },
];

const results = await runScenarios(scenarios, { duration, connections });
finish(values.out, {
  command: `node bench/http/subscribers.ts --duration ${duration} --connections ${connections} --subscribers ${total}`,
  note:
    'Server is one Node process (edge/node.ts, libSQL files, demo tenant); load generator is autocannon in a ' +
    'second process on the same machine. Seeding goes through POST /api/v1/subscriber-imports (validation of ' +
    'every row, then one transaction per file). Create adds rows during its run, so later scenarios would see ' +
    'more; it runs last.',
  seeding: { subscribers: total, imports: seeding, total_ms: seeding.reduce((sum, s) => sum + s.ms, 0) },
  results,
});
