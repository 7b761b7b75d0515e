import type { PlatformContext, TenantContext } from '../../context.ts';
import type { Platform } from '../../env.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { permissionsOf } from '../../permissions.ts';
import { runBilling } from '../billing-runs/run-billing.ts';
import { OfferCreate, TaxRateCreate } from '../catalog/catalog-input.ts';
import { createOffer } from '../catalog/manage-offers.ts';
import { createTaxRate } from '../catalog/manage-tax-rates.ts';
import { listInvoices } from '../invoices/manage-invoices.ts';
import { createLead } from '../leads/manage-leads.ts';
import { recordPayment } from '../payments/record-payment.ts';
import { createSubscription } from '../subscriptions/manage-subscriptions.ts';
import { activateSubscription } from '../subscriptions/subscription-lifecycle.ts';
import { createTenant } from '../platform/create-tenant.ts';
import { SubscriberCreate, createSubscriber } from '../subscribers/manage-subscribers.ts';
import { findTenantBySlug } from '../tenants/find-tenant.ts';
import { createTicket } from '../tickets/manage-tickets.ts';
import { createUser } from '../users/manage-users.ts';

export const demoTenant = {
  slug: 'demo',
  name: 'Demo Fiber ISP',
  currency: 'USD',
  timezone: 'America/New_York',
} as const;

// Demo data only: these logins are printed at start and documented in the README.
export const demoLogins = [
  { email: 'owner@demo.isp', password: 'demo-owner-password', role: 'owner' },
  { email: 'support@demo.isp', password: 'demo-support-password', role: 'support' },
  { email: 'billing@demo.isp', password: 'demo-billing-password', role: 'billing' },
] as const;

// A few records so every screen and list has something to show on first start.
const demoSubscribers = [
  {
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: 'ada@example.net',
    phone: '+1 (212) 555-0101',
    addresses: [
      {
        line1: '12 Analytical Way',
        city: 'New York',
        region: 'NY',
        postal_code: '10001',
        country: 'US',
        latitude: 40.7506,
        longitude: -73.9972,
      },
    ],
  },
  {
    first_name: 'Grace',
    last_name: 'Hopper',
    email: 'grace@example.net',
    phone: '+1 212 555 0102',
    addresses: [{ line1: '1 Compiler Court', city: 'Brooklyn', region: 'NY', postal_code: '11201', country: 'US' }],
  },
  {
    kind: 'organization',
    organization_name: 'Harbor Coffee Co.',
    email: 'it@harbor-coffee.example',
    phone: '+12125550103',
    billing_day: 15,
    addresses: [{ line1: '88 Pier Street', city: 'New York', region: 'NY', postal_code: '10004', country: 'US' }],
  },
  {
    first_name: 'Linus',
    last_name: 'Pauling',
    email: 'linus@example.net',
    addresses: [{ line1: '5 Bond Lane', city: 'Queens', region: 'NY', postal_code: '11101', country: 'US' }],
  },
] as const;

// Offers the demo subscribers are on, with New York City's combined sales tax on business service.
const demoOffers = [
  {
    code: 'FIBER-100',
    name: 'Fiber 100',
    service_type: 'residential',
    access_type: 'fiber',
    billing_cycle: 'monthly',
    billing_mode: 'postpaid',
    prices: [{ currency: 'USD', amount: 4_999 }],
    download_mbps: 100,
    upload_mbps: 100,
    setup_fee: [{ currency: 'USD', amount: 9_900 }],
  },
  {
    code: 'FIBER-500',
    name: 'Fiber 500',
    service_type: 'residential',
    access_type: 'fiber',
    billing_cycle: 'monthly',
    billing_mode: 'postpaid',
    prices: [{ currency: 'USD', amount: 6_999 }],
    download_mbps: 500,
    upload_mbps: 500,
    included_gb: 2_000,
    overage_per_gb: [{ currency: 'USD', amount: 50 }],
  },
  {
    code: 'BIZ-1G',
    name: 'Business Fiber 1G',
    service_type: 'business',
    access_type: 'fiber',
    billing_cycle: 'monthly',
    billing_mode: 'postpaid',
    prices: [{ currency: 'USD', amount: 19_900 }],
    download_mbps: 1_000,
    upload_mbps: 1_000,
  },
] as const;

/**
 * Catalog, subscriptions for the first three subscribers (activated now), a billing run
 * and Ada's payment, so invoices, payments, balances and the journal have something to show.
 */
async function seedDemoBilling(ctx: TenantContext, subscriberIds: readonly string[]) {
  const tax = await createTaxRate({
    ctx,
    input: TaxRateCreate.parse({ name: 'NYC sales tax', rate: '8.875', mode: 'exclusive' }),
  });
  const offers = [];
  for (const offer of demoOffers)
    offers.push(
      await createOffer({
        ctx,
        input: OfferCreate.parse(offer.service_type === 'business' ? { ...offer, tax_rate_id: tax.id } : offer),
      }),
    );
  const now = new Date(ctx.platform.now()).toISOString();
  const plans = [offers[1]!, offers[0]!, offers[2]!];
  for (const [i, offer] of plans.entries()) {
    const subscription = await createSubscription({
      ctx,
      input: { subscriber_id: subscriberIds[i]!, offer_id: offer.id, start_at: now, username: `demo-${i + 1}@fiber` },
    });
    await activateSubscription({ ctx, input: { id: subscription.id } });
  }
  await runBilling({ ctx, input: { as_of: now } });
  const [adaInvoice] = (await listInvoices({ ctx, input: { subscriber_id: subscriberIds[0]!, limit: 1 } })).data;
  if (adaInvoice)
    await recordPayment({
      ctx,
      input: {
        subscriber_id: subscriberIds[0]!,
        amount: adaInvoice.total,
        currency: adaInvoice.currency,
        method: 'bank_transfer',
        reference: 'ACH demo',
      },
    });
}

/**
 * Creates the demo tenant with staff, subscribers, billing, a lead and a ticket, unless it exists. Returns whether it
 * did.
 */
export async function seedDemoTenant(platform: Platform): Promise<boolean> {
  const control = await platform.databases.control();
  if (await findTenantBySlug(control, demoTenant.slug)) return false;
  const base = {
    platform,
    actor: { type: 'system' as const, id: null },
    requestId: `seed-${uuidv7()}`,
    ip: null,
    log: platform.log,
  };
  const ctx: PlatformContext = { ...base, db: await platform.databases.controlDb() };
  const [owner, ...staff] = demoLogins;
  await createTenant({ ctx, input: { ...demoTenant, admin_email: owner.email, admin_password: owner.password } });
  const lease = await platform.databases.leaseTenant(demoTenant.slug);
  try {
    const tenant = (await findTenantBySlug(control, demoTenant.slug))!;
    const tenantCtx: TenantContext = {
      ...base,
      db: lease.db,
      tenant,
      principal: { kind: 'user', id: 'seed', tenant, role: 'owner', permissions: permissionsOf('owner') },
    };
    for (const login of staff) {
      await createUser({
        ctx: tenantCtx,
        input: { email: login.email, name: login.role, role: login.role, password: login.password },
      });
    }
    const created = [];
    for (const subscriber of demoSubscribers)
      created.push(await createSubscriber({ ctx: tenantCtx, input: SubscriberCreate.parse(subscriber) }));
    await createLead({
      ctx: tenantCtx,
      input: {
        first_name: 'Alan',
        last_name: 'Turing',
        email: 'alan@example.net',
        phone: '+12125550199',
        address: { line1: '7 Enigma Road', city: 'New York', region: 'NY', postal_code: '10002', country: 'US' },
        source: 'web',
        interested_offer: 'Fiber 500',
      },
    });
    await seedDemoBilling(
      tenantCtx,
      created.map((c) => c.id),
    );
    await createTicket({
      ctx: tenantCtx,
      input: {
        subject: 'Slow speeds in the evening',
        description: 'Speed tests show 40 Mbps on a 500 Mbps plan after 8 pm.',
        priority: 'normal',
        subscriber_id: created[0]!.id,
      },
    });
  } finally {
    lease.release();
  }
  return true;
}
