import type { Client, ResultSet } from '@libsql/client';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { drizzle } from 'drizzle-orm/libsql/web';
import type { SQLiteTransaction } from 'drizzle-orm/sqlite-core';
import * as controlSchema from './control/index.ts';
import * as tenantSchema from './tenant/index.ts';
import { controlMigrations } from './migrations/control/index.ts';
import { tenantMigrations } from './migrations/tenant/index.ts';
import { migrateDatabase } from './migrate.ts';

/** Where databases live: files on disk, or namespaces of a libSQL server (sqld, Turso). */
export interface DatabaseDriver {
  /** A client for an existing database; must not create anything. */
  connect(name: string): Client;
  /** Creates the storage of a new database; fails if it exists. */
  provision(name: string): Promise<void>;
  exists(name: string): Promise<boolean>;
  destroy(name: string): Promise<void>;
}

export type TenantDb = LibSQLDatabase<typeof tenantSchema>;
export type ControlDb = LibSQLDatabase<typeof controlSchema>;

/**
 * A database of schema S or an open transaction on it: what a service reads and writes through.
 * A service runs in its caller's transaction, or on the bare database when there is none; its own
 * `transaction()` calls nest as savepoints.
 */
export type DbOrTx<S extends Record<string, unknown>> =
  LibSQLDatabase<S> | SQLiteTransaction<'async', ResultSet, S, ExtractTablesWithRelations<S>>;
/** A tenant database or an open transaction on it, for a service that may write. */
export type TenantTx = DbOrTx<typeof tenantSchema>;
/** A tenant database or an open transaction on it, for a service that only reads. */
export type TenantReader = Pick<TenantTx, 'select'>;
/** The control database or an open transaction on it. */
export type ControlTx = DbOrTx<typeof controlSchema>;

/** A tenant database borrowed for the length of a request, raw and typed; release it when done. */
export type Lease = { client: Client; db: TenantDb; release: () => void };

export interface Databases {
  /** The control database (tenants, platform staff), created and migrated on first use. */
  control(): Promise<Client>;
  /** The control database, typed. */
  controlDb(): Promise<ControlDb>;
  /** Creates and migrates a tenant's database; fails if it exists. */
  createTenant(slug: string): Promise<void>;
  /** Opens a tenant's database, migrating it first if its schema is behind. */
  leaseTenant(slug: string): Promise<Lease>;
  dropTenant(slug: string): Promise<void>;
  close(): void;
}

export class UnknownDatabaseError extends Error {
  override name = 'UnknownDatabaseError';
}

const controlName = 'control';
// Tenant names are prefixed so no slug can collide with the control database.
const tenantName = (slug: string) => `tenant-${slug}`;

type Entry = { client: Promise<{ client: Client; db: TenantDb }>; leases: number };

// drizzle() walks the whole schema (≈ 70 µs), so each client gets its typed instance once.
const typed = (client: Client) => ({ client, db: drizzle(client, { schema: tenantSchema }) });

/**
 * Tenant databases behind one driver, with a bounded set of open clients: the least
 * recently used idle client is closed when more than `maxOpen` are open (file handles
 * are a finite resource, and a closed libSQL file client frees them only at GC).
 */
export function createDatabases(driver: DatabaseDriver, options: { maxOpen?: number } = {}): Databases {
  const maxOpen = options.maxOpen ?? 256;
  const open = new Map<string, Entry>();
  let control: Promise<Client> | undefined;
  let controlDb: Promise<ControlDb> | undefined;

  const evictIdle = () => {
    for (const [slug, entry] of open) {
      if (open.size <= maxOpen) return;
      if (entry.leases > 0) continue;
      open.delete(slug);
      void entry.client.then(
        (c) => c.client.close(),
        () => undefined,
      );
    }
  };

  const connectTenant = async (slug: string) => {
    if (!(await driver.exists(tenantName(slug)))) throw new UnknownDatabaseError(`no database for tenant ${slug}`);
    const client = driver.connect(tenantName(slug));
    await migrateDatabase(client, tenantMigrations);
    return typed(client);
  };

  const openControl = () => {
    control ??= (async () => {
      if (!(await driver.exists(controlName))) await driver.provision(controlName);
      const client = driver.connect(controlName);
      await migrateDatabase(client, controlMigrations);
      return client;
    })().catch((error: unknown) => {
      control = undefined;
      controlDb = undefined;
      throw error;
    });
    return control;
  };

  return {
    control: openControl,
    controlDb() {
      controlDb ??= openControl().then((client) => drizzle(client, { schema: controlSchema }));
      return controlDb;
    },

    async createTenant(slug) {
      await driver.provision(tenantName(slug));
      const client = driver.connect(tenantName(slug));
      try {
        await migrateDatabase(client, tenantMigrations);
      } finally {
        client.close();
      }
    },

    async leaseTenant(slug) {
      let entry = open.get(slug);
      if (entry) {
        open.delete(slug); // re-insert: Map order is the LRU order
      } else {
        const client = connectTenant(slug);
        client.catch(() => open.get(slug) === entry && open.delete(slug));
        entry = { client, leases: 0 };
      }
      open.set(slug, entry);
      entry.leases++;
      const held = entry;
      try {
        const { client, db } = await held.client;
        let released = false;
        return {
          client,
          db,
          release: () => {
            if (released) return;
            released = true;
            held.leases--;
            evictIdle();
          },
        };
      } catch (error) {
        held.leases--;
        throw error;
      }
    },

    async dropTenant(slug) {
      const entry = open.get(slug);
      open.delete(slug);
      if (entry)
        await entry.client.then(
          (c) => c.client.close(),
          () => undefined,
        );
      await driver.destroy(tenantName(slug));
    },

    close() {
      for (const entry of open.values())
        void entry.client.then(
          (c) => c.client.close(),
          () => undefined,
        );
      open.clear();
      void control?.then(
        (c) => c.close(),
        () => undefined,
      );
      control = undefined;
      controlDb = undefined;
    },
  };
}
