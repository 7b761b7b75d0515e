// A tenant with a catalog and a subscriber, driven through the public API only.
import { startEdge, unique, type Json } from '../support/edge-app.ts';

export type BillingSetupOptions = { timezone?: string; currency?: string; policy?: Json };

export async function setupBilling(options: BillingSetupOptions = {}) {
  const edge = await startEdge();
  const currency = options.currency ?? 'USD';
  const tenant = await edge.createTenant({ timezone: options.timezone ?? 'UTC', currency });
  const auth = { token: tenant.owner.token };
  const post = async (path: string, body: Json = {}, status = 201) => edge.ok(await edge.call('POST', `/api/v1/${path}`, { token: auth.token, body }), status).body;
  const get = async (path: string) => edge.ok(await edge.call('GET', `/api/v1/${path}`, { token: auth.token }), 200).body;
  const patch = async (path: string, body: Json) => edge.ok(await edge.call('PATCH', `/api/v1/${path}`, { token: auth.token, body }), 200).body;
  /** Moves the fake clock (ISO instant) and logs in again, as tokens expire. */
  const travel = async (iso: string) => {
    edge.clock.now = Date.parse(iso);
    auth.token = await edge.login(tenant.slug, tenant.owner.email, tenant.owner.password);
  };

  if (options.policy) {
    const policy = await post('policy-sets', { name: unique('policy-'), ...options.policy });
    await patch('billing-settings', { default_policy_set_id: policy.id });
  }

  /** An offer priced `amount` in the tenant currency. */
  const offer = async (amount: number, extra: Json = {}) =>
    post('offers', {
      code: unique('PLAN-').toUpperCase(),
      name: unique('Plan '),
      service_type: 'residential',
      access_type: 'fiber',
      billing_cycle: 'monthly',
      billing_mode: 'postpaid',
      prices: [{ currency, amount }],
      download_mbps: 100,
      upload_mbps: 50,
      ...extra,
    });
  const subscriber = async (extra: Json = {}) => post('subscribers', { first_name: 'Ada', email: `${unique('ada')}@example.com`, ...extra });
  const subscription = async (body: Json) => post('subscriptions', body);
  /** A live subscription on `offerId`, activated at `at` (ISO). */
  const activeSubscription = async (offerId: unknown, at: string, extra: Json = {}) => {
    const owner = await subscriber();
    const sub = await subscription({ subscriber_id: owner.id, offer_id: offerId, start_at: at, ...extra });
    await post(`subscriptions/${String(sub.id)}/activate`, { at }, 200);
    return { subscriber: owner, subscription: sub, id: String(sub.id), subscriberId: String(owner.id) };
  };
  const billingRun = async (asOf: string) => post('billing-runs', { as_of: asOf });
  const invoices = async (subscriberId: string) => (await get(`invoices?subscriber_id=${subscriberId}`)).data!;
  const balance = async (subscriberId: string) => get(`subscribers/${subscriberId}/balance`);
  const count = async (sql: string) => Number((await edge.tenantSql(tenant.slug, sql)).rows[0]!.n);
  return { edge, tenant, auth, travel, currency, post, get, patch, offer, subscriber, subscription, activeSubscription, billingRun, invoices, balance, count };
}

export type BillingSetup = Awaited<ReturnType<typeof setupBilling>>;
