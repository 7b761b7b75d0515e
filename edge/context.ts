import type { ResultSet } from '@libsql/client';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import type { SQLiteTransaction } from 'drizzle-orm/sqlite-core';
import type { ControlDb, TenantDb } from '../db/databases.ts';
import type { StaffRole } from '../db/tenant/index.ts';
import type { Platform } from './env.ts';
import type { Logger } from './lib/logger.ts';
import type { Permission } from './permissions.ts';

export type { ControlDb, TenantDb };
/** An open transaction on a tenant database. */
export type TenantTx = Parameters<Parameters<TenantDb['transaction']>[0]>[0];
/** An open transaction on the control database. */
export type ControlTx = Parameters<Parameters<ControlDb['transaction']>[0]>[0];
/** A database of schema S, or an open transaction on it: what a service reads and writes through. */
export type DbOrTx<S extends Record<string, unknown>> =
  LibSQLDatabase<S> | SQLiteTransaction<'async', ResultSet, S, ExtractTablesWithRelations<S>>;

export type TenantRecord = Readonly<{
  id: string;
  slug: string;
  name: string;
  currency: string;
  timezone: string;
  status: 'provisioning' | 'active' | 'suspended';
  maxSubscribers: number | null;
}>;

/** Who is calling. Staff users and API keys belong to exactly one tenant. */
export type Principal =
  | { kind: 'platform_user'; id: string }
  | { kind: 'user'; id: string; tenant: TenantRecord; role: StaffRole; permissions: ReadonlySet<Permission> }
  | { kind: 'api_key'; id: string; tenant: TenantRecord; role: StaffRole; permissions: ReadonlySet<Permission> };

export type TenantPrincipal = Extract<Principal, { kind: 'user' | 'api_key' }>;

/** What a service needs to act for a caller: the caller's database, identity and request. */
export type ServiceContext<Db> = Readonly<{
  db: Db;
  platform: Platform;
  actor: { type: 'user' | 'api_key' | 'platform_user' | 'system'; id: string | null };
  requestId: string;
  ip: string | null;
  log: Logger;
}>;

// A POST with an Idempotency-Key runs in one transaction (middleware/idempotency.ts), so a
// service's `db` may be that transaction; its own transactions nest in it as savepoints.
export type TenantContext = ServiceContext<TenantDb | TenantTx> &
  Readonly<{
    tenant: TenantRecord;
    principal: TenantPrincipal | null;
    /** Set on a keyed POST of a long-running route: called in the transaction that creates the resource. */
    keyResource?: (tx: TenantTx, id: string) => Promise<void>;
  }>;
export type PlatformContext = ServiceContext<ControlDb | ControlTx>;

export type HonoEnv = {
  Variables: {
    requestId: string;
    clientIp: string | null;
    log: Logger;
    platform: Platform;
    principal: Principal;
    tenantCtx: TenantContext;
    platformCtx: PlatformContext;
  };
};
