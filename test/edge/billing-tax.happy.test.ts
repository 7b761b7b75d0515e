// Which tax rate a line gets (business-rules.md "Tax"): the primary service address's,
// else the subscriber's, else the offer's, else the tenant's default.
import { describe, expect, it } from 'vitest';
import { billingWorld } from '../support/billing.ts';
import { expectProblem, startEdge, startTime, type Json } from '../support/edge-app.ts';

const address = { line1: '1 Fiber Way', city: 'Springfield', country: 'US' };

describe('tax jurisdictions', () => {
  it('resolves service address → subscriber → offer → tenant default, per subscriber', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const rate = async (name: string, value: string) =>
      String((await w.post('tax-rates', { name, rate: value, mode: 'exclusive' })).id);
    const [tenantDefault, offerRate, subscriberRate, addressRate] = [
      await rate('Default', '5'),
      await rate('Offer', '10'),
      await rate('County', '20'),
      await rate('City', '7.5'),
    ];
    edge.ok(
      await edge.call('PATCH', '/api/v1/billing-settings', {
        token: w.token,
        body: { default_tax_rate_ids: [tenantDefault] },
      }),
      200,
    );
    const taxed = await w.offer({ prices: [{ currency: 'USD', amount: 10_000 }], tax_rate_id: offerRate });
    const untaxed = await w.offer({ prices: [{ currency: 'USD', amount: 10_000 }] });

    const plain = await w.subscriber();
    const onDefault = await w.subscriber();
    const withRate = await w.subscriber({ tax_rate_id: subscriberRate });
    const withAddress = await w.subscriber({
      tax_rate_id: subscriberRate,
      addresses: [{ ...address, kind: 'service', is_primary: true, tax_rate_id: addressRate }],
    });
    expect(withAddress).toMatchObject({
      tax_rate_id: subscriberRate,
      addresses: [expect.objectContaining({ tax_rate_id: addressRate })],
    });
    for (const [s, offer] of [
      [plain, taxed],
      [onDefault, untaxed],
      [withRate, taxed],
      [withAddress, taxed],
    ] as const) {
      await w.subscribe(s.id, offer.id, startTime);
    }
    await w.bill(startTime);
    const taxOf = async (s: Json) => (await w.invoices(s.id))[0]!.tax_total;
    expect([await taxOf(plain), await taxOf(onDefault), await taxOf(withRate), await taxOf(withAddress)]).toEqual([
      1_000, 500, 2_000, 750,
    ]);

    // Moving the subscriber's jurisdiction changes later invoices, never issued ones.
    edge.ok(
      await edge.call('PATCH', `/api/v1/subscribers/${String(plain.id)}`, {
        token: w.token,
        body: { tax_rate_id: subscriberRate },
      }),
      200,
    );
    edge.clock.now = Date.UTC(2031, 1, 15, 6);
    await w.bill(edge.clock.now);
    expect((await w.invoices(plain.id)).map((i) => i.tax_total)).toEqual([1_000, 2_000]);
    await w.checkBooks();
  });

  it('refuses an unknown or archived rate on a subscriber or an address, writing nothing', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const archived = String((await w.post('tax-rates', { name: 'Old', rate: '3', mode: 'exclusive' })).id);
    expect((await edge.call('DELETE', `/api/v1/tax-rates/${archived}`, { token: w.token })).status).toBe(204);
    expectProblem(
      await edge.call('POST', '/api/v1/subscribers', {
        token: w.token,
        body: { first_name: 'A', tax_rate_id: archived },
      }),
      422,
      'unprocessable',
    );
    expectProblem(
      await edge.call('POST', '/api/v1/subscribers', {
        token: w.token,
        body: { first_name: 'A', addresses: [{ ...address, tax_rate_id: crypto.randomUUID() }] },
      }),
      422,
      'unprocessable',
    );
    const s = await w.subscriber();
    expectProblem(
      await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
        token: w.token,
        body: { tax_rate_id: archived },
      }),
      422,
      'unprocessable',
    );
    expectProblem(
      await edge.call('POST', `/api/v1/subscribers/${String(s.id)}/addresses`, {
        token: w.token,
        body: { ...address, tax_rate_id: archived },
      }),
      422,
      'unprocessable',
    );
    const rows = await edge.tenantSql(
      w.tenant.slug,
      'SELECT (SELECT count(*) FROM subscribers) AS s, (SELECT count(*) FROM subscriber_addresses) AS a',
    );
    expect(rows.rows[0]).toMatchObject({ s: 1, a: 0 });
  });
});
