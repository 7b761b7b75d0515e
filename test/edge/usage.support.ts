// A tenant set up for usage tests, driven through the public API: an offer with a data
// volume, subscriptions activated on a billing day, the appliance's API key reporting usage.
import { drizzle } from 'drizzle-orm/libsql/web';
import * as tenantSchema from '../../db/tenant/index.ts';
import type { TenantTx } from '../../edge/context.ts';
import { unique, type Json, type TestEdge } from '../support/edge-app.ts';

export const GB = 1_000_000_000;
export const day = 86_400_000;
export const jan1 = Date.UTC(2031, 0, 1);
export const feb1 = Date.UTC(2031, 1, 1);
export const iso = (ms: number) => new Date(ms).toISOString();

export type UsageWorld = Awaited<ReturnType<typeof usageWorld>>;

export async function usageWorld(edge: TestEdge, tenantOverrides: Json = {}) {
  const tenant = await edge.createTenant(tenantOverrides);
  // API keys, not login tokens: tests move the clock weeks ahead, past any token's life.
  const token = (await edge.createApiKey(tenant.owner.token, 'admin')).secret;
  // What the appliance holds: an operations key (network:write).
  const appliance = (await edge.createApiKey(tenant.owner.token, 'operations', 'appliance')).secret;
  const post = async (path: string, body: unknown, status = 201) => edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), status).body;
  const get = async (path: string) => edge.ok(await edge.call('GET', `/api/v1/${path}`, { token }), 200).body;

  const offer = async (overrides: Json = {}) =>
    post('offers', {
      code: unique('DATA-'),
      name: 'Fiber 10 GB',
      service_type: 'residential',
      access_type: 'fiber',
      billing_cycle: 'monthly',
      billing_mode: 'postpaid',
      prices: [{ currency: 'USD', amount: 3_000 }],
      download_mbps: 100,
      upload_mbps: 20,
      included_gb: 10,
      overage_per_gb: [{ currency: 'USD', amount: 250 }],
      ...overrides,
    });
  const subscriber = async () => post('subscribers', { first_name: 'Ada', last_name: unique('Lovelace-') });

  /** A subscription for `username` billed on the 1st, activated at `at` (default Jan 1, so January is a whole period). */
  async function subscribe(input: { offerId: unknown; username?: string | null; at?: number | null; subscriberId?: unknown }) {
    const subscriberId = input.subscriberId ?? (await subscriber()).id;
    const username = input.username === undefined ? unique('user-') : input.username;
    const created = await post('subscriptions', { subscriber_id: subscriberId, offer_id: input.offerId, start_at: iso(input.at ?? jan1), billing_anchor_day: 1, username });
    if (input.at === null) return { id: String(created.id), subscriberId: String(subscriberId), username };
    await post(`subscriptions/${String(created.id)}/activate`, { at: iso(input.at ?? jan1) }, 200);
    return { id: String(created.id), subscriberId: String(subscriberId), username };
  }

  /** One record of `bytes` (split into input and output) ending at `end`. */
  const record = (id: string, who: { username?: string | null; id?: string }, bytes: number, end = jan1 + 10 * day, extra: Json = {}) => ({
    id,
    ...(who.username ? { username: who.username } : { subscription_id: who.id }),
    start: iso(end - 3_600_000),
    end: iso(end),
    input_octets: Math.floor(bytes / 3),
    output_octets: bytes - Math.floor(bytes / 3),
    ...extra,
  });

  const report = async (records: unknown[], key = appliance) => edge.ok(await edge.call('POST', '/api/v1/usage-records', { token: key, body: { records } }), 200).body as { accepted: number; duplicates: number; rejected: { index: number; id: string | null; message: string }[] };
  const usage = async (subscriptionId: string, periodStart?: number) => get(`subscriptions/${subscriptionId}/usage${periodStart === undefined ? '' : `?period_start=${iso(periodStart)}`}`);

  const rows = async (query: string, args: (string | number | null)[] = []) => (await edge.tenantSql(tenant.slug, query, args)).rows as unknown as Record<string, string | number | null>[];
  const events = async (subjectId: string, prefix = '') =>
    (await rows(`SELECT type, payload FROM domain_events WHERE subject_id = ? AND type LIKE ? ORDER BY seq`, [subjectId, `${prefix}%`])).map((e) => ({ type: String(e.type), payload: JSON.parse(String(e.payload)) as Json }));

  /** Runs `fn` in a transaction on the tenant's database (for services the billing run calls). */
  async function inTransaction<T>(fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    const lease = await edge.platform.databases.leaseTenant(tenant.slug);
    try {
      return await drizzle(lease.client, { schema: tenantSchema }).transaction(fn);
    } finally {
      lease.release();
    }
  }

  return { tenant, token, appliance, post, get, offer, subscriber, subscribe, record, report, usage, rows, events, inTransaction };
}
