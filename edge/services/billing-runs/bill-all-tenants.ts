import type { Platform } from '../../env.ts';
import { runCollections } from '../collections/run-collections.ts';
import { forEachActiveTenant } from '../scheduler/for-each-tenant.ts';
import { runBilling } from './run-billing.ts';

/**
 * The scheduler's money job (hourly unless BILLING_SCHEDULE=off): for every active tenant,
 * a billing run and then a collections run as of now. Both are idempotent, so running
 * them every hour bills each period once, at the first tick after it starts, and takes
 * each dunning step once. Returns the invoices created and collection actions taken.
 */
export async function billAllTenants(
  platform: Platform,
): Promise<{ tenants: number; documents: number; failed: number }> {
  const { tenants, done, failed } = await forEachActiveTenant(platform, 'billing-schedule', async (ctx) => {
    const asOf = new Date(platform.now()).toISOString();
    const billed = await runBilling({ ctx, input: { as_of: asOf } });
    const collected = await runCollections({ ctx, input: { as_of: asOf } });
    return billed.invoices_created + collected.actions.length;
  });
  return { tenants, documents: done, failed };
}
