// Tickets, attachments in R2 and leads in workerd, against a real sqld.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import handler from '../../edge/index.ts';
import { call, expectStatus, platformToken, tenantLogin } from './call.ts';

describe('tickets in workerd', () => {
  it('keeps attachments in R2 under the tenant prefix, streams them back, and deletes them', async () => {
    const platform = await platformToken();
    const [a, b] = await Promise.all([tenantLogin(platform, 'wt'), tenantLogin(platform, 'wt')]);

    const ticket = await call('/api/v1/tickets', {
      method: 'POST',
      token: a.token,
      json: { subject: 'Router offline', priority: 'high' },
    });
    expectStatus(ticket, 201);
    expect(ticket.body).toMatchObject({ number: 'TKT-000001', status: 'open', priority: 'high' });
    const ticketId = String(ticket.body.id);
    expectStatus(
      await call(`/api/v1/tickets/${ticketId}/comments`, {
        method: 'POST',
        token: a.token,
        json: { body: 'Rebooting the ONT' },
      }),
      201,
    );

    const bytes = new Uint8Array(70_000).map((_, i) => (i * 13) & 0xff);
    const uploaded = await call(`/api/v1/tickets/${ticketId}/attachments?filename=photo.jpg`, {
      method: 'POST',
      token: a.token,
      headers: { 'content-type': 'image/jpeg' },
      body: bytes,
    });
    expectStatus(uploaded, 201);
    const attachmentId = String(uploaded.body.id);
    expect(uploaded.body).toMatchObject({ filename: 'photo.jpg', content_type: 'image/jpeg', size: bytes.length });

    // The object is in the bucket, under tenant A's prefix, with its content type.
    const key = `tenants/${a.id}/tickets/${ticketId}/${attachmentId}`;
    const listed = await env.ATTACHMENTS.list({ prefix: `tenants/${a.id}/` });
    expect(listed.objects.map((o) => [o.key, o.size])).toEqual([[key, bytes.length]]);
    const object = await env.ATTACHMENTS.get(key);
    expect(object?.httpMetadata?.contentType).toBe('image/jpeg');
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);

    const download = await call(`/api/v1/attachments/${attachmentId}`, { token: a.token });
    expectStatus(download, 200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="photo.jpg"; filename*=UTF-8''photo.jpg`,
    );
    expect(download.bytes).toEqual(bytes);

    // Tenant B reaches none of it.
    expectStatus(await call(`/api/v1/attachments/${attachmentId}`, { token: b.token }), 404);
    expectStatus(await call(`/api/v1/tickets/${ticketId}`, { token: b.token }), 404);
    expectStatus(await call(`/api/v1/attachments/${attachmentId}`, { method: 'DELETE', token: b.token }), 404);
    const refused = await call(`/api/v1/tickets/${ticketId}/attachments`, {
      method: 'POST',
      token: a.token,
      headers: { 'content-type': 'text/html' },
      body: '<script>',
    });
    expect([refused.status, refused.body.code]).toEqual([415, 'unsupported_media_type']);

    expectStatus(await call(`/api/v1/attachments/${attachmentId}`, { method: 'DELETE', token: a.token }), 204);
    expect(await env.ATTACHMENTS.get(key)).toBeNull();
    expectStatus(await call(`/api/v1/attachments/${attachmentId}`, { token: a.token }), 404);
  });

  it('moves tickets through statuses, sweeps SLAs, exports CSV, and converts a lead', async () => {
    const a = await tenantLogin(await platformToken(), 'wt');
    const ticket = await call('/api/v1/tickets', { method: 'POST', token: a.token, json: { subject: 'Slow speeds' } });
    const path = `/api/v1/tickets/${String(ticket.body.id)}`;
    expect((await call(path, { method: 'PATCH', token: a.token, json: { status: 'pending' } })).body.status).toBe(
      'pending',
    );
    expect((await call(path, { method: 'PATCH', token: a.token, json: { status: 'closed' } })).body.status).toBe(
      'closed',
    );
    const reopened = await call(path, { method: 'PATCH', token: a.token, json: { status: 'open' } });
    expect([reopened.status, reopened.body.code]).toEqual([409, 'invalid_state']);
    const sweep = await call('/api/v1/tickets/sla-sweep', { method: 'POST', token: a.token });
    expect([sweep.status, sweep.body]).toEqual([200, { breached: [] }]);
    const csv = await call('/api/v1/tickets?format=csv&status=closed', { token: a.token });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(
      csv.text
        .trimEnd()
        .split('\r\n')
        .map((line) => line.split(',')[0]),
    ).toEqual(['number', '"TKT-000001"']);

    const lead = await call('/api/v1/leads', {
      method: 'POST',
      token: a.token,
      json: { first_name: 'Lin', email: 'lin@example.com', phone: '+15550102030', source: 'walk_in' },
    });
    expectStatus(lead, 201);
    const converted = await call(`/api/v1/leads/${String(lead.body.id)}/convert`, {
      method: 'POST',
      token: a.token,
      json: { billing_day: 5 },
    });
    expectStatus(converted, 201);
    expect(converted.body).toMatchObject({
      lead: { number: 'LEAD-000001', status: 'converted' },
      subscriber: { number: 'SUB-000001' },
    });
    const again = await call(`/api/v1/leads/${String(lead.body.id)}/convert`, { method: 'POST', token: a.token });
    expect([again.status, again.body.code]).toEqual([409, 'conflict']);
  });

  it('runs the SLA sweep of every tenant from the cron trigger', async () => {
    const ctx = createExecutionContext();
    await handler.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: new Date() }), env, ctx);
    // The sweep runs in waitUntil; a rejected sweep would reject here.
    await waitOnExecutionContext(ctx);
  });
});
