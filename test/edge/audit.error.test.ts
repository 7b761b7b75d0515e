import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge } from '../support/edge-app.ts';

describe('audit query validation', () => {
  it.each([
    ['from', 'from=yesterday'],
    ['from', 'from=2031-01-15'],
    ['to', 'to=2031-13-01T00:00:00Z'],
    ['limit', 'limit=0'],
    ['limit', 'limit=201'],
    ['action', `action=${'a'.repeat(101)}`],
    ['resource_id', `resource_id=${'r'.repeat(101)}`],
    ['cursor', `cursor=${'9'.repeat(201)}`],
    ['cursor', 'cursor=not-a-cursor'],
    ['cursor', 'cursor=1.5'],
  ])('refuses a bad %s (%s) with 400 naming the field', async (field, query) => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = await edge.call('GET', `/api/v1/audit-events?${query}`, { token: tenant.owner.token });
    expect(expectProblem(res, 400, 'validation_failed').errors!.map((e) => e.path)).toEqual([field]);
  });

  it('validates the export filters the same way', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const res = await edge.call('GET', '/api/v1/audit-events/export?from=not-a-time', { token: tenant.owner.token });
    expect(expectProblem(res, 400, 'validation_failed').errors!.map((e) => e.path)).toEqual(['from']);
  });

  it('returns nothing for an empty time range', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const at = new Date(edge.clock.now).toISOString();
    const res = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?from=${at}&to=${at}`, { token: tenant.owner.token }),
      200,
    );
    expect(res.body).toEqual({ data: [], next_cursor: null });
  });

  it('needs audit:read for the list, the export and the verification', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const readOnly = await edge.createStaff(tenant, 'read_only');
    for (const path of ['/api/v1/audit-events', '/api/v1/audit-events/export', '/api/v1/audit-events/verify']) {
      expectProblem(await edge.call('GET', path, { token: readOnly.token }), 403, 'forbidden');
      expectProblem(await edge.call('GET', path), 401, 'unauthenticated');
    }
  });
});
