import { describe, expect, it } from 'vitest';
import type { StaffRole } from '../../db/tenant/index.ts';
import { expectProblem, startEdge, unique } from '../support/edge-app.ts';

// The contract, written out independently of edge/permissions.ts.
const mayWrite = new Set<StaffRole>(['owner', 'admin', 'operations', 'billing', 'support']);
const mayErase = new Set<StaffRole>(['owner', 'admin']);
const mayDefineFields = new Set<StaffRole>(['owner', 'admin']);
const roles: StaffRole[] = ['owner', 'admin', 'operations', 'billing', 'support', 'field_tech', 'read_only'];

describe.each(roles)('subscriber permissions for %s', (role) => {
  it('reads, writes, erases and exports only as allowed', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const token = role === 'owner' ? tenant.owner.token : (await edge.createStaff(tenant, role)).token;
    const owner = tenant.owner.token;
    const s = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token: owner,
        body: { last_name: 'Target', email: 'target@example.com' },
      }),
      201,
    ).body;
    const id = String(s.id);
    const expectAllowed = async (allowed: boolean, method: string, path: string, status: number, body?: unknown) => {
      const res = await edge.call(method, path, { token, body });
      if (allowed) expect(res.status, `${role} ${method} ${path}: ${res.text}`).toBe(status);
      else expectProblem(res, 403, 'forbidden');
    };
    await expectAllowed(true, 'GET', '/api/v1/subscribers', 200);
    await expectAllowed(true, 'GET', `/api/v1/subscribers/${id}`, 200);
    await expectAllowed(true, 'GET', '/api/v1/subscribers?format=csv', 200);
    await expectAllowed(true, 'GET', '/api/v1/tags', 200);
    await expectAllowed(true, 'GET', '/api/v1/custom-fields', 200);
    await expectAllowed(mayWrite.has(role), 'POST', '/api/v1/subscribers', 201, {
      last_name: 'New',
      email: `${unique('n')}@example.com`,
    });
    await expectAllowed(mayWrite.has(role), 'PATCH', `/api/v1/subscribers/${id}`, 200, { notes: `by ${role}` });
    await expectAllowed(mayWrite.has(role), 'POST', `/api/v1/subscribers/${id}/addresses`, 201, {
      line1: '1 Main',
      city: 'X',
      country: 'US',
    });
    await expectAllowed(mayWrite.has(role), 'POST', '/api/v1/tags', 201, { name: unique('t') });
    await expectAllowed(mayDefineFields.has(role), 'POST', '/api/v1/custom-fields', 201, {
      key: 'f',
      label: 'F',
      type: 'text',
    });
    await expectAllowed(mayErase.has(role), 'GET', `/api/v1/subscribers/${id}/export`, 200);
    await expectAllowed(mayWrite.has(role), 'DELETE', `/api/v1/subscribers/${id}`, 204);
    await expectAllowed(mayErase.has(role), 'POST', `/api/v1/subscribers/${id}/erase`, 204);
    const after = edge.ok(await edge.call('GET', `/api/v1/subscribers/${id}`, { token: owner }), 200).body;
    expect(after.erased_at === null).toBe(!mayErase.has(role));
    expect(after.archived_at === null).toBe(!mayWrite.has(role));
    expect(after.notes).toBe(mayWrite.has(role) && !mayErase.has(role) ? `by ${role}` : null);
  });
});

describe('cross-tenant', () => {
  it("tenant B cannot see, change, erase or export A's subscribers, nor find them by search", async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const s = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token: a.owner.token,
        body: {
          first_name: 'Secret',
          last_name: 'Person',
          email: 'secret@a.test',
          addresses: [{ line1: '1 Hidden Rd', city: 'Atlantis', country: 'GR' }],
        },
      }),
      201,
    ).body;
    const id = String(s.id);
    const addressId = String((s.addresses as { id: string }[])[0]!.id);
    edge.ok(
      await edge.call('POST', '/api/v1/subscribers', { token: b.owner.token, body: { last_name: 'B own' } }),
      201,
    );
    for (const [method, path, body] of [
      ['GET', `/api/v1/subscribers/${id}`],
      ['PATCH', `/api/v1/subscribers/${id}`, { notes: 'pwned' }],
      ['DELETE', `/api/v1/subscribers/${id}`],
      ['POST', `/api/v1/subscribers/${id}/restore`],
      ['POST', `/api/v1/subscribers/${id}/erase`],
      ['GET', `/api/v1/subscribers/${id}/export`],
      ['GET', `/api/v1/subscribers/${id}/addresses`],
      ['PATCH', `/api/v1/subscribers/${id}/addresses/${addressId}`, { city: 'x' }],
      ['DELETE', `/api/v1/subscribers/${id}/addresses/${addressId}`],
    ] as [string, string, unknown?][]) {
      expectProblem(await edge.call(method, path, { token: b.owner.token, body }), 404, 'not_found');
    }
    for (const q of ['q=secret', 'q=atlantis', 'city=Atlantis', 'archived=include']) {
      const res = edge.ok(await edge.call('GET', `/api/v1/subscribers?${q}`, { token: b.owner.token }), 200);
      expect(res.text).not.toMatch(/Secret|secret@a\.test|Atlantis/);
    }
    const csv = edge.ok(await edge.call('GET', '/api/v1/subscribers?format=csv', { token: b.owner.token }), 200).text;
    expect(csv).toContain('B own');
    expect(csv).not.toContain('secret@a.test');
    // Both tenants number their own subscribers from 1.
    expect(
      edge.ok(await edge.call('GET', '/api/v1/subscribers', { token: b.owner.token }), 200).body.data![0]!
        .subscriber_number,
    ).toBe('SUB-000001');
    expect(edge.ok(await edge.call('GET', `/api/v1/subscribers/${id}`, { token: a.owner.token }), 200).body).toEqual(s);
  });
});

// Issue 13 D5: grace days, minimum balance, payment terms and the tax rate are money terms,
// so changing them needs billing:write; a role with subscribers:write alone gets 403.
describe('money terms need billing:write', () => {
  const terms = (taxRateId: string): Record<string, unknown>[] => [
    { grace_days: 9 },
    { min_balance: -5000 },
    { payment_due_days: 60 },
    { tax_rate_id: taxRateId },
  ];
  const writers: StaffRole[] = ['owner', 'admin', 'operations', 'billing', 'support'];
  const mayBill = new Set<StaffRole>(['owner', 'admin', 'billing']);

  it.each(writers)(
    '%s changes them only with billing:write, on PATCH and on POST; other fields still change',
    async (role) => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const owner = tenant.owner.token;
      const token = role === 'owner' ? owner : (await edge.createStaff(tenant, role)).token;
      const rate = edge.ok(
        await edge.call('POST', '/api/v1/tax-rates', {
          token: owner,
          body: { name: 'VAT', rate: '0.2', mode: 'exclusive' },
        }),
        201,
      ).body;
      const s = edge.ok(
        await edge.call('POST', '/api/v1/subscribers', { token: owner, body: { last_name: 'Terms' } }),
        201,
      ).body;
      for (const patch of terms(String(rate.id))) {
        const res = await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
          token,
          body: { notes: 'with it', ...patch },
        });
        if (mayBill.has(role)) expect(res.status, res.text).toBe(200);
        else expectProblem(res, 403, 'forbidden');
        const created = await edge.call('POST', '/api/v1/subscribers', {
          token,
          body: { last_name: unique('T'), ...patch },
        });
        if (mayBill.has(role)) expect(created.status, created.text).toBe(201);
        else expectProblem(created, 403, 'forbidden');
      }
      const after = edge.ok(await edge.call('GET', `/api/v1/subscribers/${String(s.id)}`, { token: owner }), 200).body;
      if (!mayBill.has(role)) {
        expect(after).toMatchObject({
          grace_days: 0,
          min_balance: 0,
          payment_due_days: 14,
          tax_rate_id: null,
          notes: null,
        });
        // Sending the terms unchanged is not a change, and the rest of a record still saves.
        edge.ok(
          await edge.call('PATCH', `/api/v1/subscribers/${String(s.id)}`, {
            token,
            body: { grace_days: 0, min_balance: 0, notes: 'kept' },
          }),
          200,
        );
      }
    },
  );
});
