import { describe, expect, it } from 'vitest';
import { runOutboxOf } from '../../edge/services/outbox/run-outbox.ts';
import { expectProblem, startEdge } from '../support/edge-app.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const body = (url: string) => ({ url, events: ['ticket.created'] });
const as = (token: string, payload?: unknown) => ({ token, ...(payload === undefined ? {} : { body: payload }) });

describe('webhook secrets', () => {
  it('shows the secret once, keeps it sealed at rest, and never returns or logs it again', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    const receiver = await startReceiver(() => edge.clock.now);
    const created = edge.ok(await edge.call('POST', '/api/v1/webhooks', { token, body: body(receiver.url) }), 201);
    const secret = String(created.body.secret);
    const key = secret.slice('whsec_'.length);
    receiver.setSecret(secret);
    expect(created.headers.get('location')).toBe(`/api/v1/webhooks/${String(created.body.id)}`);
    edge.ok(await edge.call('POST', '/api/v1/tickets', { token, body: { subject: 'x' } }), 201);
    await runOutboxOf(edge.platform, tenant.slug);
    const id = String(created.body.id);
    const reads = [
      await edge.call('GET', '/api/v1/webhooks', { token }),
      await edge.call('GET', `/api/v1/webhooks/${id}`, { token }),
      await edge.call('PATCH', `/api/v1/webhooks/${id}`, { token, body: { description: 'changed' } }),
      await edge.call('GET', `/api/v1/webhooks/${id}/deliveries`, { token }),
      await edge.call('GET', '/api/v1/events', { token }),
      await edge.call('GET', '/api/v1/audit-events', { token }),
    ];
    for (const res of reads) {
      expect(res.status, res.text).toBe(200);
      expect(res.text).not.toContain(key);
      expect(res.body).not.toHaveProperty('secret');
    }
    const rows = await edge.tenantSql(tenant.slug, 'SELECT * FROM webhook_endpoints');
    expect(JSON.stringify(rows.rows)).not.toContain(key);
    expect(String(rows.rows[0]!.secret_sealed)).toMatch(/^v1\./);
    expect(edge.logs.join('\n')).not.toContain(key);
    expect(receiver.received[0]!.verified).toBe(true);
  });
});

describe('webhook targets', () => {
  const privateTargets = [
    'http://127.0.0.1:9/hooks',
    'http://localhost/hooks',
    'http://api.localhost/hooks',
    'http://[::1]/hooks',
    'http://[::ffff:127.0.0.1]/hooks',
    'http://2130706433/hooks',
    'http://10.1.2.3/hooks',
    'http://172.20.0.1/hooks',
    'http://192.168.1.1/hooks',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/hooks',
    'http://0.0.0.0/hooks',
    'http://[fd00::1]/hooks',
    'http://[fe80::1]/hooks',
  ];

  it('refuses loopback and private targets with WEBHOOK_ALLOW_PRIVATE=0, at creation and on change', async () => {
    const edge = await startEdge({ WEBHOOK_ALLOW_PRIVATE: '0' });
    const tenant = await edge.createTenant();
    const token = tenant.owner.token;
    for (const url of privateTargets) {
      const res = await edge.call('POST', '/api/v1/webhooks', as(token, body(url)));
      const problem = expectProblem(res, 422, 'unprocessable');
      expect(problem.errors?.[0]?.path, url).toBe('url');
    }
    const allowed = as(token, body('https://203.0.113.7/h'));
    const publicTarget = edge.ok(await edge.call('POST', '/api/v1/webhooks', allowed), 201);
    const patch = { token, body: { url: 'http://127.0.0.1/hooks' } };
    const moved = await edge.call('PATCH', `/api/v1/webhooks/${String(publicTarget.body.id)}`, patch);
    expectProblem(moved, 422, 'unprocessable');
    const rows = await edge.tenantSql(tenant.slug, 'SELECT url FROM webhook_endpoints');
    expect(rows.rows.map((r) => r.url)).toEqual(['https://203.0.113.7/h']);
  });

  it('allows them self-hosted by default', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    for (const url of ['http://127.0.0.1:9/hooks', 'http://192.168.1.1/hooks']) {
      edge.ok(await edge.call('POST', '/api/v1/webhooks', { token: tenant.owner.token, body: body(url) }), 201);
    }
  });

  it('refuses what is not an http(s) URL, carries credentials, or lists no events', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const bad = [
      { url: 'ftp://example.com/x', events: ['*'] },
      { url: 'https://user:pass@example.com/x', events: ['*'] },
      { url: 'not a url', events: ['*'] },
      { url: 'https://203.0.113.7/x', events: [] },
      { url: 'https://203.0.113.7/x', events: ['Ticket Created'] },
    ];
    for (const input of bad) {
      const res = await edge.call('POST', '/api/v1/webhooks', as(tenant.owner.token, input));
      expectProblem(res, 400, 'validation_failed');
    }
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM webhook_endpoints')).rows[0]!.n).toBe(0);
  });
});

describe('webhook and event permissions', () => {
  it('lets only roles with webhooks:write manage endpoints, and keeps tenants apart', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const create = as(a.owner.token, body('https://203.0.113.7/x'));
    const created = edge.ok(await edge.call('POST', '/api/v1/webhooks', create), 201);
    const id = String(created.body.id);
    for (const role of ['support', 'billing', 'operations', 'field_tech', 'read_only'] as const) {
      const staff = await edge.createStaff(a, role);
      const other = as(staff.token, body('https://203.0.113.8/x'));
      expectProblem(await edge.call('POST', '/api/v1/webhooks', other), 403, 'forbidden');
      const disable = as(staff.token, { status: 'disabled' });
      expectProblem(await edge.call('PATCH', `/api/v1/webhooks/${id}`, disable), 403, 'forbidden');
      expectProblem(await edge.call('DELETE', `/api/v1/webhooks/${id}`, { token: staff.token }), 403, 'forbidden');
      expectProblem(await edge.call('GET', `/api/v1/webhooks/${id}`, { token: staff.token }), 403, 'forbidden');
    }
    const admin = await edge.createStaff(a, 'admin');
    edge.ok(await edge.call('GET', `/api/v1/webhooks/${id}`, { token: admin.token }), 200);
    const key = await edge.createApiKey(a.owner.token, 'admin');
    edge.ok(await edge.call('GET', `/api/v1/webhooks/${id}/deliveries`, { token: key.secret }), 200);

    for (const [method, path] of [
      ['GET', `/api/v1/webhooks/${id}`],
      ['PATCH', `/api/v1/webhooks/${id}`],
      ['DELETE', `/api/v1/webhooks/${id}`],
      ['GET', `/api/v1/webhooks/${id}/deliveries`],
    ] as const) {
      const request = as(b.owner.token, method === 'PATCH' ? { description: 'x' } : undefined);
      expectProblem(await edge.call(method, path, request), 404, 'not_found');
    }
    const listed = edge.ok(await edge.call('GET', '/api/v1/webhooks', as(b.owner.token)), 200);
    expect(listed.body.data).toEqual([]);
    expectProblem(await edge.call('GET', '/api/v1/webhooks'), 401, 'unauthenticated');
  });

  it("retries only deliveries of the caller's tenant", async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const receiver = await startReceiver(() => edge.clock.now);
    edge.ok(await edge.call('POST', '/api/v1/webhooks', { token: a.owner.token, body: body(receiver.url) }), 201);
    edge.ok(await edge.call('POST', '/api/v1/tickets', { token: a.owner.token, body: { subject: 'x' } }), 201);
    await runOutboxOf(edge.platform, a.slug);
    const deliveryId = receiver.received[0]!.id;
    const retry = `/api/v1/webhooks/deliveries/${deliveryId}/retry`;
    expectProblem(await edge.call('POST', retry, as(b.owner.token)), 404, 'not_found');
    const support = await edge.createStaff(a, 'support');
    expectProblem(await edge.call('POST', retry, as(support.token)), 403, 'forbidden');
    edge.ok(await edge.call('POST', retry, as(a.owner.token)), 200);
  });
});
