import { describe, expect, it } from 'vitest';
import { startEdge } from '../support/edge-app.ts';
import { binary, storedFiles, upload } from './attachments-support.ts';

describe('attachment isolation', () => {
  it("keeps each tenant's files to itself, even when a stored key names another tenant's object", async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const aTicket = String(
      edge.ok(await edge.call('POST', '/api/v1/tickets', { token: a.owner.token, body: { subject: 'A' } }), 201).body
        .id,
    );
    const bTicket = String(
      edge.ok(await edge.call('POST', '/api/v1/tickets', { token: b.owner.token, body: { subject: 'B' } }), 201).body
        .id,
    );
    const aFile = await upload(edge, a.owner.token, aTicket, 'secret of A', 'text/plain', '?filename=a.txt');
    const bFile = await upload(edge, b.owner.token, bTicket, binary, 'image/png');
    const aId = String(aFile.body.id);
    const bId = String(bFile.body.id);

    // B cannot reach A's attachment or ticket by id.
    for (const [method, path] of [
      ['GET', `/api/v1/attachments/${aId}`],
      ['DELETE', `/api/v1/attachments/${aId}`],
      ['GET', `/api/v1/tickets/${aTicket}/attachments`],
    ] as const) {
      const res = await edge.call(method, path, { token: b.owner.token });
      expect([res.status, res.body.code], `${method} ${path}`).toEqual([404, 'not_found']);
    }
    expect((await upload(edge, b.owner.token, aTicket, 'planted', 'text/plain')).status).toBe(404);

    // Keys are server-made and tenant-prefixed; a row pointing into A's prefix (a tampered or
    // restored database) is refused, and deleting it leaves A's object alone.
    const aKey = String(
      (await edge.tenantSql(a.slug, 'SELECT storage_key FROM ticket_attachments')).rows[0]!.storage_key,
    );
    expect(aKey.startsWith(`tenants/${a.id}/`)).toBe(true);
    await edge.tenantSql(b.slug, 'UPDATE ticket_attachments SET storage_key = ? WHERE id = ?', [aKey, bId]);
    const stolen = await edge.call('GET', `/api/v1/attachments/${bId}`, { token: b.owner.token });
    expect([stolen.status, stolen.body.code]).toEqual([404, 'not_found']);
    expect(stolen.text).not.toContain('secret of A');
    expect((await edge.call('DELETE', `/api/v1/attachments/${bId}`, { token: b.owner.token })).status).toBe(204);
    const still = await edge.call('GET', `/api/v1/attachments/${aId}`, { token: a.owner.token });
    expect([still.status, still.text]).toEqual([200, 'secret of A']);
    expect(storedFiles(edge)).toHaveLength(2); // A's, and B's orphan: B's row never pointed at it any more
  });

  it('lets read-only and billing staff download but not upload or delete', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const ticket = String(
      edge.ok(await edge.call('POST', '/api/v1/tickets', { token: tenant.owner.token, body: { subject: 'T' } }), 201)
        .body.id,
    );
    const id = String((await upload(edge, tenant.owner.token, ticket, 'hello', 'text/plain')).body.id);
    for (const role of ['read_only', 'billing'] as const) {
      const staff = await edge.createStaff(tenant, role);
      const read = await edge.call('GET', `/api/v1/attachments/${id}`, { token: staff.token });
      expect([read.status, read.text]).toEqual([200, 'hello']);
      expect((await upload(edge, staff.token, ticket, 'x', 'text/plain')).status).toBe(403);
      const del = await edge.call('DELETE', `/api/v1/attachments/${id}`, { token: staff.token });
      expect([del.status, del.body.code]).toEqual([403, 'forbidden']);
    }
    expect((await edge.call('GET', `/api/v1/attachments/${id}`)).status).toBe(401);
  });
});
