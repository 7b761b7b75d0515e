// Issue 13, defect 9: the Worker's cron trigger bills on the minute it was scheduled for
// (controller.scheduledTime), not on the minute the clock shows when it happens to run.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import handler from '../../edge/index.ts';
import { billingMinute } from '../../edge/services/scheduler/run-scheduled-jobs.ts';
import { call, ok, platformToken, tenantLogin } from './call.ts';

const hour = 3_600_000;

describe('scheduled billing in workerd', () => {
  it('bills every tenant when the trigger was scheduled for :07, whatever the clock says now', async () => {
    const { token } = await tenantLogin(await platformToken(), 'ws');
    const post = (path: string, json: unknown, status = 201) =>
      ok(call(`/api/v1/${path}`, { method: 'POST', token, json }), status);
    const offer = await post('offers', {
      code: 'F',
      name: 'Fiber',
      service_type: 'residential',
      access_type: 'fiber',
      billing_cycle: 'monthly',
      billing_mode: 'postpaid',
      prices: [{ currency: 'USD', amount: 1_000 }],
      download_mbps: 100,
      upload_mbps: 20,
    });
    const subscriber = await post('subscribers', { first_name: 'Ada', last_name: 'Lovelace' });
    const start = new Date(Date.now() - 3 * hour).toISOString();
    const subscription = await post('subscriptions', {
      subscriber_id: subscriber.id,
      offer_id: offer.id,
      start_at: start,
    });
    await post(`subscriptions/${String(subscription.id)}/activate`, { at: start }, 200);
    // The last :07 that has passed; unless this runs during minute 7, the clock shows another minute.
    const slot = Math.floor((Date.now() - billingMinute * 60_000) / hour) * hour + billingMinute * 60_000;
    const ctx = createExecutionContext();
    await handler.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: new Date(slot) }), env, ctx);
    await waitOnExecutionContext(ctx);
    const invoices = await ok(call(`/api/v1/invoices?subscriber_id=${String(subscriber.id)}`, { token }), 200);
    expect(invoices.data).toHaveLength(1);
  });
});
