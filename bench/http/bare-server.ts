// The bare baselines the edge is measured against: Hono on @hono/node-server with a trivial
// route, and one row by id read with @libsql/client from the tenant's own file (the same
// driver settings as the edge: one connection, synchronous=FULL). Nothing else: no auth,
// no logging, no validation. Started as a child process by bench/http/reads.ts.
// Usage: node bench/http/bare-server.ts <port> <tenant db file>
import { serve } from '@hono/node-server';
import { createClient } from '@libsql/client';
import { Hono } from 'hono';

const [port, file] = process.argv.slice(2);
if (!port || !file) throw new Error('usage: bare-server.ts <port> <tenant db file>');
const client = createClient({ url: `file:${file}`, concurrency: 1, timeout: 5_000 });
await client.execute('PRAGMA synchronous = FULL');

const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
app.get('/row/:id', async (c) => {
  const { rows } = await client.execute({ sql: 'SELECT * FROM subscribers WHERE id = ?', args: [c.req.param('id')] });
  return rows[0] ? c.json(rows[0]) : c.json({ error: 'not found' }, 404);
});
serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => process.stdout.write('listening on\n'));
