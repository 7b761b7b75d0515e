import { describe, expect, it } from 'vitest';
import { startEdge, unique } from '../support/edge-app.ts';

const userBody = () => ({
  email: `${unique('idem')}@isp.test`,
  name: 'Idem Potent',
  role: 'support',
  password: 'a-good-password-1',
});
const day = 24 * 60 * 60 * 1000;

describe('Idempotency-Key on POST', () => {
  it('replays the stored response for the same key and body, and creates nothing new', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const body = userBody();
    const headers = { 'idempotency-key': 'create-user-0001' };
    const first = edge.ok(await edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body, headers }), 201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const auditBefore = edge.ok(await edge.call('GET', '/api/v1/audit-events', { token: tenant.owner.token }), 200).body
      .data!.length;

    edge.clock.now += 60_000;
    const second = await edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body, headers });
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));

    const users = edge.ok(await edge.call('GET', '/api/v1/users', { token: tenant.owner.token }), 200);
    expect(users.body.data!.filter((u) => u.email === body.email)).toHaveLength(1);
    expect(
      edge.ok(await edge.call('GET', '/api/v1/audit-events', { token: tenant.owner.token }), 200).body.data!.length,
    ).toBe(auditBefore);
  });

  it('replays a raw body sent again byte for byte', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const raw = JSON.stringify({ name: 'exact', role: 'read_only' });
    const headers = { 'idempotency-key': 'exact-bytes' };
    const first = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', { token: tenant.owner.token, body: raw, headers }),
      201,
    );
    const again = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', { token: tenant.owner.token, body: raw, headers }),
      201,
    );
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('works on platform routes too: a replayed tenant creation returns the same tenant, not a 409', async () => {
    const edge = await startEdge();
    const token = await edge.rootToken();
    const body = {
      slug: 'replayed-isp',
      name: 'Replayed',
      currency: 'EUR',
      timezone: 'Europe/Berlin',
      admin_email: 'o@replayed.test',
      admin_password: 'owner-password-long',
    };
    const headers = { 'idempotency-key': 'tenant-1' };
    const first = edge.ok(await edge.call('POST', '/api/v1/platform/tenants', { token, body, headers }), 201);
    const second = edge.ok(await edge.call('POST', '/api/v1/platform/tenants', { token, body, headers }), 201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const list = edge.ok(await edge.call('GET', '/api/v1/platform/tenants', { token }), 200);
    expect(list.body.data).toHaveLength(1);
  });

  it("scopes keys to the caller: another caller's identical key and body is a new request", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const admin = await edge.createStaff(tenant, 'admin');
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    const body = { name: 'shared name', role: 'read_only' };
    const headers = { 'idempotency-key': 'same-key-everywhere' };
    const ids = new Set<string>();
    for (const token of [tenant.owner.token, admin.token, key.secret]) {
      const res = edge.ok(await edge.call('POST', '/api/v1/api-keys', { token, body, headers }), 201);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      ids.add(String(res.body.id));
    }
    expect(ids.size).toBe(3);
  });

  it('keeps a key for 24 hours, then forgets it', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    // An API key does not expire, so it can outlive the 24 h window.
    const caller = await edge.createApiKey(tenant.owner.token, 'admin');
    const headers = { 'idempotency-key': 'daily-job' };
    const first = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: caller.secret,
        body: { name: 'first', role: 'read_only' },
        headers,
      }),
      201,
    );
    edge.clock.now += day - 1_000;
    const replay = await edge.call('POST', '/api/v1/api-keys', {
      token: caller.secret,
      body: { name: 'first', role: 'read_only' },
      headers,
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    edge.clock.now += 2_000;
    const fresh = edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: caller.secret,
        body: { name: 'second', role: 'read_only' },
        headers,
      }),
      201,
    );
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    expect(fresh.body.id).not.toBe(first.body.id);
  });

  it('ignores the header on methods other than POST', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'support');
    const headers = { 'idempotency-key': 'patch-key' };
    edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { name: 'One' },
        headers,
      }),
      200,
    );
    const second = edge.ok(
      await edge.call('PATCH', `/api/v1/users/${staff.id}`, {
        token: tenant.owner.token,
        body: { name: 'Two' },
        headers,
      }),
      200,
    );
    expect(second.body.name).toBe('Two');
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(
      (
        await edge.call('GET', '/api/v1/users', {
          token: tenant.owner.token,
          headers: { 'idempotency-key': 'not valid on GET either way' },
        })
      ).status,
    ).toBe(200);
  });

  it('does not store server errors, so the same key can be retried after a 5xx', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const body = userBody();
    const headers = { 'idempotency-key': 'retry-after-crash' };
    await edge.tenantSql(tenant.slug, 'ALTER TABLE audit_events RENAME TO audit_events_away');
    const crashed = await edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body, headers });
    expect(crashed.status).toBe(500);
    await edge.tenantSql(tenant.slug, 'ALTER TABLE audit_events_away RENAME TO audit_events');
    const retried = edge.ok(
      await edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body, headers }),
      201,
    );
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const users = edge.ok(await edge.call('GET', '/api/v1/users', { token: tenant.owner.token }), 200);
    expect(users.body.data!.filter((u) => u.email === body.email)).toHaveLength(1);
  });
});
