import { describe, expect, it } from 'vitest';
import { hashAuditEvent } from '../../edge/services/audit/append-audit-event.ts';
import { expectProblem, startEdge, type TenantFixture, type TestEdge } from '../support/edge-app.ts';

/** A tenant with a dozen audit events. */
async function seeded(): Promise<{ edge: TestEdge; tenant: TenantFixture; count: number }> {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  for (let i = 0; i < 3; i++) await edge.createStaff(tenant, 'support');
  await edge.createApiKey(tenant.owner.token, 'read_only');
  const res = edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token: tenant.owner.token }), 200);
  expect(res.body.valid).toBe(true);
  return { edge, tenant, count: Number(res.body.events) };
}

const verify = async (edge: TestEdge, token: string) =>
  edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token }), 200).body;
const idAt = async (edge: TestEdge, slug: string, seq: number) =>
  String((await edge.tenantSql(slug, 'SELECT id FROM audit_events WHERE seq = ?', [seq])).rows[0]!.id);

describe('tamper evidence', () => {
  it('reports the first edited row (hash_mismatch) after UPDATE ... SET changes', async () => {
    const { edge, tenant, count } = await seeded();
    expect(count).toBeGreaterThan(8);
    await edge.tenantSql(tenant.slug, 'UPDATE audit_events SET changes = ? WHERE seq = 5', ['{"role":"owner"}']);
    expect(await verify(edge, tenant.owner.token)).toEqual({
      valid: false,
      events: 4,
      first_broken: { seq: 5, id: await idAt(edge, tenant.slug, 5), reason: 'hash_mismatch' },
    });
  });

  it.each(['id', 'at', 'actor_type', 'actor_id', 'action', 'resource', 'resource_id', 'request_id', 'ip'])(
    'detects an edit of %s',
    async (column) => {
      const { edge, tenant } = await seeded();
      const value =
        column === 'at' ? 1 : column === 'actor_type' ? 'system' : column === 'id' ? crypto.randomUUID() : 'forged';
      await edge.tenantSql(tenant.slug, `UPDATE audit_events SET ${column} = ? WHERE seq = 6`, [value]);
      const report = await verify(edge, tenant.owner.token);
      expect(report).toMatchObject({ valid: false, events: 5, first_broken: { seq: 6, reason: 'hash_mismatch' } });
    },
  );

  it('detects a deleted middle row at the row after it (link_mismatch)', async () => {
    const { edge, tenant } = await seeded();
    await edge.tenantSql(tenant.slug, 'DELETE FROM audit_events WHERE seq = 4');
    expect(await verify(edge, tenant.owner.token)).toEqual({
      valid: false,
      events: 3,
      first_broken: { seq: 5, id: await idAt(edge, tenant.slug, 5), reason: 'link_mismatch' },
    });
  });

  it('detects an edit whose row hash was recomputed, at the next row', async () => {
    const { edge, tenant } = await seeded();
    const row = (await edge.tenantSql(tenant.slug, 'SELECT * FROM audit_events WHERE seq = 3')).rows[0]!;
    const forged = {
      id: String(row.id),
      at: new Date(Number(row.at)),
      actorType: String(row.actor_type),
      actorId: row.actor_id === null ? null : String(row.actor_id),
      action: String(row.action),
      resource: String(row.resource),
      resourceId: row.resource_id === null ? null : String(row.resource_id),
      changes: '{"role":"owner"}',
      requestId: row.request_id === null ? null : String(row.request_id),
      ip: row.ip === null ? null : String(row.ip),
    };
    const hash = await hashAuditEvent(String(row.prev_hash), forged);
    await edge.tenantSql(tenant.slug, 'UPDATE audit_events SET changes = ?, hash = ? WHERE seq = 3', [
      forged.changes,
      hash,
    ]);
    expect(await verify(edge, tenant.owner.token)).toMatchObject({
      valid: false,
      events: 3,
      first_broken: { seq: 4, reason: 'link_mismatch' },
    });
  });

  it('detects a rewritten prev_hash', async () => {
    const { edge, tenant } = await seeded();
    await edge.tenantSql(tenant.slug, 'UPDATE audit_events SET prev_hash = ? WHERE seq = 2', ['f'.repeat(64)]);
    expect(await verify(edge, tenant.owner.token)).toMatchObject({
      valid: false,
      events: 1,
      first_broken: { seq: 2, reason: 'link_mismatch' },
    });
  });

  it('reports valid again once the tampered value is restored, and new writes continue the chain', async () => {
    const { edge, tenant, count } = await seeded();
    const original = (await edge.tenantSql(tenant.slug, 'SELECT action FROM audit_events WHERE seq = 2')).rows[0]!
      .action;
    await edge.tenantSql(tenant.slug, "UPDATE audit_events SET action = 'nothing.happened' WHERE seq = 2");
    expect((await verify(edge, tenant.owner.token)).valid).toBe(false);
    await edge.tenantSql(tenant.slug, 'UPDATE audit_events SET action = ? WHERE seq = 2', [String(original)]);
    await edge.createStaff(tenant, 'billing');
    expect(await verify(edge, tenant.owner.token)).toMatchObject({ valid: true, events: count + 2 });
  });
});

describe('audit log integrity over HTTP', () => {
  it('has no route that writes, edits or deletes audit events', async () => {
    const { edge, tenant, count } = await seeded();
    const token = tenant.owner.token;
    const id = await idAt(edge, tenant.slug, 2);
    for (const [method, path] of [
      ['POST', '/api/v1/audit-events'],
      ['PATCH', `/api/v1/audit-events/${id}`],
      ['DELETE', `/api/v1/audit-events/${id}`],
      ['DELETE', '/api/v1/audit-events'],
      ['PUT', '/api/v1/audit-events/2'],
    ] as const) {
      expectProblem(await edge.call(method, path, { token, body: { action: 'x' } }), 404, 'not_found');
    }
    expect(await verify(edge, token)).toMatchObject({ valid: true, events: count });
  });

  it('records the socket address on Node, not a client-supplied CF-Connecting-IP header', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    // On Node no Cloudflare edge sets or strips this header, so any client can write it.
    const res = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: 'spoof', role: 'read_only' },
        headers: { 'cf-connecting-ip': '=HYPERLINK("http://evil")' },
      }),
      201,
    );
    const events = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource_id=${String(res.body.id)}`, { token: tenant.owner.token }),
      200,
    );
    expect(events.body.data![0]!.ip).toBe('127.0.0.1');
  });
});
