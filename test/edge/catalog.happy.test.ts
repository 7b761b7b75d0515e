import { describe, expect, it } from 'vitest';
import { offerExample } from '../../edge/services/catalog/catalog-input.ts';
import { findOffer, offerPrice } from '../../edge/services/catalog/find-offer.ts';
import { findTaxRates } from '../../edge/services/catalog/find-tax-rates.ts';
import { readBillingSettings } from '../../edge/services/catalog/billing-settings.ts';
import { loadBillingCatalog } from '../../edge/services/subscriptions/billing-catalog.ts';
import { drizzle } from 'drizzle-orm/libsql/web';
import * as tenantSchema from '../../db/tenant/index.ts';
import { startEdge, startTime, type Json } from '../support/edge-app.ts';

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  const create = async (path: string, body: Json) =>
    edge.ok(await edge.call('POST', `/api/v1/${path}`, { token, body }), 201).body;
  const get = async (path: string) => edge.ok(await edge.call('GET', `/api/v1/${path}`, { token }), 200).body;
  const patch = async (path: string, body: Json) =>
    edge.ok(await edge.call('PATCH', `/api/v1/${path}`, { token, body }), 200).body;
  const audit = async (id: unknown) =>
    (await get(`audit-events?resource_id=${String(id)}`)).data!.map((e) => [e.action, e.changes]);
  return { edge, tenant, token, create, get, patch, audit };
}

/** The OpenAPI example offer, priced in euros too. */
const fiber = { ...offerExample, prices: [...offerExample.prices, { currency: 'EUR', amount: 4599 }] };

describe('tax rates', () => {
  it('creates canonical rates, renames them, archives them, with audit entries', async () => {
    const { edge, create, get, patch, audit, token } = await setup();
    const rate = await create('tax-rates', { name: 'State tax', rate: '07.50', mode: 'exclusive' });
    expect(rate).toMatchObject({
      name: 'State tax',
      rate: '7.5',
      mode: 'exclusive',
      compound: false,
      archived_at: null,
      created_at: new Date(startTime).toISOString(),
    });
    expect(await get(`tax-rates/${String(rate.id)}`)).toEqual(rate);
    expect(
      await patch(`tax-rates/${String(rate.id)}`, { name: 'State sales tax', rate: '7.5000', mode: 'exclusive' }),
    ).toMatchObject({ name: 'State sales tax', rate: '7.5' });
    edge.clock.now += 1000;
    expect((await edge.call('DELETE', `/api/v1/tax-rates/${String(rate.id)}`, { token })).status).toBe(204);
    expect((await edge.call('DELETE', `/api/v1/tax-rates/${String(rate.id)}`, { token })).status).toBe(204);
    expect((await get(`tax-rates/${String(rate.id)}`)).archived_at).toBe(new Date(startTime + 1000).toISOString());
    expect(await audit(rate.id)).toEqual([
      ['tax_rate.archived', { name: 'State sales tax' }],
      ['tax_rate.updated', { name: 'State sales tax' }],
      ['tax_rate.created', { name: 'State tax', rate: '7.5', mode: 'exclusive', compound: false }],
    ]);
    const vat = await create('tax-rates', { name: 'VAT', rate: '20', mode: 'inclusive', compound: true });
    edge.clock.now++; // ids order within a millisecond is not defined
    await create('tax-rates', { name: 'Exempt', rate: '0', mode: 'exempt' });
    expect((await get('tax-rates')).data!.map((r) => r.name)).toEqual(['Exempt', 'VAT']);
    expect((await get('tax-rates?archived=only')).data!.map((r) => r.name)).toEqual(['State sales tax']);
    expect((await get('tax-rates?archived=include&mode=inclusive')).data!.map((r) => r.id)).toEqual([vat.id]);
  });
});

describe('offers', () => {
  it('creates, reads, edits, lists, exports and archives offers', async () => {
    const { edge, token, create, get, patch, audit } = await setup();
    const tax = await create('tax-rates', { name: 'VAT', rate: '19', mode: 'inclusive' });
    const policy = await create('policy-sets', { name: 'Residential' });
    const offer = await create('offers', {
      ...fiber,
      tax_rate_id: tax.id,
      policy_set_id: policy.id,
      included_gb: 500,
      overage_per_gb: [{ currency: 'USD', amount: 100 }],
      setup_fee: [{ currency: 'USD', amount: 0 }],
    });
    expect(offer).toMatchObject({
      ...fiber,
      tax_rate_id: tax.id,
      policy_set_id: policy.id,
      included_gb: 500,
      overage_per_gb: [{ currency: 'USD', amount: 100 }],
      setup_fee: [{ currency: 'USD', amount: 0 }],
      archived_at: null,
    });
    expect(await get(`offers/${String(offer.id)}`)).toEqual(offer);
    const path = `offers/${String(offer.id)}`;
    const changed = await patch(path, {
      name: 'Fiber 100 Plus',
      prices: [{ currency: 'USD', amount: 5499 }],
      billing_cycle: 'monthly',
      overage_per_gb: null,
      included_gb: null,
      tax_rate_id: null,
    });
    expect(changed).toMatchObject({
      name: 'Fiber 100 Plus',
      prices: [{ currency: 'USD', amount: 5499 }],
      included_gb: null,
      overage_per_gb: null,
      tax_rate_id: null,
      billing_cycle: 'monthly',
    });
    expect(await patch(path, { name: 'Fiber 100 Plus' })).toEqual(changed); // no change, no audit entry
    const entries = await audit(offer.id);
    expect(entries.map(([action]) => action)).toEqual(['offer.updated', 'offer.created']);
    expect(entries[0]![1]).toEqual({
      name: 'Fiber 100 Plus',
      prices: [{ currency: 'USD', amount: 5499 }],
      tax_rate_id: null,
      included_gb: null,
      overage_per_gb: null,
    });

    edge.clock.now++;
    const wireless = await create('offers', {
      ...fiber,
      code: 'AIR-20',
      name: 'Air 20',
      access_type: 'fixed_wireless',
      billing_mode: 'prepaid',
      billing_cycle: 'weekly',
      download_mbps: 20,
      upload_mbps: 5,
    });
    edge.clock.now++;
    const business = await create('offers', {
      ...fiber,
      code: 'BIZ-1G',
      name: 'Business 1G',
      service_type: 'business',
      download_mbps: 1000,
      upload_mbps: 1000,
    });
    const names = async (query: string) => (await get(`offers?${query}`)).data!.map((o) => o.code);
    expect(await names('')).toEqual(['BIZ-1G', 'AIR-20', 'FIBER-100']);
    expect(await names('service_type=business')).toEqual(['BIZ-1G']);
    expect(await names('access_type=fixed_wireless')).toEqual(['AIR-20']);
    expect(await names('billing_mode=postpaid')).toEqual(['BIZ-1G', 'FIBER-100']);
    const first = await get('offers?limit=2');
    expect(first.data!.map((o) => o.code)).toEqual(['BIZ-1G', 'AIR-20']);
    expect(await names(`limit=2&cursor=${String(first.next_cursor)}`)).toEqual(['FIBER-100']);

    expect((await edge.call('DELETE', `/api/v1/offers/${String(wireless.id)}`, { token })).status).toBe(204);
    expect(await names('')).toEqual(['BIZ-1G', 'FIBER-100']);
    expect(await names('archived=only')).toEqual(['AIR-20']);
    expect(await names('archived=include')).toEqual(['BIZ-1G', 'AIR-20', 'FIBER-100']);
    // Archived offers still read (existing subscriptions keep them).
    expect((await get(`offers/${String(wireless.id)}`)).archived_at).toBe(new Date(edge.clock.now).toISOString());

    const csv = edge.ok(await edge.call('GET', '/api/v1/offers?format=csv&service_type=business', { token }), 200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="offers.csv"');
    const [header, ...rows] = csv.text.trimEnd().split('\r\n');
    expect(header).toBe(
      'code,id,name,service_type,access_type,billing_cycle,billing_mode,prices,tax_rate_id,download_mbps,upload_mbps,' +
        'included_gb,overage_per_gb,setup_fee,policy_set_id,archived_at,created_at,updated_at',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(
      `"BIZ-1G","${String(business.id)}","Business 1G","business","fiber","monthly","postpaid","USD 4999; EUR 4599"`,
    );
  });
});

describe('add-ons and discounts', () => {
  it('manages add-ons', async () => {
    const { edge, token, create, get, patch, audit } = await setup();
    const tax = await create('tax-rates', { name: 'VAT', rate: '19', mode: 'exclusive' });
    const ip = await create('addons', {
      code: 'STATIC-IP',
      name: 'Static IP',
      charge: 'recurring',
      prices: [{ currency: 'USD', amount: 500 }],
      tax_rate_id: tax.id,
    });
    expect(ip).toMatchObject({
      code: 'STATIC-IP',
      charge: 'recurring',
      prices: [{ currency: 'USD', amount: 500 }],
      tax_rate_id: tax.id,
      archived_at: null,
    });
    const install = await create('addons', {
      code: 'INSTALL',
      name: 'Installation',
      charge: 'one_time',
      prices: [{ currency: 'USD', amount: 9900 }],
    });
    expect(await patch(`addons/${String(ip.id)}`, { name: 'Static IPv4', code: 'IPV4' })).toMatchObject({
      name: 'Static IPv4',
      code: 'IPV4',
    });
    expect((await get('addons?charge=one_time')).data!.map((a) => a.id)).toEqual([install.id]);
    expect((await edge.call('DELETE', `/api/v1/addons/${String(install.id)}`, { token })).status).toBe(204);
    expect((await get('addons')).data!.map((a) => a.code)).toEqual(['IPV4']);
    expect((await audit(ip.id)).map(([a]) => a)).toEqual(['addon.updated', 'addon.created']);
    const csv = edge
      .ok(await edge.call('GET', '/api/v1/addons?format=csv&archived=include', { token }), 200)
      .text.trimEnd()
      .split('\r\n');
    expect(csv[0]).toBe('code,id,name,charge,prices,tax_rate_id,archived_at,created_at,updated_at');
    expect(csv).toHaveLength(3);
  });

  it('manages percent and fixed discounts with half-open windows', async () => {
    const { edge, token, create, get, patch, audit } = await setup();
    const percent = await create('discounts', {
      code: 'WELCOME',
      name: 'Welcome',
      kind: 'percent',
      percent: '12.50',
      valid_from: '2031-02-01T00:00:00Z',
      valid_until: '2031-03-01T00:00:00+01:00',
      max_cycles: 3,
    });
    expect(percent).toMatchObject({
      kind: 'percent',
      percent: '12.5',
      amounts: null,
      valid_from: '2031-02-01T00:00:00.000Z',
      valid_until: '2031-02-28T23:00:00.000Z',
      max_cycles: 3,
    });
    const fixed = await create('discounts', {
      code: 'LOYAL',
      name: 'Loyalty',
      kind: 'fixed',
      amounts: [{ currency: 'USD', amount: 1000 }],
    });
    expect(fixed).toMatchObject({
      kind: 'fixed',
      percent: null,
      amounts: [{ currency: 'USD', amount: 1000 }],
      valid_from: null,
      valid_until: null,
      max_cycles: null,
    });
    const switched = await patch(`discounts/${String(percent.id)}`, {
      kind: 'fixed',
      percent: null,
      amounts: [{ currency: 'EUR', amount: 500 }],
      valid_until: null,
    });
    expect(switched).toMatchObject({
      kind: 'fixed',
      percent: null,
      amounts: [{ currency: 'EUR', amount: 500 }],
      valid_until: null,
      valid_from: '2031-02-01T00:00:00.000Z',
    });
    expect((await audit(percent.id))[0]).toEqual([
      'discount.updated',
      { kind: 'fixed', percent: null, amounts: [{ currency: 'EUR', amount: 500 }], valid_until: null },
    ]);
    expect((await edge.call('DELETE', `/api/v1/discounts/${String(fixed.id)}`, { token })).status).toBe(204);
    expect((await get('discounts')).data!.map((d) => d.code)).toEqual(['WELCOME']);
    expect((await get('discounts?archived=only&kind=fixed')).data!.map((d) => d.code)).toEqual(['LOYAL']);
  });
});

describe('policy sets and billing settings', () => {
  it('fills policy defaults, edits and deletes unused policy sets', async () => {
    const { edge, token, create, get, patch, audit } = await setup();
    const standard = await create('policy-sets', { name: 'Standard' });
    expect(standard).toMatchObject({
      name: 'Standard',
      proration: true,
      refund_policy: 'credit',
      change_invoice_timing: 'immediate',
      upgrade_fees: [],
      downgrade_fees: [],
      min_invoice_amount: 0,
      dunning_steps: [
        { day_offset: 7, action: 'notify' },
        { day_offset: 14, action: 'throttle' },
        { day_offset: 21, action: 'suspend' },
        { day_offset: 30, action: 'reject' },
      ],
      grace_days: 0,
      prepaid_grace_days: 3,
      prepaid_deactivation_days: 30,
    });
    const strict = await create('policy-sets', {
      name: 'Business',
      proration: false,
      refund_policy: 'none',
      change_invoice_timing: 'next_cycle',
      upgrade_fees: [{ currency: 'USD', amount: 1500 }],
      min_invoice_amount: 500,
      dunning_steps: [
        { day_offset: 0, action: 'notify' },
        { day_offset: 3, action: 'notify' },
        { day_offset: 10, action: 'suspend' },
        { day_offset: 12, action: 'notify' },
        { day_offset: 40, action: 'reject' },
      ],
      grace_days: 5,
    });
    expect(strict).toMatchObject({
      proration: false,
      refund_policy: 'none',
      change_invoice_timing: 'next_cycle',
      min_invoice_amount: 500,
      grace_days: 5,
    });
    expect(
      await patch(`policy-sets/${String(standard.id)}`, {
        grace_days: 2,
        dunning_steps: [{ day_offset: 10, action: 'reject' }],
      }),
    ).toMatchObject({ grace_days: 2, dunning_steps: [{ day_offset: 10, action: 'reject' }] });
    expect((await get('policy-sets')).data!.map((p) => p.name)).toEqual(['Business', 'Standard']);
    expect((await edge.call('DELETE', `/api/v1/policy-sets/${String(standard.id)}`, { token })).status).toBe(204);
    expect((await edge.call('GET', `/api/v1/policy-sets/${String(standard.id)}`, { token })).status).toBe(404);
    expect((await audit(standard.id)).map(([a]) => a)).toEqual([
      'policy_set.deleted',
      'policy_set.updated',
      'policy_set.created',
    ]);
    expect(
      edge.ok(await edge.call('GET', '/api/v1/policy-sets?format=csv', { token }), 200).text.split('\r\n')[0],
    ).toBe(
      'id,name,proration,refund_policy,change_invoice_timing,upgrade_fees,downgrade_fees,min_invoice_amount,' +
        'dunning_steps,grace_days,prepaid_grace_days,prepaid_deactivation_days,created_at,updated_at',
    );
  });

  it('reads default billing settings, then changes them', async () => {
    const { create, get, patch, audit, tenant, edge } = await setup();
    expect(await get('billing-settings')).toEqual({
      default_tax_rate_ids: [],
      default_policy_set_id: null,
      throttle_profile: 'throttled',
      suspended_profile: null,
      enforcement_start_hour: 0,
      enforcement_end_hour: 24,
      updated_at: new Date(startTime).toISOString(),
    });
    // Reading again does not create a second row or an audit entry.
    await get('billing-settings');
    expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM billing_settings')).rows[0]!.n).toBe(1);
    const [a, b] = [
      await create('tax-rates', { name: 'A', rate: '5', mode: 'exclusive' }),
      await create('tax-rates', { name: 'B', rate: '2', mode: 'exclusive', compound: true }),
    ];
    const policy = await create('policy-sets', { name: 'Default' });
    const settings = await patch('billing-settings', {
      default_tax_rate_ids: [b.id, a.id],
      default_policy_set_id: policy.id,
      suspended_profile: 'walled-garden',
      enforcement_start_hour: 9,
      enforcement_end_hour: 17,
    });
    expect(settings).toMatchObject({
      default_tax_rate_ids: [b.id, a.id],
      default_policy_set_id: policy.id,
      throttle_profile: 'throttled',
      suspended_profile: 'walled-garden',
      enforcement_start_hour: 9,
      enforcement_end_hour: 17,
    });
    expect(await audit('default')).toEqual([
      [
        'billing_settings.updated',
        {
          default_tax_rate_ids: [b.id, a.id],
          default_policy_set_id: policy.id,
          suspended_profile: 'walled-garden',
          enforcement_start_hour: 9,
          enforcement_end_hour: 17,
        },
      ],
    ]);
    expect(await patch('billing-settings', { default_policy_set_id: null, enforcement_end_hour: 24 })).toMatchObject({
      default_policy_set_id: null,
      enforcement_start_hour: 9,
      enforcement_end_hour: 24,
    });
  });
});

describe('lookups for the billing engine', () => {
  it('finds offers, prices, ordered tax rates, settings and the policy that applies', async () => {
    const { edge, tenant, create, patch } = await setup();
    const [a, b] = [
      await create('tax-rates', { name: 'A', rate: '5', mode: 'exclusive' }),
      await create('tax-rates', { name: 'B', rate: '2', mode: 'exclusive' }),
    ];
    const own = await create('policy-sets', { name: 'Own', grace_days: 9 });
    const fallback = await create('policy-sets', { name: 'Fallback', grace_days: 4 });
    const withPolicy = await create('offers', { ...fiber, policy_set_id: own.id });
    const without = await create('offers', { ...fiber, code: 'PLAIN' });

    const lease = await edge.platform.databases.leaseTenant(tenant.slug);
    try {
      const db = drizzle(lease.client, { schema: tenantSchema });
      const offer = await findOffer(db, String(without.id));
      expect(offer.code).toBe('PLAIN');
      expect([offerPrice(offer, 'USD'), offerPrice(offer, 'EUR'), offerPrice(offer, 'GBP')]).toEqual([
        4999,
        4599,
        null,
      ]);
      await expect(findOffer(db, crypto.randomUUID())).rejects.toMatchObject({ code: 'not_found' });
      expect((await findTaxRates(db, [String(b.id), String(a.id)])).map((r) => r.name)).toEqual(['B', 'A']);
      expect(await findTaxRates(db, [])).toEqual([]);
      await expect(findTaxRates(db, [String(a.id), crypto.randomUUID()])).rejects.toMatchObject({ code: 'not_found' });

      // The one policy resolver: the billing catalog's (loaded per transaction, so again after each change).
      const policyFor = async (of: typeof offer | null) =>
        db.transaction(async (tx) => (await loadBillingCatalog(tx, new Date(startTime))).policyFor(of));
      expect(await policyFor(null)).toMatchObject({ id: 'built-in' });
      expect(await policyFor(offer)).toMatchObject({
        id: 'built-in',
        proration: true,
        graceDays: 0,
        prepaidGraceDays: 3,
        prepaidDeactivationDays: 30,
        dunningSteps: [{ day_offset: 7, action: 'notify' }, {}, {}, { day_offset: 30, action: 'reject' }],
      });
      await patch('billing-settings', { default_policy_set_id: fallback.id });
      expect(await policyFor(offer)).toMatchObject({ id: fallback.id, graceDays: 4 });
      expect(await policyFor(null)).toMatchObject({ id: fallback.id });
      expect(await policyFor(await findOffer(db, String(withPolicy.id)))).toMatchObject({ id: own.id, graceDays: 9 });
      expect((await readBillingSettings(db)).defaultPolicySetId).toBe(fallback.id);
      await db.transaction(async (tx) => expect((await readBillingSettings(tx)).throttleProfile).toBe('throttled'));
    } finally {
      lease.release();
    }
  });
});
