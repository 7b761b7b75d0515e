// Opens the appliance's local libSQL files (replica.db, spool.db) with the settings
// that must hold on every connection.
//
// @libsql/client pools connections for `file:` URLs, and PRAGMAs such as synchronous
// and query_only are per connection: set on one pooled connection, they silently do not
// apply to the next. Hence `concurrency: 1`: one connection per client, so a PRAGMA
// set here sticks for the client's life. WAL is a property of the file and sticks
// anyway. The busy timeout goes through the client's `timeout` option, which libsql
// applies to every connection it opens. Callers that need the PRAGMAs guaranteed for a
// particular statement re-assert them (see spool/spool.ts).
//
// One connection also means no overlapping transactions on a client: an interactive
// transaction holds it, and a concurrent execute() fails with TRANSACTION_ACTIVE
// instead of waiting. Both users therefore funnel their database work through one
// serial queue.
import { createClient } from '@libsql/client';
import type { Client } from '@libsql/client';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Synchronous = 'NORMAL' | 'FULL';

export type LocalDatabaseOptions = {
  path: string;
  synchronous: Synchronous;
  /** Readers: refuse writes on this connection (PRAGMA query_only). */
  queryOnly?: boolean;
  busyTimeoutMs?: number;
};

const SYNCHRONOUS_LEVEL: Record<Synchronous, number> = { NORMAL: 1, FULL: 2 };

export class LocalDatabaseError extends Error {
  override name = 'LocalDatabaseError';
}

export async function openLocalDatabase(options: LocalDatabaseOptions): Promise<Client> {
  if (/[?#]/.test(options.path))
    throw new LocalDatabaseError(`database path must not contain "?" or "#": ${options.path}`);
  if (options.queryOnly === true) {
    if (!existsSync(options.path))
      throw new LocalDatabaseError(`database ${options.path} does not exist yet (its writer creates it)`);
  } else {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  }
  const client = createClient({ url: `file:${options.path}`, concurrency: 1, timeout: options.busyTimeoutMs ?? 5_000 });
  try {
    if (options.queryOnly !== true) await client.execute('PRAGMA journal_mode = WAL');
    await client.execute(`PRAGMA synchronous = ${options.synchronous}`);
    if (options.queryOnly === true) await client.execute('PRAGMA query_only = ON');
    const journal = await client.execute('PRAGMA journal_mode');
    const level = await client.execute('PRAGMA synchronous');
    if (journal.rows[0]?.[0] !== 'wal')
      throw new LocalDatabaseError(`${options.path}: expected WAL journal mode, got ${String(journal.rows[0]?.[0])}`);
    if (level.rows[0]?.[0] !== SYNCHRONOUS_LEVEL[options.synchronous]) {
      throw new LocalDatabaseError(`${options.path}: PRAGMA synchronous did not take effect`);
    }
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}

/** Reads PRAGMA synchronous and journal_mode on the client's connection (diagnostics, tests). */
export async function describeDatabase(
  client: Client,
): Promise<{ journalMode: string; synchronous: number; queryOnly: boolean }> {
  const [journal, level, queryOnly] = await Promise.all([
    client.execute('PRAGMA journal_mode'),
    client.execute('PRAGMA synchronous'),
    client.execute('PRAGMA query_only'),
  ]);
  return {
    journalMode: String(journal.rows[0]?.[0]),
    synchronous: Number(level.rows[0]?.[0]),
    queryOnly: Number(queryOnly.rows[0]?.[0]) === 1,
  };
}

export type Cell = string | number | null;

// SQLite's default limit (SQLITE_MAX_VARIABLE_NUMBER) is 32766 parameters per statement.
const MAX_PARAMS = 32_000;

/**
 * `head (columns) VALUES (…), (…) tail` in as few statements as the parameter limit
 * allows. The file driver prepares every statement it runs, so one statement for a
 * thousand rows costs a fraction of a thousand statements.
 */
export function multiRowStatements(
  head: string,
  columns: readonly string[],
  rows: readonly Cell[][],
  tail = '',
): Array<{ sql: string; args: Cell[] }> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, columns.length)));
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const statements: Array<{ sql: string; args: Cell[] }> = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    statements.push({
      sql: `${head} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')} ${tail}`.trim(),
      args: chunk.flat(),
    });
  }
  return statements;
}

/** `IN (?, ?, …)` lists in chunks under the parameter limit. */
export function chunked<T>(items: readonly T[], size = 500): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
