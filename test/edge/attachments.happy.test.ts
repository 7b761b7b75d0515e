import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';
import { binary, storedFiles, upload } from './attachments-support.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

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

describe('ticket attachments', () => {
  it('stores the raw body in object storage and streams it back byte for byte', async () => {
    const { edge, tenant, token, ticketId } = await setup();
    const res = await upload(
      edge,
      token,
      ticketId,
      binary,
      'image/png',
      `?filename=${encodeURIComponent('Screen shot "ü".png')}`,
    );
    expect(res.status, res.text).toBe(201);
    const attachment = JSON.parse(res.text) as Json;
    expect(attachment).toMatchObject({
      ticket_id: ticketId,
      filename: 'Screen shot "ü".png',
      content_type: 'image/png',
      size: 4096,
      sha256: sha256(binary),
      uploaded_by_type: 'user',
      uploaded_by: tenant.owner.id,
    });

    const download = await edge.app.request(`/api/v1/attachments/${String(attachment.id)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(binary);
    expect(
      Object.fromEntries(
        [
          'content-type',
          'content-length',
          'content-disposition',
          'x-content-type-options',
          'content-security-policy',
          'cache-control',
        ].map((h) => [h, download.headers.get(h)]),
      ),
    ).toEqual({
      'content-type': 'image/png',
      'content-length': '4096',
      'content-disposition':
        `attachment; filename="Screen shot ___.png"; ` + `filename*=UTF-8''Screen%20shot%20%22%C3%BC%22.png`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-store',
    });

    // The object sits under the tenant's prefix, named by the server.
    const [row] = (await edge.tenantSql(tenant.slug, 'SELECT storage_key FROM ticket_attachments')).rows;
    expect(row!.storage_key).toBe(`tenants/${tenant.id}/tickets/${ticketId}/${String(attachment.id)}`);
    expect(storedFiles(edge)).toEqual([join(edge.dir, 'objects', 'objects', String(row!.storage_key))]);
  });

  it('names files safely, keeps only the media type, lists oldest first, and audits', async () => {
    const { edge, token, ticketId } = await setup();
    const names: [string, string, string][] = [
      ['', 'application/pdf', 'attachment.pdf'],
      ['?filename=..%2F..%2Fetc%2Fpasswd', 'text/plain', 'passwd'],
      ['?filename=C%3A%5Cboot%5Cwin.ini', 'text/plain; charset=utf-8', 'win.ini'],
      ['?filename=a%00b%1Fc.csv', 'TEXT/CSV', 'abc.csv'],
      ['?filename=..', 'image/webp', 'attachment.webp'],
    ];
    const ids: string[] = [];
    for (const [query, type, filename] of names) {
      edge.clock.now++;
      const res = await upload(edge, token, ticketId, 'content', type, query);
      expect(res.status, res.text).toBe(201);
      const body = JSON.parse(res.text) as Json;
      expect(body, query).toMatchObject({ filename, content_type: type.split(';')[0]!.toLowerCase() });
      ids.push(String(body.id));
    }
    const listed = edge.ok(
      await edge.call('GET', `/api/v1/tickets/${ticketId}/attachments?limit=3`, { token }),
      200,
    ).body;
    expect(listed.data!.map((a) => a.id)).toEqual(ids.slice(0, 3));
    const rest = edge.ok(
      await edge.call('GET', `/api/v1/tickets/${ticketId}/attachments?limit=3&cursor=${String(listed.next_cursor)}`, {
        token,
      }),
      200,
    ).body;
    expect(rest).toMatchObject({ data: [{ id: ids[3] }, { id: ids[4] }], next_cursor: null });
    const audit = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource_id=${ticketId}&action=ticket.attachment_added`, { token }),
      200,
    ).body.data!;
    expect(audit.map((e) => (e.changes as Json).attachment_id).reverse()).toEqual(ids);
  });

  it('accepts exactly 10 MiB and replays an upload sent again with the same Idempotency-Key', async () => {
    const { edge, tenant, token, ticketId } = await setup();
    const big = new Uint8Array(10 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const first = await upload(edge, token, ticketId, big, 'application/pdf', '?filename=big.pdf', {
      'idempotency-key': 'upload-1',
    });
    expect(first.status, first.text).toBe(201);
    const again = await upload(edge, token, ticketId, big, 'application/pdf', '?filename=big.pdf', {
      'idempotency-key': 'upload-1',
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(JSON.parse(again.text)).toEqual(JSON.parse(first.text));
    // Binary bodies are compared as bytes: one changed byte is another request.
    const changed = big.slice();
    changed[5_000_000] = 255 - changed[5_000_000]!;
    const reused = await upload(edge, token, ticketId, changed, 'application/pdf', '?filename=big.pdf', {
      'idempotency-key': 'upload-1',
    });
    expect([reused.status, (JSON.parse(reused.text) as Json).code]).toEqual([422, 'idempotency_key_reused']);
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM ticket_attachments')).rows[0]!.n).toBe(1);
    const download = await edge.app.request(`/api/v1/attachments/${String((JSON.parse(first.text) as Json).id)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(big));
  });

  it('deletes the row and the object, and audits the deletion', async () => {
    const { edge, token, ticketId } = await setup();
    const res = await upload(edge, token, ticketId, binary, 'image/gif');
    const id = String((JSON.parse(res.text) as Json).id);
    expect(storedFiles(edge)).toHaveLength(1);
    expect((await edge.call('DELETE', `/api/v1/attachments/${id}`, { token })).status).toBe(204);
    expect(storedFiles(edge)).toEqual([]);
    expectProblem(await edge.call('GET', `/api/v1/attachments/${id}`, { token }), 404, 'not_found');
    expectProblem(await edge.call('DELETE', `/api/v1/attachments/${id}`, { token }), 404, 'not_found');
    expect(
      edge.ok(await edge.call('GET', `/api/v1/tickets/${ticketId}/attachments`, { token }), 200).body.data,
    ).toEqual([]);
    const [entry] = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?action=ticket.attachment_deleted`, { token }),
      200,
    ).body.data!;
    expect(entry).toMatchObject({
      resource: 'ticket',
      resource_id: ticketId,
      changes: { attachment_id: id, filename: 'attachment.gif' },
    });
  });
});
