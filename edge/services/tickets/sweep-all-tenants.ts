import { drizzle } from 'drizzle-orm/libsql/web';
import * as tenantSchema from '../../../db/tenant/index.ts';
import type { Platform } from '../../env.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { findTenantBySlug } from '../tenants/find-tenant.ts';
import { sweepTicketSlas } from './sla-breaches.ts';

/**
 * The scheduler's job (every minute: a timer on Node, a cron trigger on Workers): sweeps
 * the SLA clocks of every active tenant, one tenant at a time. A tenant that fails is
 * logged and skipped; its breaches are recorded by the next run, or when read.
 */
export async function sweepAllTenantSlas(platform: Platform): Promise<{ tenants: number; breached: number; failed: number }> {
  const control = await platform.databases.control();
  const slugs = (await control.execute("SELECT slug FROM tenants WHERE status = 'active' ORDER BY slug")).rows.map((row) => String(row.slug));
  const requestId = `sla-sweep-${uuidv7(platform.now())}`;
  const log = platform.log.child({ request_id: requestId });
  let breached = 0;
  let failed = 0;
  for (const slug of slugs) {
    try {
      const tenant = await findTenantBySlug(control, slug);
      if (tenant?.status !== 'active') continue;
      const lease = await platform.databases.leaseTenant(slug);
      try {
        const ctx = { db: drizzle(lease.client, { schema: tenantSchema }), platform, actor: { type: 'system' as const, id: null }, requestId, ip: null, log: log.child({ tenant: slug }), tenant, principal: null };
        breached += (await sweepTicketSlas({ ctx, now: platform.now() })).breached.length;
      } finally {
        lease.release();
      }
    } catch (error) {
      failed++;
      log.error('SLA sweep failed', { tenant: slug, error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (breached > 0 || failed > 0) log.info('SLA sweep', { tenants: slugs.length, breached, failed });
  return { tenants: slugs.length, breached, failed };
}
