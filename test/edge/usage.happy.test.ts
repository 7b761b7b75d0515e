import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadBillingCatalog } from '../../edge/services/subscriptions/billing-catalog.ts';
import { rateClosedBuckets } from '../../edge/services/usage/rate-overage.ts';
import { resetQuotaHolds } from '../../edge/services/usage/reset-quota-holds.ts';
import { startEdge, unique } from '../support/edge-app.ts';
import { GB, day, feb1, iso, jan1, usageWorld } from '../support/billing.ts';

const gigawords = (n: number, rest: number) => n * 2 ** 32 + rest;

describe('usage records', () => {
  it(
    'counts a batch by username and by subscription id, ' +
      'gigaword-sized, once: the same batch again is all duplicates',
    async () => {
      const edge = await startEdge();
      const w = await usageWorld(edge);
      const offer = await w.offer({ included_gb: 100 });
      const sub = await w.subscribe({ offerId: offer.id });
      const batch = [
        {
          id: 'nas1:s1:1',
          username: sub.username,
          start: iso(jan1 + day),
          end: iso(jan1 + 2 * day),
          input_octets: gigawords(1, 17),
          output_octets: gigawords(3, 5),
        },
        {
          id: 'nas1:s1:2',
          subscription_id: sub.id,
          start: iso(jan1 + 2 * day),
          end: iso(jan1 + 3 * day),
          input_octets: 1_000,
          output_octets: gigawords(2, 0),
        },
      ];
      expect(await w.report(batch)).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
      const used = gigawords(1, 17) + gigawords(3, 5) + 1_000 + gigawords(2, 0);
      expect(used).toBeGreaterThan(2 ** 32);
      const bucket = await w.usage(sub.id);
      expect(bucket).toMatchObject({
        subscription_id: sub.id,
        period_start: iso(jan1),
        period_end: iso(feb1),
        unmetered: false,
        included_bytes: 100 * GB,
        used_bytes: used,
        remaining_bytes: 100 * GB - used,
        warned_80_at: null,
        exhausted_at: null,
      });
      expect(bucket.percent).toBe(Math.floor((used / (100 * GB)) * 10_000) / 100);

      // The same batch again, and a record re-sent with other numbers: nothing changes.
      edge.clock.now += 60_000;
      expect(await w.report(batch)).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
      expect(
        await w.report([
          { ...batch[0], input_octets: 9 * GB },
          { ...batch[0], input_octets: 1 },
        ]),
      ).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
      // Within one batch the first report of an id counts.
      expect(await w.report([w.record('nas1:s1:3', sub, 500), w.record('nas1:s1:3', sub, 9 * GB)])).toEqual({
        accepted: 1,
        duplicates: 1,
        rejected: [],
      });
      expect(await w.usage(sub.id)).toMatchObject({ used_bytes: used + 500, bucket_id: bucket.bucket_id });
      expect(await w.rows('SELECT count(*) AS n FROM quota_buckets')).toEqual([{ n: 1 }]);
    },
  );

  it('keeps the good rows of a batch and reports the bad ones by index', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer();
    const sub = await w.subscribe({ offerId: offer.id });
    const pending = await w.subscribe({ offerId: offer.id, at: null });
    const result = await w.report([
      w.record('ok-1', sub, 1_000),
      w.record('unknown-user', { username: 'nobody@nowhere' }, 1_000),
      w.record('ok-2', { id: sub.id }, 2_000),
      w.record('pending', { username: pending.username! }, 1_000),
      w.record('unknown-sub', { id: crypto.randomUUID() }, 1_000),
    ]);
    expect(result).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [
        { index: 1, id: 'unknown-user', message: 'no username nobody@nowhere' },
        { index: 3, id: 'pending', message: `username ${pending.username} was never activated` },
        { index: 4, id: 'unknown-sub', message: expect.stringMatching(/^no subscription /) },
      ],
    });
    expect((await w.usage(sub.id)).used_bytes).toBe(3_000);
    // A rejected row is not remembered: once its subscription is active it is accepted.
    await w.post(`subscriptions/${pending.id}/activate`, { at: iso(jan1) }, 200);
    expect(await w.report([w.record('pending', { username: pending.username! }, 1_000)])).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
    });
  });

  it(
    'fires 80 %, 90 % and 100 % exactly once each, in order, even when one record jumps from 50 % to 120 %; ' +
      'quota-reset lifts the throttle once',
    async () => {
      const edge = await startEdge();
      const w = await usageWorld(edge);
      edge.ok(
        await edge.call('PATCH', '/api/v1/billing-settings', { token: w.token, body: { throttle_profile: 'fup-1M' } }),
        200,
      );
      const offer = await w.offer();
      const sub = await w.subscribe({ offerId: offer.id });
      edge.clock.now = jan1 + 10 * day;
      expect(await w.report([w.record('r1', sub, 5 * GB)])).toMatchObject({ accepted: 1 });
      expect(await w.events(sub.id, 'usage.')).toEqual([]);
      expect(await w.report([w.record('r2', sub, 7 * GB)])).toMatchObject({ accepted: 1 });
      const period = { period_start: iso(jan1), period_end: iso(feb1), included_bytes: 10 * GB, used_bytes: 12 * GB };
      expect(
        (await w.events(sub.id)).filter((e) => e.type.startsWith('usage.') || e.type === 'subscription.throttled'),
      ).toEqual([
        { type: 'usage.quota_warning', payload: expect.objectContaining({ ...period, percent: 80 }) },
        { type: 'usage.quota_warning', payload: expect.objectContaining({ ...period, percent: 90 }) },
        { type: 'usage.quota_exhausted', payload: expect.objectContaining({ ...period, percent: 100 }) },
        {
          type: 'subscription.throttled',
          payload: expect.objectContaining({
            reason: 'fup',
            action: 'throttle',
            note: expect.stringContaining('"fup-1M"'),
          }),
        },
      ]);
      const now = iso(edge.clock.now);
      expect(await w.usage(sub.id)).toMatchObject({
        used_bytes: 12 * GB,
        percent: 120,
        overage_bytes: 2 * GB,
        remaining_bytes: 0,
        warned_80_at: now,
        warned_90_at: now,
        exhausted_at: now,
        reset_at: null,
      });
      // Throttled, not suspended: the network side applies the throttle profile by CoA.
      const throttled = await w.get(`subscriptions/${sub.id}`);
      expect(throttled).toMatchObject({
        status: 'active',
        open_holds: [expect.objectContaining({ reason: 'fup', action: 'throttle' })],
      });

      // More usage after exhaustion fires nothing again.
      await w.report([w.record('r3', sub, GB)]);
      expect(
        (await w.events(sub.id)).filter((e) => e.type.startsWith('usage.') || e.type.startsWith('subscription.t'))
          .length,
      ).toBe(4);

      // An admin reset lifts the fup hold exactly once.
      edge.clock.now += 3_600_000;
      expect(await w.post(`subscriptions/${sub.id}/quota-reset`, undefined, 200)).toMatchObject({
        restored: true,
        buckets_reset: 1,
        current: { used_bytes: 13 * GB, reset_at: iso(edge.clock.now) },
      });
      expect(await w.post(`subscriptions/${sub.id}/quota-reset`, undefined, 200)).toMatchObject({
        restored: false,
        buckets_reset: 0,
      });
      expect((await w.events(sub.id, 'subscription.restored')).map((e) => e.payload)).toEqual([
        expect.objectContaining({ reason: 'fup', lifted_action: 'throttle' }),
      ]);
      expect((await w.get(`subscriptions/${sub.id}`)).open_holds).toEqual([]);
      // The spent period does not throttle again.
      await w.report([w.record('r4', sub, GB)]);
      expect(await w.events(sub.id, 'subscription.throttled')).toHaveLength(1);
    },
  );

  it('stamps each threshold when crossed in separate batches, and never below it', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer({ included_gb: 1 });
    const sub = await w.subscribe({ offerId: offer.id });
    edge.clock.now = jan1 + 5 * day;
    const steps: [number, string[]][] = [
      [799_999_999, []],
      [1, ['usage.quota_warning']],
      [99_999_999, []],
      [1, ['usage.quota_warning']],
      [99_999_999, []],
      [1, ['usage.quota_exhausted', 'subscription.throttled']],
      [5, []],
    ];
    let n = 0;
    for (const [bytes, expected] of steps) {
      const before = (await w.events(sub.id)).length;
      await w.report([w.record(`step-${++n}`, sub, bytes)]);
      expect(
        (await w.events(sub.id)).slice(before).map((e) => e.type),
        `step ${n}`,
      ).toEqual(expected);
    }
    expect(await w.usage(sub.id)).toMatchObject({ used_bytes: GB + 5, percent: 100 });
  });

  it('prorates the included volume for a mid-period activation', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer({ included_gb: 10 });
    const activation = Date.UTC(2031, 0, 15, 9, 0, 0);
    const sub = await w.subscribe({ offerId: offer.id, at: activation });
    // 16 days 15 hours of a 31-day January: 10 GB × 16.625 / 31, rounded once.
    const included = Math.round((10 * GB * 16.625) / 31);
    expect(included).toBe(5_362_903_226);
    expect(await w.usage(sub.id)).toMatchObject({
      bucket_id: null,
      period_start: iso(jan1),
      period_end: iso(feb1),
      included_bytes: included,
      used_bytes: 0,
      percent: 0,
    });
    // A record ending before activation (a NAS clock a little behind) counts in the first period.
    await w.report([
      w.record('early', sub, 1_000, activation - 60_000),
      w.record('later', sub, 2_000, Date.UTC(2031, 0, 20)),
    ]);
    expect(await w.usage(sub.id)).toMatchObject({
      bucket_id: expect.any(String),
      included_bytes: included,
      used_bytes: 3_000,
    });
    // February is whole.
    expect(await w.usage(sub.id, feb1)).toMatchObject({
      period_start: iso(feb1),
      included_bytes: 10 * GB,
      used_bytes: 0,
    });
  });

  it('counts a record in the period containing its last millisecond; unmetered offers have no thresholds', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const metered = await w.offer();
    const unmetered = await w.offer({ included_gb: null, overage_per_gb: null });
    const sub = await w.subscribe({ offerId: metered.id });
    const free = await w.subscribe({ offerId: unmetered.id });
    edge.clock.now = feb1 + day;
    await w.report([
      w.record('at-boundary', sub, 100, feb1),
      w.record('after-boundary', sub, 7, feb1 + 1),
      w.record('free', free, 50 * GB, feb1),
    ]);
    expect(await w.usage(sub.id, jan1)).toMatchObject({ period_start: iso(jan1), used_bytes: 100 });
    expect(await w.usage(sub.id)).toMatchObject({ period_start: iso(feb1), used_bytes: 7 });
    expect(await w.usage(free.id, jan1)).toMatchObject({
      unmetered: true,
      included_bytes: null,
      used_bytes: 50 * GB,
      percent: null,
      remaining_bytes: null,
      exhausted_at: null,
    });
    expect(await w.events(free.id, 'usage.')).toEqual([]);
  });

  it('a late record that exhausts a closed period records it but does not throttle the current one', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const offer = await w.offer({ included_gb: 1 });
    const sub = await w.subscribe({ offerId: offer.id });
    edge.clock.now = feb1 + 2 * day;
    await w.report([w.record('late', sub, 2 * GB, feb1 - day)]);
    expect((await w.events(sub.id, 'usage.')).map((e) => e.type)).toEqual([
      'usage.quota_warning',
      'usage.quota_warning',
      'usage.quota_exhausted',
    ]);
    expect(await w.events(sub.id, 'subscription.throttled')).toEqual([]);
  });

  it(
    'property: however usage is split, ordered and re-sent, ' + 'the bucket holds the sum of distinct records',
    async () => {
      const edge = await startEdge();
      const w = await usageWorld(edge);
      const offer = await w.offer({ included_gb: null, overage_per_gb: null });
      edge.clock.now = jan1 + 20 * day;
      const records = fc.array(
        fc.record({
          bytes: fc.oneof(fc.nat(10_000), fc.integer({ min: 2 ** 32, max: 2 ** 40 })),
          end: fc.integer({ min: jan1 + 1, max: jan1 + 19 * day }),
        }),
        { minLength: 1, maxLength: 30 },
      );
      const plan = records.chain((rs) =>
        fc.record({
          rs: fc.constant(rs),
          // Each record is sent 1–3 times, in any order, over 1–4 batches, by username or by id.
          copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rs.length, maxLength: rs.length }),
          order: fc.shuffledSubarray([...Array(rs.length * 3).keys()], {
            minLength: rs.length * 3,
            maxLength: rs.length * 3,
          }),
          cuts: fc.array(fc.nat(rs.length * 3), { maxLength: 3 }),
          byId: fc.array(fc.boolean(), { minLength: rs.length, maxLength: rs.length }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(plan, async ({ rs, copies, order, cuts, byId }) => {
          const sub = await w.subscribe({ offerId: offer.id });
          const prefix = unique('p');
          const sends = order
            .filter((slot) => slot % 3 < copies[Math.floor(slot / 3)]!)
            .map((slot) => Math.floor(slot / 3));
          const bounds = [
            0,
            ...[...new Set(cuts)].filter((c) => c > 0 && c < sends.length).sort((a, b) => a - b),
            sends.length,
          ];
          let accepted = 0;
          for (let b = 0; b + 1 < bounds.length; b++) {
            const batch = sends
              .slice(bounds[b], bounds[b + 1])
              .map((i) => w.record(`${prefix}-${i}`, byId[i] ? { id: sub.id } : sub, rs[i]!.bytes, rs[i]!.end));
            const result = await w.report(batch);
            expect(result.rejected).toEqual([]);
            expect(result.accepted + result.duplicates).toBe(batch.length);
            accepted += result.accepted;
          }
          expect(accepted).toBe(rs.length);
          expect((await w.usage(sub.id)).used_bytes).toBe(rs.reduce((sum, r) => sum + r.bytes, 0));
        }),
        { numRuns: 25 },
      );
    },
  );
});

describe('quota reset at a new period', () => {
  it(
    'resetQuotaHolds lifts fup once, stamps reset_at on the spent period, and keeps a hold whose current period is ' +
      'spent',
    async () => {
      const edge = await startEdge();
      const w = await usageWorld(edge);
      const offer = await w.offer({ included_gb: 1 });
      const [a, b] = [await w.subscribe({ offerId: offer.id }), await w.subscribe({ offerId: offer.id })];
      edge.clock.now = jan1 + 20 * day;
      await w.report([w.record('a1', a, 2 * GB), w.record('b1', b, 2 * GB)]);
      // b also spends February's quota before the reset runs.
      edge.clock.now = feb1 + day;
      await w.report([w.record('b2', b, 2 * GB, feb1 + day)]);
      expect(await w.inTransaction((tx) => resetQuotaHolds(tx, [a.id, b.id], new Date(feb1 + day)))).toBe(1);
      expect(await w.inTransaction((tx) => resetQuotaHolds(tx, [a.id, b.id], new Date(feb1 + day)))).toBe(0);
      expect((await w.events(a.id, 'subscription.restored')).map((e) => e.payload.by)).toEqual(['quota_reset']);
      expect(await w.events(b.id, 'subscription.restored')).toEqual([]);
      expect(await w.usage(a.id, jan1)).toMatchObject({ reset_at: iso(feb1 + day) });
      expect(await w.usage(b.id, jan1)).toMatchObject({ reset_at: null });
      expect((await w.get(`subscriptions/${b.id}`)).open_holds).toEqual([expect.objectContaining({ reason: 'fup' })]);
    },
  );
});

describe('overage', () => {
  it('rates a closed period once onto a pending charge the next invoice carries', async () => {
    const edge = await startEdge();
    const w = await usageWorld(edge);
    const rate = await w.post('tax-rates', { name: 'VAT', rate: '10', mode: 'exclusive' });
    const offer = await w.offer({
      included_gb: 10,
      overage_per_gb: [{ currency: 'USD', amount: 250 }],
      tax_rate_id: rate.id,
    });
    const free = await w.offer({ included_gb: 10, overage_per_gb: null });
    const sub = await w.subscribe({ offerId: offer.id });
    const under = await w.subscribe({ offerId: offer.id });
    const unpriced = await w.subscribe({ offerId: free.id });
    edge.clock.now = jan1 + 20 * day;
    // 2.345678901 GB over: 2.345678901 × 2.50 = 5.864… → 586 cents.
    await w.report([
      w.record('o1', sub, 12_345_678_901),
      w.record('u1', under, 9 * GB),
      w.record('f1', unpriced, 20 * GB),
    ]);
    const ids = [sub.id, under.id, unpriced.id];
    const rateAt = async (asOf: number) =>
      w.inTransaction(async (tx) =>
        rateClosedBuckets(tx, {
          catalog: await loadBillingCatalog(tx, new Date(edge.clock.now)),
          subscriptionIds: ids,
          asOf: new Date(asOf),
          now: new Date(edge.clock.now),
          timeZone: 'UTC',
        }),
      );
    // January is still open.
    expect(await rateAt(feb1 - 1)).toBe(0);
    expect(await w.rows('SELECT count(*) AS n FROM quota_buckets WHERE rated_at IS NOT NULL')).toEqual([{ n: 0 }]);
    edge.clock.now = feb1 + 3_600_000;
    expect(await rateAt(feb1)).toBe(1);
    expect(await rateAt(feb1)).toBe(0);
    expect(await w.rows('SELECT count(*) AS n FROM quota_buckets WHERE rated_at IS NULL')).toEqual([{ n: 0 }]);
    const charges = await w.rows(
      'SELECT subscription_id, kind, description, quantity, amount, tax_amount, period_start, period_end, ' +
        "invoice_line_id FROM pending_charges WHERE kind = 'overage'",
    );
    expect(charges).toEqual([
      {
        subscription_id: sub.id,
        kind: 'overage',
        description: 'Data over the included 10 GB, 2031-01-01 – 2031-01-31: 2.35 GB',
        quantity: 1,
        amount: 586,
        tax_amount: 59,
        period_start: jan1,
        period_end: feb1,
        invoice_line_id: null,
      },
    ]);
    expect(await w.usage(sub.id, jan1)).toMatchObject({ rated_at: iso(edge.clock.now), overage_bytes: 2_345_678_901 });

    // The billing run puts it on the subscriber's next invoice.
    edge.clock.now = feb1 + 2 * 3_600_000;
    await w.post('billing-runs', { as_of: iso(feb1 + 3_600_000) });
    const invoices = (await w.get(`invoices?subscriber_id=${sub.subscriberId}&limit=50`)).data!;
    const lines = await Promise.all(
      invoices.map(async (i) =>
        (
          (await w.get(`invoices/${String(i.id)}`)).lines as { kind: string; amount: number; description: string }[]
        ).filter((l) => l.kind === 'overage'),
      ),
    );
    expect(lines.flat()).toEqual([
      expect.objectContaining({
        amount: 586,
        description: 'Data over the included 10 GB, 2031-01-01 – 2031-01-31: 2.35 GB',
      }),
    ]);
  });

  it(
    'the billing run of the next period rates the closed one onto ' + 'its invoice and lifts the fair-usage throttle',
    async () => {
      const edge = await startEdge();
      const w = await usageWorld(edge);
      const offer = await w.offer({ included_gb: 10, overage_per_gb: [{ currency: 'USD', amount: 100 }] });
      const sub = await w.subscribe({ offerId: offer.id });
      await w.post('billing-runs', { as_of: iso(jan1) });
      edge.clock.now = jan1 + 20 * day;
      await w.report([w.record('big', sub, 13 * GB)]);
      expect((await w.get(`subscriptions/${sub.id}`)).open_holds).toEqual([
        expect.objectContaining({ reason: 'fup', action: 'throttle' }),
      ]);
      edge.clock.now = feb1 + 3_600_000;
      await w.post('billing-runs', { as_of: iso(feb1) });
      await w.post('billing-runs', { as_of: iso(feb1) });
      const invoices = (await w.get(`invoices?subscriber_id=${sub.subscriberId}&limit=50`)).data!;
      const lines = (
        await Promise.all(
          invoices.map(
            async (i) =>
              (await w.get(`invoices/${String(i.id)}`)).lines as {
                kind: string;
                amount: number;
                description: string;
                period_start: string;
              }[],
          ),
        )
      ).flat();
      expect(lines.filter((l) => l.kind === 'overage')).toEqual([
        expect.objectContaining({
          amount: 300,
          description: 'Data over the included 10 GB, 2031-01-01 – 2031-01-31: 3.00 GB',
        }),
      ]);
      expect((await w.get(`subscriptions/${sub.id}`)).open_holds).toEqual([]);
      expect((await w.events(sub.id, 'subscription.restored')).map((e) => e.payload.by)).toEqual(['quota_reset']);
      expect(await w.usage(sub.id, jan1)).toMatchObject({
        rated_at: iso(edge.clock.now),
        reset_at: iso(edge.clock.now),
      });
      expect(await w.usage(sub.id)).toMatchObject({ period_start: iso(feb1), used_bytes: 0, exhausted_at: null });
    },
  );
});
