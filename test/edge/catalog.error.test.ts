import { describe, expect, it } from 'vitest';
import { offerExample } from '../../edge/services/catalog/catalog-input.ts';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  const create = async (path: string, body: Json) =>
    edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), 201).body;
  const count = async (table: string) =>
    Number((await edge.tenantSql(tenant.slug, `SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  const audits = async () =>
    Number(
      (
        await edge.tenantSql(
          tenant.slug,
          "SELECT count(*) AS n FROM audit_events WHERE resource IN ('tax_rate', 'offer', 'addon', 'discount', " +
            "'policy_set', 'billing_settings')",
        )
      ).rows[0]!.n,
    );
  return { edge, tenant, token, create, count, audits };
}

const fieldsOf = (problem: { errors?: { path: string }[] }) => (problem.errors ?? []).map((e) => e.path).sort();

const offer = offerExample;
const usd = (amount: number) => [{ currency: 'USD', amount }];

describe('catalog input errors', () => {
  it('lists each bad field of a tax rate and writes nothing', async () => {
    const { edge, token, count, audits } = await setup();
    const valid = { name: 'VAT', rate: '7.5', mode: 'exclusive' };
    for (const [body, fields] of [
      [{ ...valid, rate: '100.0001' }, ['rate']],
      [{ ...valid, rate: '-1' }, ['rate']],
      [{ ...valid, rate: '7.12345' }, ['rate']],
      [{ ...valid, rate: 7.5 }, ['rate']],
      [{ ...valid, rate: '1e2' }, ['rate']],
      [{ ...valid, rate: '' }, ['rate']],
      [{ ...valid, mode: 'reverse' }, ['mode']],
      [{ ...valid, name: ' ' }, ['name']],
      [{ ...valid, compound: 'yes' }, ['compound']],
      [{ ...valid, country: 'DE' }, ['(body)']],
      [{ rate: '5' }, ['mode', 'name']],
    ] as [Json, string[]][]) {
      expect(
        fieldsOf(
          expectProblem(await edge.call('POST', '/api/v1/tax-rates', { token, body }), 400, 'validation_failed'),
        ),
        JSON.stringify(body),
      ).toEqual(fields);
    }
    expect([await count('tax_rates'), await audits()]).toEqual([0, 0]);
  });

  it('refuses changing a tax rate’s rate, mode or compound, but not a rename', async () => {
    const { edge, token, create } = await setup();
    const rate = await create('tax-rates', { name: 'VAT', rate: '19', mode: 'inclusive' });
    const path = `/api/v1/tax-rates/${String(rate.id)}`;
    for (const body of [{ rate: '16' }, { mode: 'exclusive' }, { compound: true }, { name: 'New', rate: '16' }]) {
      expect(
        expectProblem(await edge.call('PATCH', path, { token, body }), 409, 'invalid_state').detail,
        JSON.stringify(body),
      ).toMatch(/archive it and create a new rate$/);
    }
    expect(edge.ok(await edge.call('GET', path, { token }), 200).body).toEqual(rate);
    edge.ok(await edge.call('PATCH', path, { token, body: { rate: '19.00', name: 'VAT 19' } }), 200);
  });

  it('lists each bad field of an offer and writes nothing', async () => {
    const { edge, token, count, audits } = await setup();
    for (const [body, fields] of [
      [{ ...offer, prices: [] }, ['prices']],
      [{ ...offer, prices: [{ currency: 'usd', amount: 1 }] }, ['prices.0.currency']],
      [{ ...offer, prices: [{ currency: 'US', amount: 1 }] }, ['prices.0.currency']],
      [{ ...offer, prices: [{ currency: 'USD', amount: 1.5 }] }, ['prices.0.amount']],
      [{ ...offer, prices: [{ currency: 'USD', amount: -1 }] }, ['prices.0.amount']],
      [{ ...offer, prices: [{ currency: 'USD', amount: 2 ** 53 }] }, ['prices.0.amount']],
      [{ ...offer, prices: [...usd(1), ...usd(2)] }, ['prices.1.currency']],
      [{ ...offer, prices: [{ currency: 'USD', amount: 1, extra: 1 }] }, ['prices.0']],
      [{ ...offer, overage_per_gb: usd(100) }, ['overage_per_gb']],
      [{ ...offer, included_gb: 10, overage_per_gb: [...usd(1), ...usd(1)] }, ['overage_per_gb.1.currency']],
      [{ ...offer, setup_fee: [{ currency: 'EURO', amount: 1 }] }, ['setup_fee.0.currency']],
      [
        {
          ...offer,
          billing_cycle: 'fortnightly',
          billing_mode: 'credit',
          service_type: 'home',
          access_type: 'satellite',
        },
        ['access_type', 'billing_cycle', 'billing_mode', 'service_type'],
      ],
      [{ ...offer, download_mbps: 0, upload_mbps: 1.5 }, ['download_mbps', 'upload_mbps']],
      [{ ...offer, code: 'has space' }, ['code']],
      [{ ...offer, code: '' }, ['code']],
      [{ ...offer, tax_rate_id: 'vat', policy_set_id: 'std' }, ['policy_set_id', 'tax_rate_id']],
      [{ ...offer, name: undefined, prices: undefined }, ['name', 'prices']],
    ] as [Json, string[]][]) {
      expect(
        fieldsOf(expectProblem(await edge.call('POST', '/api/v1/offers', { token, body }), 400, 'validation_failed')),
        JSON.stringify(body),
      ).toEqual(fields);
    }
    for (const query of [
      'service_type=home',
      'access_type=x',
      'billing_mode=x',
      'archived=all',
      'format=pdf',
      'limit=0',
    ])
      expectProblem(await edge.call('GET', `/api/v1/offers?${query}`, { token }), 400, 'validation_failed');
    expect([await count('offers'), await audits()]).toEqual([0, 0]);
  });

  it('refuses unknown or archived references with 422 naming the field', async () => {
    const { edge, token, create, count } = await setup();
    const archived = await create('tax-rates', { name: 'Old', rate: '5', mode: 'exclusive' });
    expect((await edge.call('DELETE', `/api/v1/tax-rates/${String(archived.id)}`, { token })).status).toBe(204);
    for (const [body, field] of [
      [{ ...offer, tax_rate_id: crypto.randomUUID() }, 'tax_rate_id'],
      [{ ...offer, tax_rate_id: archived.id }, 'tax_rate_id'],
      [{ ...offer, policy_set_id: crypto.randomUUID() }, 'policy_set_id'],
    ] as [Json, string][]) {
      expect(
        fieldsOf(expectProblem(await edge.call('POST', '/api/v1/offers', { token, body }), 422, 'unprocessable')),
      ).toEqual([field]);
    }
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('POST', '/api/v1/addons', {
            token,
            body: { code: 'IP', name: 'IP', charge: 'recurring', prices: usd(1), tax_rate_id: archived.id },
          }),
          422,
          'unprocessable',
        ),
      ),
    ).toEqual(['tax_rate_id']);
    const made = await create('offers', offer);
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('PATCH', `/api/v1/offers/${String(made.id)}`, { token, body: { tax_rate_id: archived.id } }),
          422,
          'unprocessable',
        ),
      ),
    ).toEqual(['tax_rate_id']);
    const settings = await edge.call('PATCH', '/api/v1/billing-settings', {
      token,
      body: { default_tax_rate_ids: [crypto.randomUUID(), archived.id] },
    });
    expect(fieldsOf(expectProblem(settings, 422, 'unprocessable'))).toEqual(['default_tax_rate_ids.0']);
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('PATCH', '/api/v1/billing-settings', {
            token,
            body: { default_policy_set_id: crypto.randomUUID() },
          }),
          422,
          'unprocessable',
        ),
      ),
    ).toEqual(['default_policy_set_id']);
    expect([await count('offers'), await count('addons')]).toEqual([1, 0]);
  });

  it('answers code clashes with 409 and frozen billing terms with 409', async () => {
    const { edge, token, create } = await setup();
    const first = await create('offers', offer);
    const second = await create('offers', { ...offer, code: 'FIBER-200' });
    expect(
      fieldsOf(expectProblem(await edge.call('POST', '/api/v1/offers', { token, body: offer }), 409, 'conflict')),
    ).toEqual(['code']);
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('PATCH', `/api/v1/offers/${String(second.id)}`, { token, body: { code: 'FIBER-100' } }),
          409,
          'conflict',
        ),
      ),
    ).toEqual(['code']);
    // Archived offers keep their code.
    expect((await edge.call('DELETE', `/api/v1/offers/${String(first.id)}`, { token })).status).toBe(204);
    expectProblem(await edge.call('POST', '/api/v1/offers', { token, body: offer }), 409, 'conflict');
    const path = `/api/v1/offers/${String(second.id)}`;
    expect(
      expectProblem(await edge.call('PATCH', path, { token, body: { billing_cycle: 'annual' } }), 409, 'invalid_state')
        .detail,
    ).toContain('billing_cycle');
    expect(
      expectProblem(
        await edge.call('PATCH', path, { token, body: { billing_mode: 'prepaid', name: 'x' } }),
        409,
        'invalid_state',
      ).detail,
    ).toContain('billing_mode');
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('PATCH', path, { token, body: { overage_per_gb: usd(1) } }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['overage_per_gb']);
    edge.ok(await edge.call('PATCH', path, { token, body: { included_gb: 100, overage_per_gb: usd(1) } }), 200);
    expect(
      fieldsOf(
        expectProblem(await edge.call('PATCH', path, { token, body: { included_gb: null } }), 400, 'validation_failed'),
      ),
    ).toEqual(['overage_per_gb']);
    expect(edge.ok(await edge.call('GET', path, { token }), 200).body).toMatchObject({
      name: 'Fiber 100',
      billing_cycle: 'monthly',
      billing_mode: 'postpaid',
      included_gb: 100,
    });

    await create('addons', { code: 'IP', name: 'IP', charge: 'recurring', prices: usd(500) });
    expectProblem(
      await edge.call('POST', '/api/v1/addons', {
        token,
        body: { code: 'IP', name: 'Other', charge: 'one_time', prices: usd(1) },
      }),
      409,
      'conflict',
    );
    await create('discounts', { code: 'D1', name: 'D', kind: 'percent', percent: '5' });
    expectProblem(
      await edge.call('POST', '/api/v1/discounts', {
        token,
        body: { code: 'D1', name: 'D', kind: 'percent', percent: '5' },
      }),
      409,
      'conflict',
    );
    await create('policy-sets', { name: 'Standard' });
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('POST', '/api/v1/policy-sets', { token, body: { name: 'Standard' } }),
          409,
          'conflict',
        ),
      ),
    ).toEqual(['name']);
  });

  it('creates an offer code once under concurrent creations', async () => {
    const { edge, token, count } = await setup();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => edge.call('POST', '/api/v1/offers', { token, body: offer })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(await count('offers')).toBe(1);
  });

  it('lists each bad field of an add-on and a discount', async () => {
    const { edge, token, create, count } = await setup();
    const addon = { code: 'IP', name: 'IP', charge: 'recurring', prices: usd(500) };
    for (const [body, fields] of [
      [{ ...addon, charge: 'monthly' }, ['charge']],
      [{ ...addon, prices: [] }, ['prices']],
      [{ ...addon, prices: undefined }, ['prices']],
    ] as [Json, string[]][]) {
      expect(
        fieldsOf(expectProblem(await edge.call('POST', '/api/v1/addons', { token, body }), 400, 'validation_failed')),
        JSON.stringify(body),
      ).toEqual(fields);
    }
    const discount = { code: 'D', name: 'D', kind: 'percent', percent: '10' };
    for (const [body, fields] of [
      [{ ...discount, percent: '0' }, ['percent']],
      [{ ...discount, percent: '100.5' }, ['percent']],
      [{ ...discount, percent: '10.00001' }, ['percent']],
      [{ ...discount, percent: undefined }, ['percent']],
      [{ ...discount, amounts: usd(100) }, ['amounts']],
      [{ ...discount, kind: 'fixed' }, ['amounts', 'percent']],
      [{ ...discount, kind: 'fixed', percent: undefined, amounts: [] }, ['amounts']],
      [{ ...discount, valid_from: '2031-02-01T00:00:00Z', valid_until: '2031-02-01T00:00:00Z' }, ['valid_until']],
      [{ ...discount, valid_from: '2031-02-01', valid_until: 'tomorrow' }, ['valid_from', 'valid_until']],
      [{ ...discount, max_cycles: 0 }, ['max_cycles']],
      [{ ...discount, kind: 'bogo' }, ['kind']],
    ] as [Json, string[]][]) {
      expect(
        fieldsOf(
          expectProblem(await edge.call('POST', '/api/v1/discounts', { token, body }), 400, 'validation_failed'),
        ),
        JSON.stringify(body),
      ).toEqual(fields);
    }
    const made = await create('discounts', { ...discount, valid_from: '2031-02-01T00:00:00Z' });
    const path = `/api/v1/discounts/${String(made.id)}`;
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('PATCH', path, { token, body: { kind: 'fixed', amounts: usd(1) } }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['percent']);
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('PATCH', path, { token, body: { valid_until: '2031-01-01T00:00:00Z' } }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['valid_until']);
    expect(
      fieldsOf(
        expectProblem(await edge.call('PATCH', path, { token, body: { percent: null } }), 400, 'validation_failed'),
      ),
    ).toEqual(['percent']);
    expect(edge.ok(await edge.call('GET', path, { token }), 200).body).toEqual(made);
    expect([await count('addons'), await count('discounts')]).toEqual([0, 1]);
  });

  it('checks dunning steps and policy numbers, and keeps referenced policy sets', async () => {
    const { edge, token, create, count } = await setup();
    for (const [steps, fields] of [
      [
        [
          { day_offset: 7, action: 'notify' },
          { day_offset: 7, action: 'throttle' },
        ],
        ['dunning_steps.1.day_offset'],
      ],
      [
        [
          { day_offset: 10, action: 'notify' },
          { day_offset: 5, action: 'notify' },
        ],
        ['dunning_steps.1.day_offset'],
      ],
      [
        [
          { day_offset: 1, action: 'suspend' },
          { day_offset: 5, action: 'throttle' },
        ],
        ['dunning_steps.1.action'],
      ],
      [
        [
          { day_offset: 1, action: 'throttle' },
          { day_offset: 5, action: 'throttle' },
        ],
        ['dunning_steps.1.action'],
      ],
      [
        [
          { day_offset: 1, action: 'reject' },
          { day_offset: 2, action: 'notify' },
          { day_offset: 3, action: 'suspend' },
        ],
        ['dunning_steps.2.action'],
      ],
      [[{ day_offset: 366, action: 'notify' }], ['dunning_steps.0.day_offset']],
      [[{ day_offset: -1, action: 'notify' }], ['dunning_steps.0.day_offset']],
      [[{ day_offset: 1.5, action: 'notify' }], ['dunning_steps.0.day_offset']],
      [[{ day_offset: 1, action: 'disconnect' }], ['dunning_steps.0.action']],
    ] as [Json[], string[]][]) {
      expect(
        fieldsOf(
          expectProblem(
            await edge.call('POST', '/api/v1/policy-sets', { token, body: { name: 'P', dunning_steps: steps } }),
            400,
            'validation_failed',
          ),
        ),
        JSON.stringify(steps),
      ).toEqual(fields);
    }
    const bad = {
      name: 'P',
      grace_days: -1,
      prepaid_grace_days: 1.5,
      min_invoice_amount: -5,
      refund_policy: 'cash',
      change_invoice_timing: 'later',
      upgrade_fees: [...usd(1), ...usd(2)],
      proration: 'no',
    };
    expect(
      fieldsOf(
        expectProblem(await edge.call('POST', '/api/v1/policy-sets', { token, body: bad }), 400, 'validation_failed'),
      ),
    ).toEqual([
      'change_invoice_timing',
      'grace_days',
      'min_invoice_amount',
      'prepaid_grace_days',
      'proration',
      'refund_policy',
      'upgrade_fees.1.currency',
    ]);
    expect(await count('policy_sets')).toBe(0);

    const used = await create('policy-sets', { name: 'Used by offer' });
    const fallback = await create('policy-sets', { name: 'Default' });
    const o = await create('offers', { ...offer, policy_set_id: used.id });
    edge.ok(
      await edge.call('PATCH', '/api/v1/billing-settings', { token, body: { default_policy_set_id: fallback.id } }),
      200,
    );
    expectProblem(await edge.call('DELETE', `/api/v1/policy-sets/${String(used.id)}`, { token }), 409, 'invalid_state');
    // An archived offer still holds its policy set (its subscriptions keep billing under it).
    expect((await edge.call('DELETE', `/api/v1/offers/${String(o.id)}`, { token })).status).toBe(204);
    expectProblem(await edge.call('DELETE', `/api/v1/policy-sets/${String(used.id)}`, { token }), 409, 'invalid_state');
    expect(
      expectProblem(
        await edge.call('DELETE', `/api/v1/policy-sets/${String(fallback.id)}`, { token }),
        409,
        'invalid_state',
      ).detail,
    ).toContain('default');
    edge.ok(
      await edge.call('PATCH', '/api/v1/billing-settings', { token, body: { default_policy_set_id: null } }),
      200,
    );
    expect((await edge.call('DELETE', `/api/v1/policy-sets/${String(fallback.id)}`, { token })).status).toBe(204);
    expect(await count('policy_sets')).toBe(1);
  });

  it('checks billing settings', async () => {
    const { edge, token, create, audits } = await setup();
    const rates = [];
    for (let i = 0; i < 6; i++)
      rates.push((await create('tax-rates', { name: `R${i}`, rate: '1', mode: 'exclusive' })).id);
    const before = await audits();
    for (const [body, fields] of [
      [{ default_tax_rate_ids: rates }, ['default_tax_rate_ids']],
      [{ default_tax_rate_ids: [rates[0], rates[0]] }, ['default_tax_rate_ids.1']],
      [{ default_tax_rate_ids: ['vat'] }, ['default_tax_rate_ids.0']],
      [{ enforcement_start_hour: 24, enforcement_end_hour: 0 }, ['enforcement_end_hour', 'enforcement_start_hour']],
      [{ enforcement_start_hour: 10, enforcement_end_hour: 10 }, ['enforcement_end_hour']],
      [{ enforcement_start_hour: 12 }, []],
      [{ throttle_profile: '' }, ['throttle_profile']],
      [{ throttle_profile: null }, ['throttle_profile']],
      [{ currency: 'USD' }, ['(body)']],
    ] as [Json, string[]][]) {
      const res = await edge.call('PATCH', '/api/v1/billing-settings', { token, body });
      if (fields.length === 0) edge.ok(res, 200);
      else expect(fieldsOf(expectProblem(res, 400, 'validation_failed')), JSON.stringify(body)).toEqual(fields);
    }
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('PATCH', '/api/v1/billing-settings', { token, body: { enforcement_end_hour: 11 } }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['enforcement_end_hour']);
    expect(await audits()).toBe(before + 1);
    expect(edge.ok(await edge.call('GET', '/api/v1/billing-settings', { token }), 200).body).toMatchObject({
      default_tax_rate_ids: [],
      enforcement_start_hour: 12,
      enforcement_end_hour: 24,
    });
  });

  it('answers unknown ids with 404 on every verb', async () => {
    const { edge, token } = await setup();
    const id = crypto.randomUUID();
    for (const path of ['tax-rates', 'offers', 'addons', 'discounts', 'policy-sets']) {
      for (const [method, body] of [
        ['GET', undefined],
        ['PATCH', { name: 'x' }],
        ['DELETE', undefined],
      ] as const) {
        expectProblem(
          await edge.call(method, `/api/v1/${path}/${id}`, { token, ...(body ? { body } : {}) }),
          404,
          'not_found',
        );
      }
      expectProblem(await edge.call('GET', `/api/v1/${path}/not-a-uuid`, { token }), 400, 'validation_failed');
    }
  });
});
