// A tenant set up for collections tests, driven through the public API only: offers,
// subscribers, activated subscriptions, real billing runs, payments and collection runs
// on the fake clock, plus readers for the events and holds the runs leave behind.
import { startEdge, unique, type Json, type TestEdge } from '../support/edge-app.ts';

export const day = 86_400_000;
export const hour = 3_600_000;

export type Action = { subscriber_id: string; subscription_id?: string; invoice_id?: string; action: string; reason: string; step?: number };

/** Days pass in these tests: API keys (which do not expire like tokens), without a rate limit. */
export const startCollectionsEdge = () => startEdge({ API_KEY_RATE_LIMIT: 1_000_000 });

export async function collectionsWorld(edge: TestEdge, tenantOverrides: Json = {}) {
  const tenant = await edge.createTenant(tenantOverrides);
  const token = (await edge.createApiKey(tenant.owner.token, 'owner')).secret;
  const currency = 'USD';
  const iso = (ms: number) => new Date(ms).toISOString();
  const post = async (path: string, body: unknown, status = 201, as = token) => edge.ok(await edge.call('POST', `/api/v1/${path}`, { token: as, body }), status).body;
  const get = async (path: string, as = token) => edge.ok(await edge.call('GET', `/api/v1/${path}`, { token: as }), 200).body;

  const offer = async (overrides: Json = {}) =>
    post('offers', {
      code: unique('OFFER-'),
      name: 'Fiber 100',
      service_type: 'residential',
      access_type: 'fiber',
      billing_cycle: 'monthly',
      billing_mode: 'postpaid',
      prices: [{ currency, amount: 10_000 }],
      download_mbps: 100,
      upload_mbps: 20,
      ...overrides,
    });
  const subscriber = async (overrides: Json = {}) => post('subscribers', { first_name: 'Ada', last_name: unique('Lovelace-'), payment_due_days: 14, ...overrides });
  /** Creates and activates a subscription at `at`. */
  const subscribe = async (subscriberId: unknown, offerId: unknown, at: number, overrides: Json = {}) => {
    const created = await post('subscriptions', { subscriber_id: subscriberId, offer_id: offerId, start_at: iso(at), ...overrides });
    return post(`subscriptions/${String(created.id)}/activate`, { at: iso(at) }, 200);
  };
  const subscription = async (id: unknown) => get(`subscriptions/${String(id)}`);
  /** A billing run at `at` (the clock moves there first). */
  const bill = async (at: number) => {
    edge.clock.now = Math.max(edge.clock.now, at);
    return post('billing-runs', { as_of: iso(at) });
  };
  const invoices = async (subscriberId: unknown) => (await get(`invoices?subscriber_id=${String(subscriberId)}&limit=200`)).data!.reverse();
  const pay = async (subscriberId: unknown, amount: number) => post('payments', { subscriber_id: subscriberId, amount, currency, method: 'bank_transfer', reference: unique('ref-') });
  /** A collections run at `at`: the clock moves there and the run collects as of it. */
  const collect = async (at: number, as = token) => {
    edge.clock.now = at;
    return post('collections/runs', { as_of: iso(at) }, 201, as) as Promise<Json & { id: string; actions: Action[] }>;
  };
  const cases = async (query = '') => (await get(`collections/cases?limit=200${query}`)).data!;

  const rows = async (sql: string, args: (string | number)[] = []) => (await edge.tenantSql(tenant.slug, sql, args)).rows as unknown as Record<string, string | number | null>[];
  /** Domain events of these types, oldest first, payloads parsed. */
  const events = async (...types: string[]) =>
    (await rows(`SELECT type, subject_id, payload, occurred_at FROM domain_events WHERE type IN (${types.map(() => '?').join(', ')}) ORDER BY seq`, types)).map((r) => ({
      type: String(r.type),
      subject_id: String(r.subject_id),
      payload: JSON.parse(String(r.payload)) as Json,
    }));

  return { edge, tenant, token, currency, iso, post, get, offer, subscriber, subscribe, subscription, bill, invoices, pay, collect, cases, rows, events };
}

/** The actions without ids that differ per test, for compact comparisons. */
export const brief = (actions: readonly Action[]) => actions.map((a) => [a.action, a.reason, a.step ?? null, a.subscription_id ? 'sub' : a.invoice_id ? 'inv' : 'subscriber']);
