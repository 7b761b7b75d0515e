import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';

describe('who may see a stored response', () => {
  it('checks authentication and permission before looking at the key', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const support = await edge.createStaff(tenant, 'support');
    const headers = { 'idempotency-key': 'owner-key' };
    const body = { name: 'k', role: 'read_only' };
    const first = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', { token: tenant.owner.token, body, headers }),
      201,
    );
    // Someone without the permission gets 403, never the owner's stored response (which holds a secret).
    const denied = await edge.call('POST', '/api/v1/api-keys', { token: support.token, body, headers });
    expectProblem(denied, 403, 'forbidden');
    expect(denied.text).not.toContain(String(first.body.secret));
    const anonymous = await edge.call('POST', '/api/v1/api-keys', { body, headers });
    expectProblem(anonymous, 401, 'unauthenticated');
  });
});

describe('what the idempotency store keeps', () => {
  it('does not keep an API key secret in clear text in the database', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: 'stored', role: 'admin' },
        headers: { 'idempotency-key': 'key-with-secret' },
      }),
      201,
    );
    const secret = String(res.body.secret).split('.')[2]!;
    const rows = await edge.tenantSql(tenant.slug, 'SELECT * FROM idempotency_keys');
    expect(rows.rows).toHaveLength(1);
    // "Only its SHA-256 is stored": the stored replay must not hand a working key to anyone reading the database.
    expect(JSON.stringify(rows.rows)).not.toContain(secret);
  });

  it(
    'does not keep a TOTP secret in clear text in the database (users.totp_secret is sealed; the replay copy must ' +
      'be too)',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const res = edge.ok(
        await edge.call('POST', '/api/v1/me/mfa/totp', {
          token: tenant.owner.token,
          headers: { 'idempotency-key': 'enrol-1' },
        }),
        200,
      );
      const rows = await edge.tenantSql(tenant.slug, 'SELECT * FROM idempotency_keys');
      expect(JSON.stringify(rows.rows)).not.toContain(String(res.body.secret));
    },
  );
});
