import type { Client } from '@libsql/client';
import type { TenantRecord } from '../../context.ts';
import type { Platform } from '../../env.ts';

/** Looks a tenant up by slug with one indexed read (on every authenticated tenant request). */
export async function findTenantBySlug(control: Client, slug: string): Promise<TenantRecord | null> {
  const result = await control.execute({
    sql: 'SELECT id, slug, name, currency, timezone, status, max_subscribers FROM tenants WHERE slug = ?',
    args: [slug],
  });
  const row = result.rows[0];
  if (!row) return null;
  return {
    id: String(row.id),
    slug: String(row.slug),
    name: String(row.name),
    currency: String(row.currency),
    timezone: String(row.timezone),
    status: row.status as TenantRecord['status'],
    maxSubscribers: row.max_subscribers === null ? null : Number(row.max_subscribers),
  };
}

/**
 * How long an active tenant's record is reused by the authentication of tenant requests.
 * A status change made through this process (updateTenant) is seen at once; other
 * processes, and other isolates on Workers (they share no memory), see a suspension at
 * most this late.
 */
export const activeTenantTtlMs = 1_000;

const activeTenants = new WeakMap<Platform, Map<string, { tenant: TenantRecord; until: number }>>();

/**
 * findTenantBySlug for every authenticated tenant request: an active tenant is read once a
 * second per process, not once a request. Only active records are kept, so anything that
 * refuses requests (unknown, suspended, provisioning) is read afresh each time and
 * reactivation takes effect at once. The map holds at most one entry per existing tenant.
 */
export async function findTenantForRequest(platform: Platform, slug: string): Promise<TenantRecord | null> {
  let cache = activeTenants.get(platform);
  if (!cache) activeTenants.set(platform, (cache = new Map()));
  const now = platform.now();
  const hit = cache.get(slug);
  if (hit && hit.until > now) return hit.tenant;
  const tenant = await findTenantBySlug(await platform.databases.control(), slug);
  if (tenant?.status === 'active') cache.set(slug, { tenant: Object.freeze(tenant), until: now + activeTenantTtlMs });
  else cache.delete(slug);
  return tenant;
}

/** Drops this process's copy of a tenant's record after a change to it. */
export function forgetTenant(platform: Platform, slug: string): void {
  activeTenants.get(platform)?.delete(slug);
}
