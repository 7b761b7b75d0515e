// The billing engine in workerd against a real sqld: catalog, a subscription, billing runs
// (repeated and concurrent), a payment with an Idempotency-Key, a refund, a credit note,
// the balance, the journal and the reports; another tenant sees none of it.
import { describe, expect, it } from 'vitest';
import { call, ok, platformToken, tenantLogin } from './call.ts';

describe('billing in workerd against sqld', () => {
  it('bills once however often it runs, takes a payment once, and keeps the books level', async () => {
    const platform = await platformToken();
    const eur = { currency: 'EUR', timezone: 'Europe/Berlin' };
    const [{ token: a }, { token: b }] = await Promise.all([
      tenantLogin(platform, 'wb', eur),
      tenantLogin(platform, 'wb', eur),
    ]);
    const post = (token: string, path: string, json: unknown, status = 201, headers: Record<string, string> = {}) =>
      ok(call(`/api/v1/${path}`, { method: 'POST', token, json, headers }), status);
    const get = (token: string, path: string) => ok(call(`/api/v1/${path}`, { token }), 200);

    const vat = await post(a, 'tax-rates', { name: 'MwSt', rate: '19', mode: 'inclusive' });
    const offer = await post(a, 'offers', {
      code: 'FTTH-250',
      name: 'Glasfaser 250',
      service_type: 'residential',
      access_type: 'fiber',
      billing_cycle: 'monthly',
      billing_mode: 'postpaid',
      prices: [{ currency: 'EUR', amount: 4_999 }],
      tax_rate_id: vat.id,
      download_mbps: 250,
      upload_mbps: 50,
    });
    const subscriber = await post(a, 'subscribers', { first_name: 'Emmy', last_name: 'Noether', payment_due_days: 14 });
    const subscription = await post(a, 'subscriptions', {
      subscriber_id: subscriber.id,
      offer_id: offer.id,
      start_at: new Date().toISOString(),
    });
    await post(a, `subscriptions/${String(subscription.id)}/activate`, {}, 200);

    const asOf = new Date(Date.now() + 60_000).toISOString();
    const runs = await Promise.all([
      post(a, 'billing-runs', { as_of: asOf }),
      post(a, 'billing-runs', { as_of: asOf }),
      post(a, 'billing-runs', { as_of: asOf }),
    ]);
    expect(runs.map((r) => r.invoices_created).reduce((x, y) => Number(x) + Number(y), 0)).toBe(1);
    expect(await post(a, 'billing-runs', { as_of: asOf })).toMatchObject({ invoices_created: 0 });

    const [invoice] = (await get(a, `invoices?subscriber_id=${String(subscriber.id)}`)).data!;
    expect(invoice).toMatchObject({ number: 'INV-000001', status: 'issued', currency: 'EUR' });
    // Inclusive 19 %: net + tax = the price charged, whatever the stub's proration.
    expect(Number(invoice!.subtotal) + Number(invoice!.tax_total)).toBe(invoice!.total);
    const total = Number(invoice!.total);

    const pay = () =>
      post(
        a,
        'payments',
        {
          subscriber_id: subscriber.id,
          amount: total + 1_000,
          currency: 'EUR',
          method: 'bank_transfer',
          reference: 'SEPA-1',
        },
        201,
        { 'idempotency-key': 'sepa-1' },
      );
    const [first, again] = [await pay(), await pay()];
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ allocations: [{ invoice_id: invoice!.id, amount: total }], unallocated: 1_000 });
    expect(await get(a, `invoices/${String(invoice!.id)}`)).toMatchObject({ status: 'paid', balance_due: 0 });
    expect(await get(a, `subscribers/${String(subscriber.id)}/balance`)).toEqual({
      currency: 'EUR',
      outstanding: 0,
      credit: 1_000,
      overdue: 0,
    });

    expect(await post(a, `payments/${String(first.id)}/refunds`, { amount: 1_500, reason: 'goodwill' })).toMatchObject({
      from_credit: 1_000,
      from_invoices: 500,
    });
    expect(await get(a, `invoices/${String(invoice!.id)}`)).toMatchObject({
      status: 'partially_paid',
      balance_due: 500,
    });
    const note = await post(a, 'credit-notes', {
      subscriber_id: subscriber.id,
      invoice_id: invoice!.id,
      reason: 'outage',
      lines: [{ description: 'Outage credit', amount: 500, tax_rate_id: vat.id }],
    });
    await post(a, `credit-notes/${String(note.id)}/issue`, {}, 200);
    expect(await post(a, `credit-notes/${String(note.id)}/apply`, {}, 200)).toMatchObject({
      status: 'applied',
      remaining: 0,
    });
    expect(await get(a, `subscribers/${String(subscriber.id)}/balance`)).toEqual({
      currency: 'EUR',
      outstanding: 0,
      credit: 0,
      overdue: 0,
    });

    const trial = await get(a, 'reports/trial-balance');
    expect(trial.currencies).toEqual([expect.objectContaining({ currency: 'EUR', balanced: true })]);
    const kinds = (await get(a, `journal?subscriber_id=${String(subscriber.id)}`)).data!.map((e) => e.kind);
    expect(kinds).toEqual([
      'credit.applied',
      'credit_note.issued',
      'payment.refunded',
      'payment.received',
      'invoice.issued',
    ]);
    expect(await get(a, 'reports/ar-aging')).toMatchObject({ subscribers: [] });

    // Tenant B: A's documents do not exist.
    for (const path of [
      `invoices/${String(invoice!.id)}`,
      `payments/${String(first.id)}`,
      `credit-notes/${String(note.id)}`,
      `subscribers/${String(subscriber.id)}/balance`,
    ]) {
      expect((await call(`/api/v1/${path}`, { token: b })).status, path).toBe(404);
    }
    expect((await get(b, 'invoices')).data).toEqual([]);
  });
});
