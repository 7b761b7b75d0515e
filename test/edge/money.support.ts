// Fixtures for the money tests (payments, refunds, credit notes, invoices): a billing
// world whose subscriber was billed month by month, and a snapshot of every money table
// so a refused request can be shown to have written nothing.
import { expect } from 'vitest';
import { billingWorld, type BillingWorld } from '../support/billing.ts';
import { startTime, type Json, type TestEdge } from '../support/edge-app.ts';

export const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);

/** The 15th of each month from January 2031, 09:00 UTC: one billing run each. */
export const monthly = (i: number) => Date.UTC(2031, i, 15, 9);

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

const moneyTables = ['invoices', 'invoice_lines', 'payments', 'payment_allocations', 'refunds', 'credit_notes', 'credit_note_applications', 'journal_entries', 'journal_lines', 'domain_events', 'audit_events'];

/** Every row of the money tables (and the audit trail and events): what "nothing written" means. */
export async function moneySnapshot(w: BillingWorld): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const table of moneyTables) out[table] = (await w.edge.tenantSql(w.tenant.slug, `SELECT * FROM ${table} ORDER BY rowid`)).rows;
  return JSON.stringify(out);
}

export async function invoice(w: BillingWorld, id: unknown) {
  return w.get(`invoices/${String(id)}`);
}

export async function count(w: BillingWorld, table: string): Promise<number> {
  return Number((await w.edge.tenantSql(w.tenant.slug, `SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}
