// A tenant set up for billing tests (catalog, subscribers, subscriptions, billing runs,
// payments, collections, usage), driven through the public API only, and the books checks
// every billing test ends with: they read the database directly and recompute what the API
// derives, so a drift between documents and journal cannot hide.
import { drizzle } from 'drizzle-orm/libsql/web';
import { expect } from 'vitest';
import * as tenantSchema from '../../db/tenant/index.ts';
import type { StaffRole } from '../../db/tenant/index.ts';
import type { TenantTx } from '../../edge/context.ts';
import { startEdge, startTime, unique, type Json, type TestEdge } from './edge-app.ts';

export const hour = 3_600_000;
export const day = 86_400_000;
export const GB = 1_000_000_000;
export const jan1 = Date.UTC(2031, 0, 1);
export const feb1 = Date.UTC(2031, 1, 1);
export const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);
/** The 15th of each month from January 2031, 09:00 UTC: one billing run each. */
export const monthly = (i: number) => Date.UTC(2031, i, 15, 9);
/** An instant as the API writes it; ISO strings pass through. */
export const iso = (at: number | string) => (typeof at === 'string' ? at : new Date(at).toISOString());

/** Days pass in collections tests: API keys (which do not expire like tokens), without a rate limit. */
export const startCollectionsEdge = () => startEdge({ API_KEY_RATE_LIMIT: 1_000_000 });

export type BillingWorld = Awaited<ReturnType<typeof billingWorld>>;
export type WorldOptions = {
  /** The owner's login token instead of an API key; `travel` logs in again as tokens expire. */
  login?: boolean;
  /** The API key's role (default admin). */
  role?: StaffRole;
  /** A policy set made the tenant's default. */
  policy?: Json;
};
/** A fresh edge and a billing world on it signed in as the owner (a login token, not a key). */
export const ownerWorld = async (tenantOverrides: Json = {}, options: WorldOptions = {}) =>
  billingWorld(await startEdge(), tenantOverrides, { ...options, login: true });

export type Action = {
  subscriber_id: string;
  subscription_id?: string;
  invoice_id?: string;
  action: string;
  reason: string;
  step?: number;
};

export async function billingWorld(edge: TestEdge, tenantOverrides: Json = {}, options: WorldOptions = {}) {
  const tenant = await edge.createTenant(tenantOverrides);
  // By default an API key, not a login token: tests move the clock months ahead, past any token's life.
  const auth = {
    token: options.login
      ? tenant.owner.token
      : (await edge.createApiKey(tenant.owner.token, options.role ?? 'admin')).secret,
  };
  const currency = String(tenantOverrides.currency ?? 'USD');
  const post = async (path: string, body: unknown = {}, status = 201, as = auth.token) =>
    edge.ok(await edge.call('POST', `/api/v1/${path}`, { token: as, body }), status).body;
  const get = async (path: string, as = auth.token) =>
    edge.ok(await edge.call('GET', `/api/v1/${path}`, { token: as }), 200).body;
  const patch = async (path: string, body: Json) =>
    edge.ok(await edge.call('PATCH', `/api/v1/${path}`, { token: auth.token, body }), 200).body;
  /** Moves the fake clock to `at`, logging in again when the world holds a login token. */
  const travel = async (at: number | string) => {
    edge.clock.now = Date.parse(iso(at));
    if (options.login) auth.token = await edge.login(tenant.slug, tenant.owner.email, tenant.owner.password);
  };

  if (options.policy) {
    const policy = await post('policy-sets', { name: unique('policy-'), ...options.policy });
    await patch('billing-settings', { default_policy_set_id: policy.id });
  }

  /** Fiber 100, monthly, postpaid, 10,000 in the tenant currency; `offer(4999, extra)` sets the price. */
  const offer = async (overrides: Json | number = {}, extra: Json = {}) =>
    post('offers', {
      code: unique('OFFER-'),
      name: 'Fiber 100',
      service_type: 'residential',
      access_type: 'fiber',
      billing_cycle: 'monthly',
      billing_mode: 'postpaid',
      prices: [{ currency, amount: typeof overrides === 'number' ? overrides : 10_000 }],
      download_mbps: 100,
      upload_mbps: 20,
      ...(typeof overrides === 'number' ? {} : overrides),
      ...extra,
    });
  const subscriber = async (overrides: Json = {}) =>
    post('subscribers', { first_name: 'Ada', last_name: unique('Lovelace-'), payment_due_days: 14, ...overrides });
  /** Creates and activates a subscription; `at` is the activation instant. */
  const subscribe = async (subscriberId: unknown, offerId: unknown, at: number | string, overrides: Json = {}) => {
    const created = await post('subscriptions', {
      subscriber_id: subscriberId,
      offer_id: offerId,
      start_at: iso(at),
      ...overrides,
    });
    return post(`subscriptions/${String(created.id)}/activate`, { at: iso(at) }, 200);
  };
  /** A new subscriber's live subscription on `offerId`, activated at `at`. */
  const activeSubscription = async (offerId: unknown, at: number | string, extra: Json = {}) => {
    const owner = await subscriber();
    const sub = await subscribe(owner.id, offerId, at, extra);
    return { subscriber: owner, subscription: sub, id: String(sub.id), subscriberId: String(owner.id) };
  };
  const subscription = async (id: unknown) => get(`subscriptions/${String(id)}`);

  const bill = async (asOf: number | string) => post('billing-runs', { as_of: iso(asOf) });
  /** A billing run at `at`, the clock moved there first (never back). */
  const billAt = async (at: number) => {
    edge.clock.now = Math.max(edge.clock.now, at);
    return bill(at);
  };
  /** A subscriber's invoices, oldest first. */
  const invoices = async (subscriberId: unknown) =>
    (await get(`invoices?subscriber_id=${String(subscriberId)}&limit=200`)).data!.reverse();
  const invoice = async (id: unknown) => get(`invoices/${String(id)}`);
  const pay = async (subscriberId: unknown, amount: number, extra: Json = {}) =>
    post('payments', {
      subscriber_id: subscriberId,
      amount,
      currency,
      method: 'bank_transfer',
      reference: unique('ref-'),
      ...extra,
    });
  const balance = async (subscriberId: unknown) =>
    get(`subscribers/${String(subscriberId)}/balance?currency=${currency}`);

  /** A collections run at `at`: the clock moves there and the run collects as of it. */
  const collect = async (at: number, as = auth.token) => {
    edge.clock.now = at;
    return post('collections/runs', { as_of: iso(at) }, 201, as) as Promise<Json & { id: string; actions: Action[] }>;
  };
  const cases = async (query = '') => (await get(`collections/cases?limit=200${query}`)).data!;

  const rows = async (sql: string, args: (string | number | null)[] = []) =>
    (await edge.tenantSql(tenant.slug, sql, args)).rows as unknown as Record<string, string | number | null>[];
  /** Rows of a table, or of `table WHERE …`. */
  const count = async (from: string) => Number((await rows(`SELECT count(*) AS n FROM ${from}`))[0]!.n);
  /** Domain events of these types, oldest first, payloads parsed. */
  const events = async (...types: string[]) =>
    (
      await rows(
        `SELECT type, subject_id, payload FROM domain_events WHERE type IN (${types.map(() => '?').join(', ')}) ` +
          `ORDER BY seq`,
        types,
      )
    ).map((r) => ({
      type: String(r.type),
      subject_id: String(r.subject_id),
      payload: JSON.parse(String(r.payload)) as Json,
    }));

  /**
   * The books agree with themselves: every journal entry balances; each invoice's
   * balance_due is its total less what was applied (0 once void or written off); each
   * subscriber's receivable in the journal equals their open balances and their customer
   * credit equals unapplied payments and credit notes; the trial balance is level.
   */
  async function checkBooks() {
    expect(
      await rows(`SELECT entry_id, sum(debit) d, sum(credit) c FROM journal_lines GROUP BY entry_id HAVING d != c`),
    ).toEqual([]);
    const invoiceDrift = await rows(`
      SELECT number, status, balance_due,
        CASE WHEN status IN ('void', 'written_off') THEN 0 ELSE total
          - coalesce((SELECT sum(amount) FROM payment_allocations a WHERE a.invoice_id = i.id), 0)
          - coalesce((SELECT sum(amount) FROM credit_note_applications c WHERE c.invoice_id = i.id), 0) END AS derived
      FROM invoices i WHERE balance_due != derived
        OR (status = 'paid' AND balance_due != 0) OR (status IN ('issued', 'partially_paid', 'overdue') AND
        balance_due = 0 AND total > 0)`);
    expect(invoiceDrift).toEqual([]);
    const receivableDrift = await rows(`
      SELECT s.id,
        coalesce((SELECT sum(debit - credit) FROM journal_lines j WHERE j.subscriber_id = s.id AND j.account =
        'receivable'), 0) AS journal,
        coalesce((SELECT sum(balance_due) FROM invoices i WHERE i.subscriber_id = s.id AND i.status IN ('issued',
        'partially_paid', 'overdue')), 0) AS open
      FROM subscribers s WHERE journal != open`);
    expect(receivableDrift).toEqual([]);
    const creditDrift = await rows(`
      SELECT s.id,
        coalesce((SELECT sum(credit - debit) FROM journal_lines j WHERE j.subscriber_id = s.id AND j.account =
        'customer_credit'), 0) AS journal,
        coalesce((SELECT sum(p.amount
            - coalesce((SELECT sum(a.amount) FROM payment_allocations a WHERE a.payment_id = p.id), 0)
            - coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.payment_id = p.id), 0))
          FROM payments p WHERE p.subscriber_id = s.id), 0)
        + coalesce((SELECT sum(remaining) FROM credit_notes n WHERE n.subscriber_id = s.id AND n.status IN ('issued',
        'partially_applied')), 0) AS documents
      FROM subscribers s WHERE journal != documents`);
    expect(creditDrift).toEqual([]);
    for (const c of ((await get('reports/trial-balance')).currencies as Json[]) ?? [])
      expect(c.total_debit).toBe(c.total_credit);
  }

  const world = {
    edge,
    tenant,
    auth,
    token: auth.token,
    currency,
    iso,
    post,
    get,
    patch,
    travel,
    offer,
    subscriber,
    subscribe,
    activeSubscription,
    subscription,
  };
  return { ...world, bill, billAt, invoices, invoice, pay, balance, collect, cases, rows, count, events, checkBooks };
}

/** The actions without ids that differ per test, for compact comparisons. */
export const brief = (actions: readonly Action[]) =>
  actions.map((a) => [
    a.action,
    a.reason,
    a.step ?? null,
    a.subscription_id ? 'sub' : a.invoice_id ? 'inv' : 'subscriber',
  ]);

/**
 * A subscriber on a 10,000 monthly plan (14 payment days) billed `months` times, a month
 * apart, so each invoice has its own due date (Jan 30, Mar 1, Mar 29, …).
 */
export async function billedWorld(edge: TestEdge, months = 3, tenant: Json = {}) {
  const w = await billingWorld(edge, tenant);
  const offer = await w.offer({ prices: [{ currency: w.currency, amount: 10_000 }] });
  const ada = await w.subscriber();
  await w.subscribe(ada.id, offer.id, startTime);
  for (let i = 0; i < months; i++) {
    edge.clock.now = monthly(i);
    await w.bill(edge.clock.now);
  }
  const invoices = await w.invoices(ada.id);
  expect(invoices).toHaveLength(months);
  return { w, offer, ada, invoices };
}

/** Another subscriber of the same tenant, with one invoice of their own. */
export async function otherSubscriber(w: BillingWorld, offerId: unknown) {
  const bob = await w.subscriber();
  await w.subscribe(bob.id, offerId, w.edge.clock.now);
  await w.bill(w.edge.clock.now);
  const [invoice] = await w.invoices(bob.id);
  return { bob, invoice: invoice! };
}

const moneyTables = [
  'invoices',
  'invoice_lines',
  'payments',
  'payment_allocations',
  'refunds',
  'credit_notes',
  'credit_note_applications',
  'journal_entries',
  'journal_lines',
  'domain_events',
  'audit_events',
];

/** Every row of the money tables (and the audit trail and events): what "nothing written" means. */
export async function moneySnapshot(w: BillingWorld): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const table of moneyTables) out[table] = await w.rows(`SELECT * FROM ${table} ORDER BY rowid`);
  return JSON.stringify(out);
}

/**
 * A billing world for usage tests: its offers carry a data volume (10 GB, 250 a GB over),
 * its subscriptions a username and the 1st as billing day, and the appliance's operations
 * key (network:write) reports usage records.
 */
export async function usageWorld(edge: TestEdge, tenantOverrides: Json = {}) {
  const w = await billingWorld(edge, tenantOverrides);
  const appliance = (await edge.createApiKey(w.tenant.owner.token, 'operations', 'appliance')).secret;
  const offer = async (overrides: Json = {}) =>
    w.offer({
      code: unique('DATA-'),
      name: 'Fiber 10 GB',
      prices: [{ currency: 'USD', amount: 3_000 }],
      included_gb: 10,
      overage_per_gb: [{ currency: 'USD', amount: 250 }],
      ...overrides,
    });
  const subscriber = async () => w.post('subscribers', { first_name: 'Ada', last_name: unique('Lovelace-') });

  /**
   * A subscription for `username` billed on the 1st, activated at `at` (default Jan 1, so January is a whole period;
   * null: left pending).
   */
  async function subscribe(input: {
    offerId: unknown;
    username?: string | null;
    at?: number | null;
    subscriberId?: unknown;
  }) {
    const subscriberId = input.subscriberId ?? (await subscriber()).id;
    const username = input.username === undefined ? unique('user-') : input.username;
    const created = await w.post('subscriptions', {
      subscriber_id: subscriberId,
      offer_id: input.offerId,
      start_at: iso(input.at ?? jan1),
      billing_anchor_day: 1,
      username,
    });
    if (input.at !== null)
      await w.post(`subscriptions/${String(created.id)}/activate`, { at: iso(input.at ?? jan1) }, 200);
    return { id: String(created.id), subscriberId: String(subscriberId), username };
  }

  /** One record of `bytes` (split into input and output) ending at `end`. */
  const record = (
    id: string,
    who: { username?: string | null; id?: string },
    bytes: number,
    end = jan1 + 10 * day,
    extra: Json = {},
  ) => ({
    id,
    ...(who.username ? { username: who.username } : { subscription_id: who.id }),
    start: iso(end - hour),
    end: iso(end),
    input_octets: Math.floor(bytes / 3),
    output_octets: bytes - Math.floor(bytes / 3),
    ...extra,
  });
  const report = async (records: unknown[], key = appliance) =>
    edge.ok(await edge.call('POST', '/api/v1/usage-records', { token: key, body: { records } }), 200).body as {
      accepted: number;
      duplicates: number;
      rejected: { index: number; id: string | null; message: string }[];
    };
  const usage = async (subscriptionId: string, periodStart?: number) =>
    w.get(
      `subscriptions/${subscriptionId}/usage${periodStart === undefined ? '' : `?period_start=${iso(periodStart)}`}`,
    );
  /** The events of one subject whose type starts with `prefix`, oldest first. */
  const events = async (subjectId: string, prefix = '') =>
    (
      await w.rows(`SELECT type, payload FROM domain_events WHERE subject_id = ? AND type LIKE ? ORDER BY seq`, [
        subjectId,
        `${prefix}%`,
      ])
    ).map((e) => ({ type: String(e.type), payload: JSON.parse(String(e.payload)) as Json }));

  /** Runs `fn` in a transaction on the tenant's database (for services the billing run calls). */
  async function inTransaction<T>(fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    const lease = await edge.platform.databases.leaseTenant(w.tenant.slug);
    try {
      return await drizzle(lease.client, { schema: tenantSchema }).transaction(fn);
    } finally {
      lease.release();
    }
  }

  return { ...w, appliance, offer, subscriber, subscribe, record, report, usage, events, inTransaction };
}
