import type { Client } from '@libsql/client';

export type Migration = { tag: string; hash: string; statements: string[] };

const ledger = `CREATE TABLE IF NOT EXISTS __migrations (
  id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** How many of `migrations` a database has applied, after checking they are ours. */
export async function countAppliedMigrations(client: Client, migrations: readonly Migration[]): Promise<number> {
  const table = await client.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__migrations'");
  if (table.rows.length === 0) return 0;
  const applied = await client.execute('SELECT id, tag, hash FROM __migrations ORDER BY id');
  if (applied.rows.length > migrations.length) {
    throw new MigrationError(
      `database has ${applied.rows.length} migrations, this build knows ${migrations.length}: it was written by a ` +
        `newer version`,
    );
  }
  applied.rows.forEach((row, i) => {
    if (row.tag !== migrations[i]?.tag || row.hash !== migrations[i]?.hash) {
      throw new MigrationError(
        `migration ${i} in the database (${String(row.tag)}) differs from this build's (${migrations[i]?.tag})`,
      );
    }
  });
  return applied.rows.length;
}

/**
 * Brings a database up to the latest migration. Each migration runs in one write
 * transaction together with its ledger row, so a crash leaves it fully applied or not
 * at all; a concurrent migrator waits on the write lock and then finds nothing to do.
 */
export async function migrateDatabase(client: Client, migrations: readonly Migration[]): Promise<number> {
  await client.execute(ledger);
  let applied = 0;
  for (;;) {
    const done = await countAppliedMigrations(client, migrations);
    const next = migrations[done];
    if (!next) return applied;
    const tx = await client.transaction('write');
    try {
      const again = await tx.execute({ sql: 'SELECT count(*) AS n FROM __migrations', args: [] });
      if (Number(again.rows[0]?.n) !== done) {
        await tx.rollback();
        continue;
      }
      for (const statement of next.statements) await tx.execute(statement);
      await tx.execute({
        sql: 'INSERT INTO __migrations (id, tag, hash, applied_at) VALUES (?, ?, ?, ?)',
        args: [done, next.tag, next.hash, Date.now()],
      });
      await tx.commit();
      applied++;
    } finally {
      tx.close();
    }
  }
}
