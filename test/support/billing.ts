// A tenant set up for billing tests, driven through the public API only, and the books
// checks every billing test ends with: they read the database directly and recompute
// what the API derives, so a drift between documents and journal cannot hide.
import { expect } from 'vitest';
import { unique, type Json, type TestEdge } from './edge-app.ts';

export type BillingWorld = Awaited<ReturnType<typeof billingWorld>>;

const day = 86_400_000;
export { day };

export async function billingWorld(edge: TestEdge, tenantOverrides: Json = {}) {
  const tenant = await edge.createTenant(tenantOverrides);
  // An API key, not a login token: tests move the clock months ahead, past any token's life.
  const token = (await edge.createApiKey(tenant.owner.token, 'admin')).secret;
  const currency = String(tenantOverrides.currency ?? 'USD');
  const post = async (path: string, body: unknown, status = 201) => edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), status).body;
  const get = async (path: string) => edge.ok(await edge.call('GET', `/api/v1/${path}`, { token }), 200).body;
  const iso = (ms: number) => new Date(ms).toISOString();

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

  /** Creates and activates a subscription; `at` is the activation instant. */
  const subscribe = async (subscriberId: unknown, offerId: unknown, at: number, overrides: Json = {}) => {
    const created = await post('subscriptions', { subscriber_id: subscriberId, offer_id: offerId, start_at: iso(at), ...overrides });
    return post(`subscriptions/${String(created.id)}/activate`, { at: iso(at) }, 200);
  };

  const bill = async (asOf: number) => post('billing-runs', { as_of: iso(asOf) });
  const invoices = async (subscriberId: unknown) => (await get(`invoices?subscriber_id=${String(subscriberId)}&limit=200`)).data!.reverse();
  const pay = async (subscriberId: unknown, amount: number, extra: Json = {}) => post('payments', { subscriber_id: subscriberId, amount, currency, method: 'bank_transfer', reference: unique('ref-'), ...extra });
  const balance = async (subscriberId: unknown) => get(`subscribers/${String(subscriberId)}/balance?currency=${currency}`);

  /**
   * The books agree with themselves: every journal entry balances; each invoice's
   * balance_due is its total less what was applied (0 once void or written off); each
   * subscriber's receivable in the journal equals their open balances and their customer
   * credit equals unapplied payments and credit notes; the trial balance is level.
   */
  async function checkBooks() {
    const rows = async (query: string) => (await edge.tenantSql(tenant.slug, query)).rows as unknown as Record<string, number | string | null>[];
    expect(await rows(`SELECT entry_id, sum(debit) d, sum(credit) c FROM journal_lines GROUP BY entry_id HAVING d != c`)).toEqual([]);
    const invoiceDrift = await rows(`
      SELECT number, status, balance_due,
        CASE WHEN status IN ('void', 'written_off') THEN 0 ELSE total
          - coalesce((SELECT sum(amount) FROM payment_allocations a WHERE a.invoice_id = i.id), 0)
          - coalesce((SELECT sum(amount) FROM credit_note_applications c WHERE c.invoice_id = i.id), 0) END AS derived
      FROM invoices i WHERE balance_due != derived
        OR (status = 'paid' AND balance_due != 0) OR (status IN ('issued', 'partially_paid', 'overdue') AND balance_due = 0 AND total > 0)`);
    expect(invoiceDrift).toEqual([]);
    const receivableDrift = await rows(`
      SELECT s.id,
        coalesce((SELECT sum(debit - credit) FROM journal_lines j WHERE j.subscriber_id = s.id AND j.account = 'receivable'), 0) AS journal,
        coalesce((SELECT sum(balance_due) FROM invoices i WHERE i.subscriber_id = s.id AND i.status IN ('issued', 'partially_paid', 'overdue')), 0) AS open
      FROM subscribers s WHERE journal != open`);
    expect(receivableDrift).toEqual([]);
    const creditDrift = await rows(`
      SELECT s.id,
        coalesce((SELECT sum(credit - debit) FROM journal_lines j WHERE j.subscriber_id = s.id AND j.account = 'customer_credit'), 0) AS journal,
        coalesce((SELECT sum(p.amount
            - coalesce((SELECT sum(a.amount) FROM payment_allocations a WHERE a.payment_id = p.id), 0)
            - coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.payment_id = p.id), 0))
          FROM payments p WHERE p.subscriber_id = s.id), 0)
        + coalesce((SELECT sum(remaining) FROM credit_notes n WHERE n.subscriber_id = s.id AND n.status IN ('issued', 'partially_applied')), 0) AS documents
      FROM subscribers s WHERE journal != documents`);
    expect(creditDrift).toEqual([]);
    for (const c of ((await get('reports/trial-balance')).currencies as Json[]) ?? []) expect(c.total_debit).toBe(c.total_credit);
  }

  return { edge, tenant, token, currency, post, get, iso, offer, subscriber, subscribe, bill, invoices, pay, balance, checkBooks };
}
