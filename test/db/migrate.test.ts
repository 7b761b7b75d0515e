import { createClient, type Client } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { controlMigrations } from '../../db/migrations/control/index.ts';
import { tenantMigrations } from '../../db/migrations/tenant/index.ts';
import { MigrationError, countAppliedMigrations, migrateDatabase, type Migration } from '../../db/migrate.ts';

const clients: Client[] = [];
const memory = () => {
  const client = createClient({ url: ':memory:' });
  clients.push(client);
  return client;
};
afterEach(() => clients.splice(0).forEach((c) => c.close()));

const schemaOf = async (client: Client) =>
  (
    await client.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
  ).rows.map((r) => ({ ...r }));

describe.each([
  ['control', controlMigrations],
  ['tenant', tenantMigrations],
] as const)('%s migrations', (_name, migrations) => {
  it('apply from empty', async () => {
    const client = memory();
    expect(await migrateDatabase(client, migrations)).toBe(migrations.length);
    expect(await countAppliedMigrations(client, migrations)).toBe(migrations.length);
    expect(await migrateDatabase(client, migrations)).toBe(0);
  });

  it.each(migrations.map((_, i) => i))('upgrade from version %i gives the same schema as from empty', async (from) => {
    const fresh = memory();
    await migrateDatabase(fresh, migrations);
    const old = memory();
    await migrateDatabase(old, migrations.slice(0, from));
    expect(await migrateDatabase(old, migrations)).toBe(migrations.length - from);
    expect(await schemaOf(old)).toEqual(await schemaOf(fresh));
  });
});

describe('migration safety', () => {
  const one: Migration[] = [{ tag: '0000_a', hash: 'h0', statements: ['CREATE TABLE a (x)'] }];
  const two: Migration[] = [
    ...one,
    { tag: '0001_b', hash: 'h1', statements: ['CREATE TABLE b (y)', 'INSERT INTO nope VALUES (1)'] },
  ];

  it('refuses a database written by a newer build', async () => {
    const client = memory();
    await migrateDatabase(client, [...one, { tag: '0001_x', hash: 'hx', statements: ['CREATE TABLE x (z)'] }]);
    await expect(migrateDatabase(client, one)).rejects.toThrow(MigrationError);
  });

  it('refuses a database whose applied migration differs from this build', async () => {
    const client = memory();
    await migrateDatabase(client, one);
    await expect(migrateDatabase(client, [{ ...one[0]!, hash: 'changed' }])).rejects.toThrow(/differs/);
  });

  it('leaves a failed migration wholly unapplied', async () => {
    const client = memory();
    await expect(migrateDatabase(client, two)).rejects.toThrow();
    expect(await countAppliedMigrations(client, two)).toBe(1);
    const tables = (await client.execute("SELECT name FROM sqlite_master WHERE name = 'b'")).rows;
    expect(tables).toHaveLength(0);
  });
});
