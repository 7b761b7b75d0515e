import type { Platform } from '../../env.ts';
import { billAllTenants } from '../billing-runs/bill-all-tenants.ts';
import { sweepAllTenantSlas } from '../tickets/sweep-all-tenants.ts';

// The minute of each hour the money job runs (UTC): away from :00, when other systems' crons pile up.
export const billingMinute = 7;

/**
 * What runs each minute (a timer on Node, the cron trigger on Workers): the SLA sweep,
 * and once an hour billing and collections for every tenant.
 */
export async function runScheduledJobs(platform: Platform): Promise<void> {
  await sweepAllTenantSlas(platform);
  if (platform.config.billingSchedule === 'hourly' && new Date(platform.now()).getUTCMinutes() === billingMinute) await billAllTenants(platform);
}
