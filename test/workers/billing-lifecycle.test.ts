// A subscription's life in workerd against sqld: plan change (preview = apply), suspend
// and resume, usage records (idempotent) and the quota bucket, a collections run, cancel.
import { describe, expect, it } from 'vitest';
import { call, ok, platformToken, tenantLogin } from './call.ts';

describe('subscription lifecycle in workerd against sqld', () => {
  it('changes plan as previewed, suspends and resumes, counts usage once, collects and cancels', async () => {
    const { token } = await tenantLogin(await platformToken(), 'wl');
    const post = (path: string, json: unknown, status = 201) =>
      ok(call(`/api/v1/${path}`, { method: 'POST', token, json }), status);
    const get = (path: string) => ok(call(`/api/v1/${path}`, { token }), 200);
    const offer = (code: string, amount: number) =>
      post('offers', {
        code,
        name: code,
        service_type: 'residential',
        access_type: 'fiber',
        billing_cycle: 'monthly',
        billing_mode: 'postpaid',
        prices: [{ currency: 'USD', amount }],
        download_mbps: 100,
        upload_mbps: 20,
        included_gb: 100,
      });
    const [small, big] = [await offer('SMALL', 3_000), await offer('BIG', 6_000)];
    const subscriber = await post('subscribers', { first_name: 'Ada', last_name: 'Lovelace' });
    const created = await post('subscriptions', {
      subscriber_id: subscriber.id,
      offer_id: small.id,
      start_at: new Date().toISOString(),
      username: 'ada@fiber',
    });
    const id = String(created.id);
    await post(`subscriptions/${id}/activate`, {}, 200);
    expect(await post('billing-runs', { as_of: new Date(Date.now() + 60_000).toISOString() })).toMatchObject({
      invoices_created: 1,
    });

    const effectiveAt = new Date().toISOString();
    const preview = await post(
      `subscriptions/${id}/change-plan/preview`,
      { offer_id: big.id, effective_at: effectiveAt },
      200,
    );
    expect(preview).toMatchObject({ scheduled: false, outcome: 'invoice' });
    expect(Number(preview.charge)).toBeGreaterThan(Number(preview.credit));
    const applied = await post(`subscriptions/${id}/change-plan`, { offer_id: big.id, effective_at: effectiveAt }, 200);
    expect({ credit: applied.credit, charge: applied.charge, net: applied.net, total: applied.total }).toEqual({
      credit: preview.credit,
      charge: preview.charge,
      net: preview.net,
      total: preview.total,
    });
    expect(applied.subscription).toMatchObject({ offer_id: big.id, credit_basis: 6_000 });

    expect(await post(`subscriptions/${id}/suspend`, { reason: 'customer request' }, 200)).toMatchObject({
      status: 'suspended',
    });
    // The account status follows (triggers of migration 0012 on sqld).
    expect(await get(`subscribers/${String(subscriber.id)}`)).toMatchObject({ status: 'suspended' });
    expect(await post(`subscriptions/${id}/resume`, {}, 200)).toMatchObject({ status: 'active' });
    expect(await get(`subscribers/${String(subscriber.id)}`)).toMatchObject({ status: 'active' });

    const now = Date.now();
    const records = [
      {
        id: 'acct-1',
        username: 'ada@fiber',
        start: new Date(now - 120_000).toISOString(),
        end: new Date(now - 60_000).toISOString(),
        input_octets: 2 ** 33,
        output_octets: 1_000,
      },
      {
        id: 'acct-2',
        subscription_id: id,
        start: new Date(now - 60_000).toISOString(),
        end: new Date(now - 1_000).toISOString(),
        input_octets: 5_000,
        output_octets: 7_000,
      },
    ];
    expect(await post('usage-records', { records }, 200)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await post('usage-records', { records }, 200)).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    expect(await get(`subscriptions/${id}/usage`)).toMatchObject({ used_bytes: 2 ** 33 + 13_000 });

    expect(await post('collections/runs', { as_of: new Date().toISOString() })).toMatchObject({ actions: [] });
    const canceled = await post(`subscriptions/${id}/cancel`, { reason: 'moving away' }, 200);
    expect(['active', 'canceled']).toContain(canceled.status);
    expect((await get('reports/trial-balance')).currencies).toEqual([
      expect.objectContaining({ currency: 'USD', balanced: true }),
    ]);
  });
});
