import type { Platform } from '../../env.ts';
import { forEachActiveTenant } from '../scheduler/for-each-tenant.ts';
import { sweepTicketSlas } from './sla-breaches.ts';

/**
 * The scheduler's SLA job (every minute): sweeps the SLA clocks of every active tenant.
 * A tenant that fails is logged and skipped; its breaches are recorded by the next run,
 * or when read.
 */
export async function sweepAllTenantSlas(
  platform: Platform,
): Promise<{ tenants: number; breached: number; failed: number }> {
  const { tenants, done, failed } = await forEachActiveTenant(
    platform,
    'sla-sweep',
    async (ctx) => (await sweepTicketSlas({ ctx, now: platform.now() })).breached.length,
  );
  return { tenants, breached: done, failed };
}
