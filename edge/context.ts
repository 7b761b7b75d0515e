import type { ControlDb, ControlTx, DbOrTx, TenantDb, TenantReader, TenantTx } from '../db/databases.ts';
import type { StaffRole } from '../db/tenant/index.ts';
import type { Platform } from './env.ts';
import type { Logger } from './lib/logger.ts';
import type { Permission } from './permissions.ts';

export type { ControlDb, ControlTx, DbOrTx, TenantDb, TenantReader, TenantTx };

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
export type TenantContext = ServiceContext<TenantTx> &
  Readonly<{
    tenant: TenantRecord;
    principal: TenantPrincipal | null;
    /** Set on a keyed POST of a long-running route: called in the transaction that creates the resource. */
    keyResource?: (tx: TenantTx, id: string) => Promise<void>;
  }>;
export type PlatformContext = ServiceContext<ControlTx>;

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
