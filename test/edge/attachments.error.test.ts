import { describe, expect, it } from 'vitest';
import { startEdge, type Json } from '../support/edge-app.ts';
import { binary, storedFiles, upload } from './attachments-support.ts';

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  const ticket = edge.ok(
    await edge.call('POST', '/api/v1/tickets', { token, body: { subject: 'With files' } }),
    201,
  ).body;
  return { edge, tenant, token, ticketId: String(ticket.id) };
}

const problem = (res: { status: number; headers: Headers; body: Json }) => [
  res.status,
  res.headers.get('content-type'),
  res.body.code,
];

describe('attachment errors', () => {
  it('refuses media types outside the allowlist with 415', async () => {
    const { edge, tenant, token, ticketId } = await setup();
    for (const type of [
      'image/svg+xml',
      'text/html',
      'application/octet-stream',
      'application/x-msdownload',
      'application/json',
      'image/pngx',
      undefined,
    ]) {
      expect(problem(await upload(edge, token, ticketId, binary, type)), String(type)).toEqual([
        415,
        'application/problem+json',
        'unsupported_media_type',
      ]);
    }
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM ticket_attachments')).rows[0]!.n).toBe(0);
  });

  it('refuses bodies over 10 MiB with 413, whether the length is declared or streamed', async () => {
    const { edge, tenant, token, ticketId } = await setup();
    const over = new Uint8Array(10 * 1024 * 1024 + 1);
    expect(problem(await upload(edge, token, ticketId, over, 'application/pdf'))).toEqual([
      413,
      'application/problem+json',
      'payload_too_large',
    ]);
    // No Content-Length: the limit counts the bytes as they arrive.
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 11) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await edge.app.request(`/api/v1/tickets/${ticketId}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pdf' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect([response.status, ((await response.json()) as Json).code]).toEqual([413, 'payload_too_large']);
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM ticket_attachments')).rows[0]!.n).toBe(0);
    // The rest of the API keeps its 1 MiB limit.
    const big = await edge.call('POST', '/api/v1/tickets', {
      token,
      body: { subject: 'x', description: 'x'.repeat(1024 * 1024) },
    });
    expect([big.status, big.body.code]).toEqual([413, 'payload_too_large']);
  });

  it('refuses empty files, unknown tickets and unknown attachments, and bad filenames', async () => {
    const { edge, token, ticketId } = await setup();
    const empty = await upload(edge, token, ticketId, new Uint8Array(0), 'text/plain');
    expect([empty.status, empty.body.code, empty.body.errors]).toEqual([
      400,
      'validation_failed',
      [{ path: '(body)', message: 'must not be empty' }],
    ]);
    const longName = await upload(edge, token, ticketId, 'x', 'text/plain', `?filename=${'a'.repeat(256)}`);
    expect([longName.status, (longName.body.errors as Json[]).map((e) => e.path)]).toEqual([400, ['filename']]);
    expect(problem(await upload(edge, token, crypto.randomUUID(), 'x', 'text/plain'))).toEqual([
      404,
      'application/problem+json',
      'not_found',
    ]);
    expect(problem(await upload(edge, token, 'not-a-uuid', 'x', 'text/plain'))).toEqual([
      400,
      'application/problem+json',
      'validation_failed',
    ]);
    for (const [method, path] of [
      ['GET', `/api/v1/attachments/${crypto.randomUUID()}`],
      ['DELETE', `/api/v1/attachments/${crypto.randomUUID()}`],
      ['GET', `/api/v1/tickets/${crypto.randomUUID()}/attachments`],
    ] as const) {
      const res = await edge.call(method, path, { token });
      expect([res.status, res.body.code], path).toEqual([404, 'not_found']);
    }
    expect(storedFiles(edge)).toEqual([]);
  });

  it('removes the stored object again when the database write fails', async () => {
    const { edge, tenant, token, ticketId } = await setup();
    await edge.tenantSql(
      tenant.slug,
      "CREATE TRIGGER fail_attachment BEFORE INSERT ON ticket_attachments BEGIN SELECT RAISE(ABORT, 'forced " +
        "failure'); END",
    );
    const res = await upload(edge, token, ticketId, binary, 'image/png');
    expect([res.status, res.body.code]).toEqual([500, 'internal']);
    expect(storedFiles(edge)).toEqual([]);
    const audit = edge.ok(await edge.call('GET', `/api/v1/audit-events?action=ticket.attachment_added`, { token }), 200)
      .body.data;
    expect(audit).toEqual([]);
  });
});
