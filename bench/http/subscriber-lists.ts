// In-process bench of the subscriber list queries, without HTTP or auth: seeds a tenant
// database with N subscribers by direct SQL (as the CSV import writes them: one
// created_at per file, an address each, a tag on every 10th; no ANALYZE, as in
// production), prints each list variant's
// query plan, the statements a page runs and the time per page.
// Usage: node bench/http/subscriber-lists.ts [--subscribers 100000 --pages 200]
import { createClient, type Client, type InStatement } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrateDatabase } from '../../db/migrate.ts';
import { tenantMigrations } from '../../db/migrations/tenant/index.ts';
import * as schema from '../../db/tenant/index.ts';
import type { TenantDb } from '../../edge/context.ts';
import { decodeCursor } from '../../edge/services/page-of.ts';
import { listSubscriberRows, type SubscriberFilter } from '../../edge/services/subscribers/manage-subscribers.ts';

const { values } = parseArgs({
  options: { subscribers: { type: 'string', default: '100000' }, pages: { type: 'string', default: '200' } },
});
const total = Number(values.subscribers);
const pages = Number(values.pages);

const dir = mkdtempSync(join(tmpdir(), 'bench-subscriber-lists-'));
const client = createClient({ url: `file:${join(dir, 'tenant.db')}`, concurrency: 1 });
await client.execute('PRAGMA journal_mode = WAL');
await migrateDatabase(client, tenantMigrations);

const tagId = '01900000-0000-7000-8000-0000000000aa';
const cities = ['Springfield', 'Riverton', 'Lakeside', 'Fairview', 'Georgetown', 'Salem', 'Madison', 'Clinton'];
const statuses = ['active', 'active', 'active', 'suspended', 'canceled', 'delinquent'];
const started = performance.now();
await client.execute({
  sql: "INSERT INTO tags (id, name, name_key, created_at) VALUES (?, 'vip', 'vip', 0)",
  args: [tagId],
});
// Three "files" with one created_at each, as the bench's seeding imports produce.
const createdAt = (seq: number) => 1_700_000_000_000 + (seq <= 10_000 ? 0 : seq <= 60_000 ? 60_000 : 120_000);
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
for (let from = 1; from <= total; from += 5_000) {
  const batch: InStatement[] = [];
  for (let seq = from; seq < Math.min(total + 1, from + 5_000); seq++) {
    const id =
      `0190${hex(Math.floor(createdAt(seq) / 1000) % 0xffff, 4)}-${hex(seq % 0xffff, 4)}-7000-8000` +
      `-${hex(seq, 12)}`;
    const at = createdAt(seq);
    batch.push({
      sql: `INSERT INTO subscribers (id, seq, number, kind, status, first_name, last_name, display_name, email, phone,
        billing_day, payment_due_days, grace_days, min_balance, marketing_opt_in, custom_fields, created_at, updated_at)
            VALUES (?, ?, ?, 'person', ?, 'Ada', ?, ?, ?, ?, 1, 14, 7, 0, 0, '{}', ?, ?)`,
      args: [
        id,
        seq,
        `SUB-${String(seq).padStart(6, '0')}`,
        statuses[seq % statuses.length]!,
        `Bench${seq}`,
        `Ada Bench${seq}`,
        `bench${seq}@subscribers.test`,
        `+1555${String(seq).padStart(7, '0')}`,
        at,
        at,
      ],
    });
    batch.push({
      sql:
        `INSERT INTO subscriber_addresses (id, subscriber_id, kind, is_primary, line1, city, country, created_at, ` +
        `updated_at) VALUES (?, ?, 'service', 1, ?, ?, 'US', ?, ?)`,
      args: [`${id.slice(0, -1)}a`, id, `${seq} Fiber Road`, cities[seq % cities.length]!, at, at],
    });
    if (seq % 10 === 0)
      batch.push({
        sql: 'INSERT INTO subscriber_tags (subscriber_id, tag_id, created_at) VALUES (?, ?, ?)',
        args: [id, tagId, at],
      });
  }
  await client.batch(batch, 'write');
}
console.log(
  JSON.stringify({
    seeded: total,
    ms: Math.round(performance.now() - started),
    load: loadavg().map((l) => Math.round(l * 100) / 100),
  }),
);

// Counts the statements a page runs and keeps the last one's SQL for EXPLAIN.
let statements: { sql: string; params: unknown[] }[] = [];
const db = drizzle(client, {
  schema,
  logger: { logQuery: (sql, params) => statements.push({ sql, params }) },
}) as TenantDb;

const deepCursor = async (filter: SubscriberFilter) => {
  let cursor: string | undefined;
  for (let walked = 0; walked < total / 2; walked += 1000) {
    const page = await listSubscriberRows(db, { ...filter, limit: 1000, cursor });
    if (!page.next_cursor) break;
    // The service takes the sort key inside the opaque cursor, as the route passes it.
    cursor = decodeCursor(page.next_cursor) ?? undefined;
  }
  return cursor;
};

const variants: { name: string; filter: SubscriberFilter; deep?: boolean }[] = [
  { name: 'default order, first page', filter: {} },
  { name: 'default order, deep cursor', filter: {}, deep: true },
  { name: 'status=suspended', filter: { status: 'suspended' } },
  { name: 'status=suspended, deep cursor', filter: { status: 'suspended' }, deep: true },
  { name: 'city=salem', filter: { city: 'salem' } },
  { name: 'city=salem, deep cursor', filter: { city: 'salem' }, deep: true },
  { name: 'tag', filter: { tag: tagId } },
  { name: 'tag, deep cursor', filter: { tag: tagId }, deep: true },
  { name: 'archived=include', filter: { archived: 'include' } },
];

const explain = async (c: Client, s: { sql: string; params: unknown[] }) =>
  (await c.execute({ sql: `EXPLAIN QUERY PLAN ${s.sql}`, args: s.params as never })).rows.map((r) => String(r.detail));

for (const v of variants) {
  const cursor = v.deep ? await deepCursor(v.filter) : undefined;
  statements = [];
  const first = await listSubscriberRows(db, { ...v.filter, limit: 50, cursor });
  const plan = await explain(client, statements.at(-1)!);
  const perPage = statements.length;
  const t0 = performance.now();
  for (let i = 0; i < pages; i++) await listSubscriberRows(db, { ...v.filter, limit: 50, cursor });
  const ms = (performance.now() - t0) / pages;
  // The same statement through the raw client: what drizzle adds is the difference.
  const last = statements.at(-1)!;
  const t1 = performance.now();
  for (let i = 0; i < pages; i++) await client.execute({ sql: last.sql, args: last.params as never });
  const rawMs = (performance.now() - t1) / pages;
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(
    JSON.stringify({
      variant: v.name,
      rows: first.rows.length,
      statements_per_page: perPage,
      ms_per_page: round(ms),
      raw_ms_per_page: round(rawMs),
      plan,
    }),
  );
}
client.close();
rmSync(dir, { recursive: true, force: true });
