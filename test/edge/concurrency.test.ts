// Requests that race inside one process, as they do behind a real server. Every test
// fires its requests together with Promise.all and then checks the end state.
import { describe, expect, it } from 'vitest';
import { startEdge, unique } from '../support/edge-app.ts';

// Generous: a store that serialises writes badly shows up as a failure, not a hang.
const timeout = 120_000;

const newUser = (i: number) => ({
  email: `${unique(`racer${i}-`)}@isp.test`,
  name: `Racer ${i}`,
  role: 'support',
  password: 'a-good-password-1',
});

describe('concurrent requests', () => {
  it('two simultaneous POSTs with the same Idempotency-Key create one user', { timeout }, async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const body = newUser(0);
    const headers = { 'idempotency-key': 'race-1' };
    const results = await Promise.all(
      [0, 1].map(() => edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body, headers })),
    );
    const statuses = results
      .map((r) => {
        const replayed = r.headers.get('idempotent-replayed') ? ' replayed' : '';
        return `${r.status}${replayed}${r.body.code ? ` ${String(r.body.code)}` : ''}`;
      })
      .sort();
    expect(statuses[0], statuses.join(' | ')).toBe('201');
    expect(['201 replayed', '409 idempotency_key_in_progress'], statuses.join(' | ')).toContain(statuses[1]);
    const users = edge.ok(await edge.call('GET', '/api/v1/users', { token: tenant.owner.token }), 200);
    expect(users.body.data!.filter((u) => u.email === body.email)).toHaveLength(1);
    const audit = edge.ok(
      await edge.call('GET', '/api/v1/audit-events?action=user.created', { token: tenant.owner.token }),
      200,
    );
    expect(audit.body.data!.filter((e) => (e.changes as Record<string, unknown>).email === body.email)).toHaveLength(1);
    // Once the first has finished, a retry is a clean replay.
    const retry = await edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
  });

  it('20 user creations in parallel all succeed and keep the audit chain valid', { timeout }, async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const before = edge.ok(
      await edge.call('GET', '/api/v1/audit-events/verify', { token: tenant.owner.token }),
      200,
    ).body;
    const bodies = Array.from({ length: 20 }, (_, i) => newUser(i));
    const results = await Promise.all(
      bodies.map((body) => edge.call('POST', '/api/v1/users', { token: tenant.owner.token, body })),
    );
    expect(
      results.map((r) => r.status),
      results
        .filter((r) => r.status !== 201)
        .map((r) => r.text)
        .join('\n'),
    ).toEqual(Array(20).fill(201));
    const users = edge.ok(await edge.call('GET', '/api/v1/users?limit=200', { token: tenant.owner.token }), 200);
    expect(users.body.data).toHaveLength(21);
    const report = edge.ok(
      await edge.call('GET', '/api/v1/audit-events/verify', { token: tenant.owner.token }),
      200,
    ).body;
    expect(report).toMatchObject({ valid: true, events: Number(before.events) + 20 });
    const events = edge.ok(
      await edge.call('GET', '/api/v1/audit-events?action=user.created&limit=200', { token: tenant.owner.token }),
      200,
    ).body.data!;
    for (const r of results) expect(events.filter((e) => e.resource_id === r.body.id)).toHaveLength(1);
  });

  it('mixed concurrent writes (users, API keys, logins, failed logins) keep the chain valid', { timeout }, async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const staff = await edge.createStaff(tenant, 'admin');
    const token = tenant.owner.token;
    const before = edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token }), 200).body;
    const jobs = [
      ...Array.from({ length: 5 }, (_, i) => edge.call('POST', '/api/v1/users', { token, body: newUser(i) })),
      ...Array.from({ length: 5 }, (_, i) =>
        edge.call('POST', '/api/v1/api-keys', { token: staff.token, body: { name: `k${i}`, role: 'read_only' } }),
      ),
      ...Array.from({ length: 3 }, () =>
        edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: tenant.slug, email: staff.email, password: staff.password },
        }),
      ),
      ...Array.from({ length: 3 }, () =>
        edge.call('POST', '/api/v1/auth/login', {
          body: { tenant: tenant.slug, email: tenant.owner.email, password: 'wrong-password-123' },
        }),
      ),
    ];
    const results = await Promise.all(jobs);
    expect(results.map((r) => r.status)).toEqual([
      ...Array(5).fill(201),
      ...Array(5).fill(201),
      ...Array(3).fill(200),
      ...Array(3).fill(401),
    ]);
    const report = edge.ok(await edge.call('GET', '/api/v1/audit-events/verify', { token }), 200).body;
    expect(report).toMatchObject({ valid: true, events: Number(before.events) + 16 });
  });

  it('tenants created in parallel are all provisioned; a contested slug goes to exactly one', { timeout }, async () => {
    const edge = await startEdge();
    const token = await edge.rootToken();
    const body = (slug: string, owner: string) => ({
      slug,
      name: slug,
      currency: 'USD',
      timezone: 'UTC',
      admin_email: `${owner}@${slug}.test`,
      admin_password: `password-of-${owner}`,
    });
    const distinct = await Promise.all(
      ['p-one', 'p-two', 'p-three', 'p-four'].map((slug) =>
        edge.call('POST', '/api/v1/platform/tenants', { token, body: body(slug, 'owner') }),
      ),
    );
    expect(
      distinct.map((r) => r.status),
      distinct.map((r) => r.text).join('\n'),
    ).toEqual([201, 201, 201, 201]);
    const contested = await Promise.all(
      ['first', 'second', 'third'].map((owner) =>
        edge.call('POST', '/api/v1/platform/tenants', { token, body: body('contested', owner) }),
      ),
    );
    expect(contested.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const winner = ['first', 'second', 'third'][contested.findIndex((r) => r.status === 201)]!;
    await edge.login('contested', `${winner}@contested.test`, `password-of-${winner}`);
    for (const slug of ['p-one', 'p-two', 'p-three', 'p-four'])
      await edge.login(slug, `owner@${slug}.test`, 'password-of-owner');
    const list = edge.ok(await edge.call('GET', '/api/v1/platform/tenants', { token }), 200);
    expect(list.body.data!.map((t) => [t.slug, t.status])).toEqual(
      ['contested', 'p-four', 'p-one', 'p-three', 'p-two'].map((s) => [s, 'active']),
    );
  });
});
