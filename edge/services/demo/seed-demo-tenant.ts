import { drizzle } from 'drizzle-orm/libsql/web';
import * as controlSchema from '../../../db/control/index.ts';
import * as tenantSchema from '../../../db/tenant/index.ts';
import type { PlatformContext, TenantContext } from '../../context.ts';
import type { Platform } from '../../env.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { findTenantBySlug } from '../tenants/find-tenant.ts';
import { createTenant } from '../platform/create-tenant.ts';
import { createUser } from '../users/manage-users.ts';

export const demoTenant = { slug: 'demo', name: 'Demo Fiber ISP', currency: 'USD', timezone: 'America/New_York' } as const;

// Demo data only: these logins are printed at start and documented in the README.
export const demoLogins = [
  { email: 'owner@demo.isp', password: 'demo-owner-password', role: 'owner' },
  { email: 'support@demo.isp', password: 'demo-support-password', role: 'support' },
  { email: 'billing@demo.isp', password: 'demo-billing-password', role: 'billing' },
] as const;

/** Creates the demo tenant with a few staff users, unless it exists. Returns whether it did. */
export async function seedDemoTenant(platform: Platform): Promise<boolean> {
  const control = await platform.databases.control();
  if (await findTenantBySlug(control, demoTenant.slug)) return false;
  const base = { platform, actor: { type: 'system' as const, id: null }, requestId: `seed-${uuidv7()}`, ip: null, log: platform.log };
  const ctx: PlatformContext = { ...base, db: drizzle(control, { schema: controlSchema }) };
  const [owner, ...staff] = demoLogins;
  await createTenant({ ctx, input: { ...demoTenant, admin_email: owner.email, admin_password: owner.password } });
  const lease = await platform.databases.leaseTenant(demoTenant.slug);
  try {
    const tenant = (await findTenantBySlug(control, demoTenant.slug))!;
    const tenantCtx: TenantContext = {
      ...base,
      db: drizzle(lease.client, { schema: tenantSchema }),
      tenant,
      principal: { kind: 'user', id: 'seed', tenant, role: 'owner', permissions: new Set() },
    };
    for (const login of staff) {
      await createUser({ ctx: tenantCtx, input: { email: login.email, name: login.role, role: login.role, password: login.password } });
    }
  } finally {
    lease.release();
  }
  return true;
}
