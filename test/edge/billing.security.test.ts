import { describe, expect, it } from 'vitest';
import type { StaffRole } from '../../db/tenant/index.ts';
import { expectProblem, startEdge, startTime, type Json } from '../support/edge-app.ts';
import { billedWorld, moneySnapshot } from '../support/billing.ts';

/** A tenant with an invoice, a payment, an issued credit note and a billing run: one of each money id. */
async function moneyTenant(edge: Awaited<ReturnType<typeof startEdge>>) {
  const { w, ada, invoices } = await billedWorld(edge, 2);
  const payment = await w.pay(ada.id, 3_000);
  const note = await w.post('credit-notes', {
    subscriber_id: ada.id,
    reason: 'r',
    lines: [{ description: 'd', amount: 500 }],
  });
  await w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
  const [run] = (await w.get('billing-runs')).data!;
  return { w, ada, invoice: invoices[1]!, payment, note, run: run! };
}

const reads = (t: Awaited<ReturnType<typeof moneyTenant>>): string[] => [
  '/api/v1/invoices',
  `/api/v1/invoices/${String(t.invoice.id)}`,
  '/api/v1/payments',
  `/api/v1/payments/${String(t.payment.id)}`,
  '/api/v1/credit-notes',
  `/api/v1/credit-notes/${String(t.note.id)}`,
  '/api/v1/billing-runs',
  `/api/v1/billing-runs/${String(t.run.id)}`,
  `/api/v1/subscribers/${String(t.ada.id)}/balance`,
  '/api/v1/journal',
  '/api/v1/reports/ar-aging',
  '/api/v1/reports/trial-balance',
];

const writes = (t: Awaited<ReturnType<typeof moneyTenant>>): [string, Json | undefined][] => [
  ['/api/v1/payments', { subscriber_id: t.ada.id, amount: 100, currency: 'USD', method: 'cash' }],
  [`/api/v1/payments/${String(t.payment.id)}/refunds`, { amount: 100 }],
  ['/api/v1/credit-notes', { subscriber_id: t.ada.id, reason: 'r', lines: [{ description: 'd', amount: 100 }] }],
  [`/api/v1/credit-notes/${String(t.note.id)}/apply`, { invoice_id: t.invoice.id, amount: 100 }],
  [`/api/v1/credit-notes/${String(t.note.id)}/void`, { reason: 'r' }],
  [`/api/v1/credit-notes/${String(t.note.id)}/issue`, undefined],
  [`/api/v1/invoices/${String(t.invoice.id)}/void`, { reason: 'r' }],
  [`/api/v1/invoices/${String(t.invoice.id)}/write-off`, { reason: 'r' }],
  ['/api/v1/billing-runs', { as_of: new Date(Date.UTC(2031, 0, 15, 9)).toISOString() }],
];

describe('billing permissions', () => {
  it('support, read_only and operations read the money but cannot move it; field_tech cannot even read', async () => {
    const edge = await startEdge();
    const t = await moneyTenant(edge);
    const roles: StaffRole[] = ['support', 'read_only', 'operations', 'field_tech'];
    const staffs = [];
    for (const role of roles)
      staffs.push({
        role,
        staff: await edge.createStaff(t.w.tenant, role, t.w.token),
        key: await edge.createApiKey(t.w.token, role),
      });
    const before = await moneySnapshot(t.w);
    for (const { role, staff, key } of staffs) {
      for (const path of reads(t)) {
        const res = await edge.call('GET', path, { token: staff.token });
        if (role === 'field_tech') expectProblem(res, 403, 'forbidden');
        else expect(res.status, `${role} GET ${path}: ${res.text}`).toBe(200);
      }
      for (const [path, body] of writes(t))
        expectProblem(
          await edge.call('POST', path, { token: staff.token, ...(body ? { body } : {}) }),
          403,
          'forbidden',
        );
      // An API key with the role is held to the same rules.
      expectProblem(
        await edge.call('POST', '/api/v1/payments', { token: key.secret, body: writes(t)[0]![1] }),
        403,
        'forbidden',
      );
    }
    expect(await moneySnapshot(t.w)).toBe(before);
  });

  it('the billing role records payments, refunds, credit notes, voids, write-offs and billing runs', async () => {
    const edge = await startEdge();
    const t = await moneyTenant(edge);
    const clerk = await edge.createStaff(t.w.tenant, 'billing', t.w.token);
    const post = async (path: string, body: Json | undefined, status: number) =>
      edge.ok(await edge.call('POST', path, { token: clerk.token, ...(body ? { body } : {}) }), status).body;
    const [pay, refund, note, apply] = writes(t);
    await post(pay![0], pay![1], 201);
    await post(refund![0], refund![1], 201);
    const draft = await post(note![0], note![1], 201);
    await post(`/api/v1/credit-notes/${String(draft.id)}/issue`, undefined, 200);
    await post(`/api/v1/credit-notes/${String(draft.id)}/void`, { reason: 'r' }, 200);
    await post(apply![0], apply![1], 200);
    await post(`/api/v1/invoices/${String(t.invoice.id)}/write-off`, { reason: 'r' }, 200);
    const fresh = (await t.w.invoices(t.ada.id))[0]!;
    expect(fresh.status).toBe('partially_paid');
    await post('/api/v1/billing-runs', { as_of: new Date(edge.clock.now).toISOString() }, 201);
    for (const path of reads(t)) expect((await edge.call('GET', path, { token: clerk.token })).status, path).toBe(200);
    await t.w.checkBooks();
  });

  it('another tenant’s money ids are 404 on every money route, and nothing of theirs changes', async () => {
    const edge = await startEdge();
    const a = await moneyTenant(edge);
    // Back to the start, where the platform token that creates tenants is still valid.
    edge.clock.now = startTime;
    const b = await moneyTenant(edge);
    const before = await moneySnapshot(a.w);
    for (const path of reads(a)) {
      if (!/[0-9a-f]{8}-/.test(path)) continue;
      expectProblem(await edge.call('GET', path, { token: b.w.token }), 404, 'not_found');
    }
    for (const [path, body] of writes(a)) {
      if (!/[0-9a-f]{8}-/.test(path)) continue;
      expectProblem(await edge.call('POST', path, { token: b.w.token, ...(body ? { body } : {}) }), 404, 'not_found');
    }
    // A's ids inside B's request bodies are unknown too.
    expectProblem(
      await edge.call('POST', '/api/v1/payments', {
        token: b.w.token,
        body: { subscriber_id: a.ada.id, amount: 100, currency: 'USD', method: 'cash' },
      }),
      404,
      'not_found',
    );
    const bPay = await edge.call('POST', '/api/v1/payments', {
      token: b.w.token,
      body: {
        subscriber_id: b.ada.id,
        amount: 100,
        currency: 'USD',
        method: 'cash',
        allocations: [{ invoice_id: a.invoice.id, amount: 100 }],
      },
    });
    expectProblem(bPay, 422, 'unprocessable');
    expectProblem(
      await edge.call('POST', '/api/v1/credit-notes', {
        token: b.w.token,
        body: {
          subscriber_id: b.ada.id,
          invoice_id: a.invoice.id,
          reason: 'r',
          lines: [{ description: 'd', amount: 1 }],
        },
      }),
      404,
      'not_found',
    );
    expectProblem(
      await edge.call('POST', `/api/v1/credit-notes/${String(b.note.id)}/apply`, {
        token: b.w.token,
        body: { invoice_id: a.invoice.id },
      }),
      404,
      'not_found',
    );
    // Lists filtered by A's subscriber are empty, not A's.
    for (const path of ['invoices', 'payments', 'credit-notes', 'journal'])
      expect((await b.w.get(`${path}?subscriber_id=${String(a.ada.id)}`)).data).toEqual([]);
    expect(await moneySnapshot(a.w)).toBe(before);
  });
});
