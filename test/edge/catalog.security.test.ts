import { describe, expect, it } from 'vitest';
import { offerExample } from '../../edge/services/catalog/catalog-input.ts';
import { expectProblem, startEdge, type Json, type TestEdge } from '../support/edge-app.ts';

const offer = offerExample;

/** One of each catalog resource, made by `token`; the ids by collection path. */
async function populate(edge: TestEdge, token: string) {
  const create = async (path: string, body: Json) =>
    String(edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), 201).body.id);
  return {
    'tax-rates': await create('tax-rates', { name: 'Secret tax', rate: '5', mode: 'exclusive' }),
    offers: await create('offers', offer),
    addons: await create('addons', {
      code: 'IP',
      name: 'Secret add-on',
      charge: 'recurring',
      prices: [{ currency: 'USD', amount: 1 }],
    }),
    discounts: await create('discounts', { code: 'D', name: 'Secret discount', kind: 'percent', percent: '5' }),
    'policy-sets': await create('policy-sets', { name: 'Secret policy' }),
  };
}

/** Every write route with a valid body (ids from `ids`). */
const writes = (ids: Record<string, string>): [string, string, Json | undefined][] => [
  ['POST', '/api/v1/tax-rates', { name: 'x', rate: '1', mode: 'exclusive' }],
  ['PATCH', `/api/v1/tax-rates/${ids['tax-rates']}`, { name: 'x' }],
  ['DELETE', `/api/v1/tax-rates/${ids['tax-rates']}`, undefined],
  ['POST', '/api/v1/offers', { ...offer, code: 'OTHER' }],
  ['PATCH', `/api/v1/offers/${ids.offers}`, { name: 'x' }],
  ['DELETE', `/api/v1/offers/${ids.offers}`, undefined],
  ['POST', '/api/v1/addons', { code: 'X', name: 'x', charge: 'one_time', prices: [{ currency: 'USD', amount: 1 }] }],
  ['PATCH', `/api/v1/addons/${ids.addons}`, { name: 'x' }],
  ['DELETE', `/api/v1/addons/${ids.addons}`, undefined],
  ['POST', '/api/v1/discounts', { code: 'X', name: 'x', kind: 'percent', percent: '1' }],
  ['PATCH', `/api/v1/discounts/${ids.discounts}`, { name: 'x' }],
  ['DELETE', `/api/v1/discounts/${ids.discounts}`, undefined],
  ['POST', '/api/v1/policy-sets', { name: 'new policy' }],
  ['PATCH', `/api/v1/policy-sets/${ids['policy-sets']}`, { name: 'x' }],
  ['DELETE', `/api/v1/policy-sets/${ids['policy-sets']}`, undefined],
];

const reads = (ids: Record<string, string>) =>
  Object.entries(ids)
    .flatMap(([path, id]) => [`/api/v1/${path}`, `/api/v1/${path}/${id}`, `/api/v1/${path}?format=csv`])
    .concat('/api/v1/billing-settings');

describe('catalog permissions', () => {
  it('lets support and read-only staff read the catalog but not change it', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const ids = await populate(edge, tenant.owner.token);
    for (const role of ['support', 'read_only', 'operations'] as const) {
      const staff = await edge.createStaff(tenant, role);
      for (const path of reads(ids)) edge.ok(await edge.call('GET', path, { token: staff.token }), 200);
      for (const [method, path, body] of writes(ids)) {
        const res = await edge.call(method, path, { token: staff.token, ...(body ? { body } : {}) });
        expect(expectProblem(res, 403, 'forbidden').detail, `${role} ${method} ${path}`).toBe(
          'this action needs the billing:write permission',
        );
      }
      const settings = await edge.call('PATCH', '/api/v1/billing-settings', {
        token: staff.token,
        body: { throttle_profile: 'x' },
      });
      expect(expectProblem(settings, 403, 'forbidden').detail).toBe('this action needs the settings:write permission');
    }
    // Field techs hold no billing permission at all.
    const tech = await edge.createStaff(tenant, 'field_tech');
    expectProblem(await edge.call('GET', '/api/v1/offers', { token: tech.token }), 403, 'forbidden');
    expectProblem(await edge.call('GET', '/api/v1/offers'), 401, 'unauthenticated');
    const names = (
      await edge.tenantSql(
        tenant.slug,
        'SELECT name FROM tax_rates UNION ALL SELECT name FROM offers UNION ALL SELECT name FROM policy_sets',
      )
    ).rows.map((r) => r.name);
    expect(names.sort()).toEqual(['Fiber 100', 'Secret policy', 'Secret tax']);
  });

  it('lets billing staff manage the catalog but not the billing settings', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const billing = await edge.createStaff(tenant, 'billing');
    const ids = await populate(edge, billing.token);
    for (const [method, path, body] of writes(ids))
      expect(
        (await edge.call(method, path, { token: billing.token, ...(body ? { body } : {}) })).status,
        `${method} ${path}`,
      ).toBeLessThan(300);
    expectProblem(
      await edge.call('PATCH', '/api/v1/billing-settings', { token: billing.token, body: { throttle_profile: 'x' } }),
      403,
      'forbidden',
    );
    edge.ok(
      await edge.call('PATCH', '/api/v1/billing-settings', {
        token: tenant.owner.token,
        body: { throttle_profile: 'slow' },
      }),
      200,
    );
  });

  it('holds API keys to their role', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const ids = await populate(edge, tenant.owner.token);
    const readOnly = await edge.createApiKey(tenant.owner.token, 'read_only');
    const billing = await edge.createApiKey(tenant.owner.token, 'billing');
    edge.ok(await edge.call('GET', `/api/v1/offers/${ids.offers}`, { token: readOnly.secret }), 200);
    expectProblem(
      await edge.call('PATCH', `/api/v1/offers/${ids.offers}`, { token: readOnly.secret, body: { name: 'x' } }),
      403,
      'forbidden',
    );
    const created = edge.ok(
      await edge.call('POST', '/api/v1/offers', { token: billing.secret, body: { ...offer, code: 'BY-KEY' } }),
      201,
    ).body;
    const audit = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource_id=${String(created.id)}`, { token: tenant.owner.token }),
      200,
    ).body.data!;
    expect(audit.map((e) => [e.action, e.actor_type, e.actor_id])).toEqual([['offer.created', 'api_key', billing.id]]);
  });
});

describe('catalog isolation', () => {
  it("never shows or changes another tenant's catalog", async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const ids = await populate(edge, a.owner.token);
    edge.ok(
      await edge.call('PATCH', '/api/v1/billing-settings', {
        token: a.owner.token,
        body: { default_tax_rate_ids: [ids['tax-rates']], default_policy_set_id: ids['policy-sets'] },
      }),
      200,
    );
    for (const [path, id] of Object.entries(ids)) {
      for (const [method, body] of [
        ['GET', undefined],
        ['PATCH', { name: 'stolen' }],
        ['DELETE', undefined],
      ] as const) {
        expectProblem(
          await edge.call(method, `/api/v1/${path}/${id}`, { token: b.owner.token, ...(body ? { body } : {}) }),
          404,
          'not_found',
        );
      }
      const query = path === 'policy-sets' ? 'format=csv' : 'archived=include&format=csv';
      const list = await edge.call('GET', `/api/v1/${path}?${query}`, { token: b.owner.token });
      expect(list.text).not.toContain('Secret');
      expect(list.text).not.toContain(id);
    }
    // A's ids are unknown references in B.
    expect(
      expectProblem(
        await edge.call('POST', '/api/v1/offers', {
          token: b.owner.token,
          body: { ...offer, tax_rate_id: ids['tax-rates'] },
        }),
        422,
        'unprocessable',
      ).errors,
    ).toEqual([{ path: 'tax_rate_id', message: 'is not a tax rate of this tenant' }]);
    expectProblem(
      await edge.call('PATCH', '/api/v1/billing-settings', {
        token: b.owner.token,
        body: { default_policy_set_id: ids['policy-sets'] },
      }),
      422,
      'unprocessable',
    );
    expect(
      edge.ok(await edge.call('GET', '/api/v1/billing-settings', { token: b.owner.token }), 200).body,
    ).toMatchObject({ default_tax_rate_ids: [], default_policy_set_id: null });
    // B's own offer with A's code is fine: codes are unique per tenant.
    edge.ok(await edge.call('POST', '/api/v1/offers', { token: b.owner.token, body: offer }), 201);
    for (const [path, id] of Object.entries(ids))
      expect(edge.ok(await edge.call('GET', `/api/v1/${path}/${id}`, { token: a.owner.token }), 200).body.name).toMatch(
        /^(Secret|Fiber)/,
      );
  });
});
