// Issue 13, defect 4: mixed inclusive/exclusive default tax rates are refused when written,
// and what a billing run cannot bill stays on the run and raises an event.
import { describe, expect, it } from 'vitest';
import { billingWorld } from '../support/billing.ts';
import { expectProblem, startEdge, startTime, type Json } from '../support/edge-app.ts';

describe('billing settings and run failures', () => {
  it('refuses default tax rates that mix inclusive and exclusive (422), and writes nothing', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const net = String((await w.post('tax-rates', { name: 'VAT', rate: '7.5', mode: 'exclusive' })).id);
    const gross = String((await w.post('tax-rates', { name: 'GST incl.', rate: '10', mode: 'inclusive' })).id);
    const exempt = String((await w.post('tax-rates', { name: 'Exempt', rate: '0', mode: 'exempt' })).id);
    const before = await w.get('billing-settings');
    const refused = expectProblem(
      await edge.call('PATCH', '/api/v1/billing-settings', {
        token: w.token,
        body: { default_tax_rate_ids: [net, gross] },
      }),
      422,
      'unprocessable',
    );
    expect(refused.errors).toEqual([expect.objectContaining({ path: 'default_tax_rate_ids' })]);
    expect(await w.get('billing-settings')).toEqual(before);
    // An exempt rate beside exclusive ones is no mix.
    expect((await w.patch('billing-settings', { default_tax_rate_ids: [net, exempt] })).default_tax_rate_ids).toEqual([
      net,
      exempt,
    ]);
  });

  it('keeps the subscriptions a run could not bill on the run and announces them', async () => {
    const edge = await startEdge();
    const w = await billingWorld(edge);
    const net = String((await w.post('tax-rates', { name: 'VAT', rate: '7.5', mode: 'exclusive' })).id);
    const gross = String((await w.post('tax-rates', { name: 'GST incl.', rate: '10', mode: 'inclusive' })).id);
    const offer = await w.offer();
    const ada = await w.subscriber();
    const bob = await w.subscriber();
    const adaSub = await w.subscribe(ada.id, offer.id, startTime);
    await w.subscribe(bob.id, offer.id, startTime);
    // Settings written before the check existed: Ada has a rate of her own, Bob falls back to the mix.
    const own = String((await w.post('tax-rates', { name: 'Local', rate: '5', mode: 'exclusive' })).id);
    await w.patch(`subscribers/${String(ada.id)}`, { tax_rate_id: own });
    await w.rows(`UPDATE billing_settings SET default_tax_rate_ids = ?`, [JSON.stringify([net, gross])]);

    const run = await w.bill(startTime);
    expect(run).toMatchObject({
      invoices_created: 1,
      failures: [{ subscription_id: expect.any(String), message: expect.stringMatching(/mix/) }],
    });
    const failed = (run.failures as Json[])[0]!.subscription_id;
    expect(failed).not.toBe(adaSub.id);
    // The run keeps them: read back, and in the list.
    expect((await w.get(`billing-runs/${String(run.id)}`)).failures).toEqual(run.failures);
    expect(((await w.get('billing-runs')).data as Json[])[0]).toMatchObject({ id: run.id, failures: run.failures });
    const events = await w.events('billing_run.items_failed');
    expect(events).toEqual([
      {
        type: 'billing_run.items_failed',
        subject_id: run.id,
        payload: expect.objectContaining({ failed: 1, failures: run.failures }),
      },
    ]);

    // A run with nothing failing raises nothing.
    await w.patch('billing-settings', { default_tax_rate_ids: [net] });
    const next = await w.bill(startTime);
    expect(next).toMatchObject({ invoices_created: 1, failures: [] });
    expect(await w.events('billing_run.items_failed')).toHaveLength(1);
    await w.checkBooks();
  });
});
