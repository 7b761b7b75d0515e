import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDatabases } from '../../db/databases.ts';
import { createLibsqlServerDriver } from '../../db/drivers/libsql-server.ts';
import handler from '../../edge/index.ts';
import { call, expectStatus, ok, platformToken, tenantLogin } from './call.ts';

describe('webhooks in the Worker', () => {
  it('refuses loopback and private targets, though WEBHOOK_ALLOW_PRIVATE defaults to allowing them', async () => {
    const { token } = await tenantLogin(await platformToken(), 'wh');
    for (const url of ['http://127.0.0.1:8787/h', 'http://localhost/h', 'http://10.0.0.1/h', 'http://[::1]/h']) {
      const res = await call('/api/v1/webhooks', { method: 'POST', token, json: { url, events: ['*'] } });
      expectStatus(res, 422);
      expect(res.body.code).toBe('unprocessable');
    }
  });

  it('runs the outbox from the cron trigger: fan-out, the target check before sending, a retry 5 s on', async () => {
    const { token } = await tenantLogin(await platformToken(), 'wh');
    const endpoint = { url: 'https://203.0.113.7/hooks', events: ['ticket.created'] };
    const created = await ok(call('/api/v1/webhooks', { method: 'POST', token, json: endpoint }), 201);
    expect(String(created.secret)).toMatch(/^whsec_/);
    // An endpoint whose target is now a loopback address (as if registered under another
    // policy): the sender must refuse it at send time, without a connection.
    const slug = String(((await ok(call('/api/v1/me', { token }), 200)).tenant as { slug: string }).slug);
    const driver = createLibsqlServerDriver({ url: env.LIBSQL_URL, adminUrl: env.LIBSQL_ADMIN_URL });
    const databases = createDatabases(driver);
    const lease = await databases.leaseTenant(slug);
    const moved = ['http://127.0.0.1:9/hooks', String(created.id)];
    await lease.client.execute({ sql: 'UPDATE webhook_endpoints SET url = ? WHERE id = ?', args: moved });
    lease.release();
    databases.close();
    await ok(call('/api/v1/tickets', { method: 'POST', token, json: { subject: 'No signal' } }), 201);

    const ctx = createExecutionContext();
    await handler.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: new Date() }), env, ctx);
    await waitOnExecutionContext(ctx);

    const deliveries = (await ok(call(`/api/v1/webhooks/${String(created.id)}/deliveries`, { token }), 200)).data!;
    expect(deliveries).toHaveLength(1);
    type Delivery = { last_error: string; next_attempt_at: string; last_attempt_at: string };
    const [delivery] = deliveries as Delivery[];
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, event_type: 'ticket.created' });
    expect(delivery!.last_error).toMatch(/^refused: 127\.0\.0\.1 is a loopback/);
    expect(Date.parse(delivery!.next_attempt_at) - Date.parse(delivery!.last_attempt_at)).toBe(5_000);
  });
});
