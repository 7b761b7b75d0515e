import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';

describe('Idempotency-Key misuse', () => {
  it('answers the same key with a different body with 422 and creates nothing', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const headers = { 'idempotency-key': 'one-key' };
    edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: 'first', role: 'read_only' },
        headers,
      }),
      201,
    );
    const res = await edge.call('POST', '/api/v1/api-keys', {
      token: tenant.owner.token,
      body: { name: 'second', role: 'read_only' },
      headers,
    });
    expectProblem(res, 422, 'idempotency_key_reused');
    const list = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
    expect(list.body.data!.map((k) => k.name)).toEqual(['first']);
  });

  it('answers the same key on another route with 422', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const headers = { 'idempotency-key': 'cross-route' };
    edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: 'k', role: 'read_only' },
        headers,
      }),
      201,
    );
    expectProblem(
      await edge.call('POST', '/api/v1/me/mfa/totp', { token: tenant.owner.token, headers }),
      422,
      'idempotency_key_reused',
    );
  });

  it.each([
    ['a space', 'has space'],
    ['256 characters', 'k'.repeat(256)],
    ['an empty value', ''],
    ['a non-ASCII byte', 'cl\u00e9'],
  ])('refuses a key with %s (400) before doing anything', async (_label, key) => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = await edge.call('POST', '/api/v1/api-keys', {
      token: tenant.owner.token,
      body: { name: 'k', role: 'read_only' },
      headers: { 'idempotency-key': key },
    });
    expectProblem(res, 400, 'malformed_request');
    expect(edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200).body.data).toEqual(
      [],
    );
  });

  it('accepts the longest legal key (255 visible ASCII characters)', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = '!~'.repeat(127) + 'k';
    const headers = { 'idempotency-key': key };
    edge.ok(
      await edge.call('POST', '/api/v1/api-keys', {
        token: tenant.owner.token,
        body: { name: 'k', role: 'read_only' },
        headers,
      }),
      201,
    );
    expect(
      (
        await edge.call('POST', '/api/v1/api-keys', {
          token: tenant.owner.token,
          body: { name: 'k', role: 'read_only' },
          headers,
        })
      ).headers.get('idempotent-replayed'),
    ).toBe('true');
  });
});
