import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseDriver } from '../databases.ts';
import { createFileClient } from './file-client.ts';
import { serializeClient } from './serialized-client.ts';

/** One libSQL file per database under `dir` (self-hosted deployments). */
export function createFileDriver(dir: string): DatabaseDriver {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, `${name}.db`);
  const connect = (name: string) =>
    // One connection, its operations taken in turn (see serializeClient). The busy timeout
    // covers other processes sharing the file (backups, the CLI). synchronous is a
    // per-connection setting, set once on that connection before anything else runs.
    // FULL: a COMMIT returns only after the WAL is synced, so an acknowledged write (a
    // payment, an audit entry, a document number) survives a power loss too, not just a
    // process crash. NORMAL would save about 1–2 ms per commit here and is deliberately
    // not used: these databases hold money.
    serializeClient(createFileClient(path(name), { timeoutMs: 5_000 }), { setup: 'PRAGMA synchronous = FULL' });

  return {
    connect,
    async provision(name) {
      if (existsSync(path(name))) throw new Error(`database ${name} already exists`);
      const client = connect(name);
      try {
        // WAL is a property of the file, so it sticks for every later connection.
        await client.execute('PRAGMA journal_mode = WAL');
      } finally {
        client.close();
      }
    },
    async exists(name) {
      return existsSync(path(name));
    },
    async destroy(name) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(path(name) + suffix, { force: true });
    },
  };
}
