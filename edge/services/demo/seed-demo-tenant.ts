import { drizzle } from 'drizzle-orm/libsql/web';
import * as controlSchema from '../../../db/control/index.ts';
import * as tenantSchema from '../../../db/tenant/index.ts';
import type { PlatformContext, TenantContext } from '../../context.ts';
import type { Platform } from '../../env.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { createLead } from '../leads/manage-leads.ts';
import { createTenant } from '../platform/create-tenant.ts';
import { SubscriberCreate, createSubscriber } from '../subscribers/manage-subscribers.ts';
import { findTenantBySlug } from '../tenants/find-tenant.ts';
import { createTicket } from '../tickets/manage-tickets.ts';
import { createUser } from '../users/manage-users.ts';

export const demoTenant = { slug: 'demo', name: 'Demo Fiber ISP', currency: 'USD', timezone: 'America/New_York' } as const;

// Demo data only: these logins are printed at start and documented in the README.
export const demoLogins = [
  { email: 'owner@demo.isp', password: 'demo-owner-password', role: 'owner' },
  { email: 'support@demo.isp', password: 'demo-support-password', role: 'support' },
  { email: 'billing@demo.isp', password: 'demo-billing-password', role: 'billing' },
] as const;

// A few records so every screen and list has something to show on first start.
const demoSubscribers = [
  { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.net', phone: '+1 (212) 555-0101', addresses: [{ line1: '12 Analytical Way', city: 'New York', region: 'NY', postal_code: '10001', country: 'US', latitude: 40.7506, longitude: -73.9972 }] },
  { first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.net', phone: '+1 212 555 0102', addresses: [{ line1: '1 Compiler Court', city: 'Brooklyn', region: 'NY', postal_code: '11201', country: 'US' }] },
  { kind: 'organization', organization_name: 'Harbor Coffee Co.', email: 'it@harbor-coffee.example', phone: '+12125550103', billing_day: 15, addresses: [{ line1: '88 Pier Street', city: 'New York', region: 'NY', postal_code: '10004', country: 'US' }] },
  { first_name: 'Linus', last_name: 'Pauling', email: 'linus@example.net', status: 'suspended', addresses: [{ line1: '5 Bond Lane', city: 'Queens', region: 'NY', postal_code: '11101', country: 'US' }] },
] as const;

/** Creates the demo tenant with staff, subscribers, a lead and a ticket, unless it exists. Returns whether it did. */
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
    const created = [];
    for (const subscriber of demoSubscribers) created.push(await createSubscriber({ ctx: tenantCtx, input: SubscriberCreate.parse(subscriber) }));
    await createLead({ ctx: tenantCtx, input: { first_name: 'Alan', last_name: 'Turing', email: 'alan@example.net', phone: '+12125550199', address: { line1: '7 Enigma Road', city: 'New York', region: 'NY', postal_code: '10002', country: 'US' }, source: 'web', interested_offer: 'Fiber 500' } });
    await createTicket({
      ctx: tenantCtx,
      input: { subject: 'Slow speeds in the evening', description: 'Speed tests show 40 Mbps on a 500 Mbps plan after 8 pm.', priority: 'normal', subscriber_id: created[0]!.id },
    });
  } finally {
    lease.release();
  }
  return true;
}
