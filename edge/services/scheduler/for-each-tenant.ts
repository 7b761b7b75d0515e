import type { TenantContext } from '../../context.ts';
import type { Platform } from '../../env.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { findTenantBySlug } from '../tenants/find-tenant.ts';

export type TenantSweep = { tenants: number; done: number; failed: number };

/**
 * Runs `work` for one tenant as the system actor, or returns null when the tenant is not
 * active. The tenant's database is leased for the duration.
 */
export async function asSystemInTenant<T>(
  platform: Platform,
  slug: string,
  requestId: string,
  work: (ctx: TenantContext) => Promise<T>,
): Promise<T | null> {
  const tenant = await findTenantBySlug(await platform.databases.control(), slug);
  if (tenant?.status !== 'active') return null;
  const lease = await platform.databases.leaseTenant(slug);
  try {
    const log = platform.log.child({ request_id: requestId, tenant: slug });
    const actor = { type: 'system' as const, id: null };
    return await work({ db: lease.db, platform, actor, requestId, ip: null, log, tenant, principal: null });
  } finally {
    lease.release();
  }
}

/**
 * Runs a scheduled job for every active tenant, one at a time, as the system actor with
 * a request id `<job>-<uuid>`. A tenant that fails is logged and skipped: every job here
 * is idempotent, so the next tick catches up. `work` returns how much it did.
 */
export async function forEachActiveTenant(
  platform: Platform,
  job: string,
  work: (ctx: TenantContext) => Promise<number>,
): Promise<TenantSweep> {
  const control = await platform.databases.control();
  const slugs = (await control.execute("SELECT slug FROM tenants WHERE status = 'active' ORDER BY slug")).rows.map(
    (row) => String(row.slug),
  );
  const requestId = `${job}-${uuidv7(platform.now())}`;
  const log = platform.log.child({ request_id: requestId });
  let done = 0;
  let failed = 0;
  for (const slug of slugs) {
    try {
      done += (await asSystemInTenant(platform, slug, requestId, work)) ?? 0;
    } catch (error) {
      failed++;
      log.error(`${job} failed`, { tenant: slug, error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (done > 0 || failed > 0) log.info(job, { tenants: slugs.length, done, failed });
  return { tenants: slugs.length, done, failed };
}
