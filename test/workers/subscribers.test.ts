// Subscribers and their CSV import in workerd, against a real sqld (FTS5 included).
import { describe, expect, it } from 'vitest';
import { call, expectStatus, platformToken, tenantLogin } from './call.ts';

/** A new tenant's owner token (USD, UTC). */
const tenantToken = async () => (await tenantLogin(await platformToken(), 'ws')).token;

describe('subscribers in workerd against sqld', () => {
  it('creates, reads, lists, searches, changes, archives, restores and erases; other tenants see nothing', async () => {
    const platform = await platformToken();
    const [{ token: a }, { token: b }] = await Promise.all([tenantLogin(platform, 'ws'), tenantLogin(platform, 'ws')]);

    const created = await call('/api/v1/subscribers', {
      method: 'POST',
      token: a,
      json: {
        first_name: 'Grace',
        last_name: 'Hopper',
        email: 'Grace@Navy.test',
        phone: '+1 (555) 010-7788',
        addresses: [{ line1: '1 Navy Way', city: 'Arlington', country: 'us' }],
      },
    });
    expectStatus(created, 201);
    const id = String(created.body.id);
    expect(created.body).toMatchObject({
      subscriber_number: 'SUB-000001',
      email: 'grace@navy.test',
      phone: '+15550107788',
    });
    const other = await call('/api/v1/subscribers', {
      method: 'POST',
      token: a,
      json: {
        organization_name: 'Acme',
        kind: 'organization',
        addresses: [{ line1: '2 Road', city: 'Boston', country: 'US' }],
      },
    });
    expectStatus(other, 201);

    expectStatus(await call(`/api/v1/subscribers/${id}`, { token: a }), 200);
    const inArlington = await call('/api/v1/subscribers?city=arlington', { token: a });
    expect(inArlington.body.data!.map((s) => s.id)).toEqual([id]);
    for (const q of ['hop', '0107788', 'SUB-000001', 'grace@navy']) {
      const found = await call(`/api/v1/subscribers?q=${encodeURIComponent(q)}`, { token: a });
      expectStatus(found, 200);
      expect(
        found.body.data!.map((s) => s.id),
        `q=${q}`,
      ).toEqual([id]);
    }

    // Status is derived from subscriptions (issue 13 D7): read-only.
    expectStatus(
      await call(`/api/v1/subscribers/${id}`, { method: 'PATCH', token: a, json: { status: 'suspended' } }),
      400,
    );
    const patched = await call(`/api/v1/subscribers/${id}`, {
      method: 'PATCH',
      token: a,
      json: { last_name: 'Murray Hopper' },
    });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ display_name: 'Grace Murray Hopper', status: 'active' });
    expect((await call('/api/v1/subscribers?q=murray', { token: a })).body.data!.map((s) => s.id)).toEqual([id]);

    expectStatus(await call(`/api/v1/subscribers/${id}`, { method: 'DELETE', token: a }), 204);
    expect((await call('/api/v1/subscribers', { token: a })).body.data!.map((s) => s.id)).not.toContain(id);
    expectStatus(await call(`/api/v1/subscribers/${id}/restore`, { method: 'POST', token: a }), 200);
    expect((await call('/api/v1/subscribers', { token: a })).body.data!.map((s) => s.id)).toContain(id);

    // Tenant B: A's subscriber does not exist, by id or by search.
    for (const [method, path] of [
      ['GET', `/api/v1/subscribers/${id}`],
      ['PATCH', `/api/v1/subscribers/${id}`],
      ['DELETE', `/api/v1/subscribers/${id}`],
      ['POST', `/api/v1/subscribers/${id}/erase`],
    ] as const) {
      const res = await call(path, { method, token: b, ...(method === 'PATCH' ? { json: { notes: 'x' } } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await call('/api/v1/subscribers?q=hopper', { token: b })).body.data).toEqual([]);

    expectStatus(await call(`/api/v1/subscribers/${id}/erase`, { method: 'POST', token: a }), 204);
    const erased = await call(`/api/v1/subscribers/${id}`, { token: a });
    expect(erased.body).toMatchObject({ subscriber_number: 'SUB-000001', email: null, phone: null });
    expect(erased.body.erased_at).toEqual(expect.any(String));
    expect((await call('/api/v1/subscribers?q=hopper', { token: a })).body.data).toEqual([]);
  });

  it('runs a CSV import job to completion, then rejects a bad file with row errors', async () => {
    const token = await tenantToken();
    const csv =
      'Name,E-mail,Street,ZIP code,City,Country\r\nAda Lovelace,ada@x.test,1 St,NW1,London,GB\r\nAlan ' +
      'Turing,alan@x.test,"Hut 8, Bletchley",MK3,Milton Keynes,GB\r\n';
    const posted = await call('/api/v1/subscriber-imports', {
      method: 'POST',
      token,
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expectStatus(posted, 202);
    expect(posted.body).toMatchObject({ status: 'completed', total_rows: 2, created_count: 2 });
    const job = await call(String(posted.headers.get('location')), { token });
    expect(job.body).toMatchObject({ status: 'completed', errors: [] });
    const turing = await call('/api/v1/subscribers?q=bletchley', { token });
    expect(turing.body.data!.map((s) => [s.subscriber_number, s.display_name])).toEqual([
      ['SUB-000002', 'Alan Turing'],
    ]);

    const bad = await call('/api/v1/subscriber-imports', {
      method: 'POST',
      token,
      headers: { 'content-type': 'text/csv' },
      body: 'name,email,street,city,country\nX,ada@x.test,1 St,Town,US\nY,y@x.test,1 St,Town,XX\n',
    });
    expectStatus(bad, 202);
    const failed = await call(`/api/v1/subscriber-imports/${bad.body.id}`, { token });
    expect(failed.body).toMatchObject({ status: 'failed', error_count: 2 });
    expect((failed.body.errors as { row: number; column: string }[]).map((e) => [e.row, e.column])).toEqual([
      [2, 'email'],
      [3, 'country'],
    ]);
    expect((await call('/api/v1/subscribers', { token })).body.data).toHaveLength(2);
  });

  it('finishes a larger import after the response (waitUntil), visible by polling', async () => {
    const token = await tenantToken();
    const lines = ['first_name,last_name,email,service_line1,service_city,service_country'];
    // Over the 64 KiB the route imports before answering.
    for (let i = 1; i <= 1500; i++)
      lines.push(`First${i},Last${i},person${i}@bulk.test,${i} Long Street Name For Size,Springfield,US`);
    const posted = await call('/api/v1/subscriber-imports', {
      method: 'POST',
      token,
      headers: { 'content-type': 'text/csv' },
      body: lines.join('\n'),
    });
    expectStatus(posted, 202);
    let job = posted.body;
    for (let i = 0; i < 300 && job.status !== 'completed' && job.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await call(`/api/v1/subscriber-imports/${posted.body.id}`, { token })).body;
    }
    expect(job).toMatchObject({ status: 'completed', total_rows: 1500, created_count: 1500 });
    const last = await call('/api/v1/subscribers?q=SUB-001500', { token });
    expect(last.body.data!.map((s) => s.email)).toEqual(['person1500@bulk.test']);
  });
});
