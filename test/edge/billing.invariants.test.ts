// Random sequences of money operations on one tenant, with the books checked after every
// step: each journal entry balances, documents agree with the journal, and each
// subscriber's balance equals what their invoices, payments, credit notes and write-offs
// say it should, computed here from the API's documents.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billingWorld, day, type BillingWorld } from '../support/billing.ts';
import { createTestEdge, expectProblem, startTime, type Json } from '../support/edge-app.ts';

type Op =
  | { k: 'advance'; days: number }
  | { k: 'bill' }
  | { k: 'pay'; who: number; scale: number; explicit: boolean; splits: number[] }
  | { k: 'refund'; pick: number; percent: number | null }
  | {
      k: 'note';
      who: number;
      scale: number;
      tied: boolean;
      pick: number;
      apply: boolean;
      percent: number | null;
      taxed: boolean;
    }
  | { k: 'void'; who: number; pick: number }
  | { k: 'writeOff'; who: number; pick: number };

const who = fc.nat(2);
const pick = fc.nat(50);
const percent = fc.option(fc.integer({ min: 1, max: 100 }), { nil: null });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 45 }) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('bill' as const) }), weight: 3 },
  {
    arbitrary: fc.record({
      k: fc.constant('pay' as const),
      who,
      scale: fc.integer({ min: 1, max: 300 }),
      explicit: fc.boolean(),
      splits: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 4 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ k: fc.constant('refund' as const), pick, percent }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant('note' as const),
      who,
      scale: fc.integer({ min: 1, max: 150 }),
      tied: fc.boolean(),
      pick,
      apply: fc.boolean(),
      percent,
      taxed: fc.boolean(),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ k: fc.constant('void' as const), who, pick }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('writeOff' as const), who, pick }), weight: 1 },
);
const scenario = fc.record({
  subscribers: fc.integer({ min: 2, max: 3 }),
  ops: fc.array(op, { minLength: 10, maxLength: 30 }),
});

const openStatuses = ['issued', 'partially_paid', 'overdue'];
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const num = (v: unknown) => Number(v);

/** `unit` is one price step of the currency (100 cents, 1 yen): amounts are scale × unit. */
async function runScenario(
  currency: string,
  unit: number,
  { subscribers: count, ops }: { subscribers: number; ops: Op[] },
) {
  const edge = await createTestEdge({ API_KEY_RATE_LIMIT: 1_000_000 });
  try {
    const w: BillingWorld = await billingWorld(edge, { currency, timezone: 'UTC' });
    const vat = await w.post('tax-rates', { name: 'VAT', rate: '7.5', mode: 'exclusive' });
    const gst = await w.post('tax-rates', { name: 'GST', rate: '10', mode: 'inclusive' });
    const offers = [
      await w.offer({ prices: [{ currency, amount: 99 * unit }] }),
      await w.offer({ prices: [{ currency, amount: 45 * unit + 1 }], tax_rate_id: vat.id }),
      await w.offer({ billing_cycle: 'weekly', prices: [{ currency, amount: 23 * unit + 7 }], tax_rate_id: gst.id }),
    ];
    const subs: Json[] = [];
    for (let i = 0; i < count; i++) {
      const s = await w.subscriber();
      await w.subscribe(s.id, offers[i % offers.length]!.id, startTime + i * 3_600_000);
      subs.push(s);
    }
    const writtenOff = new Map<unknown, number>();
    let lastAsOf: number | null = null;
    const list = async (path: string) => (await w.get(`${path}&limit=200`)).data!;
    const invoicesOf = (s: Json) => list(`invoices?subscriber_id=${String(s.id)}`);
    // In the order money reaches them: oldest due first, then oldest, then by id.
    const key = (i: Json) => `${String(i.due_at)} ${String(i.created_at)} ${String(i.id)}`;
    const openOf = async (s: Json) =>
      (await invoicesOf(s))
        .filter((i) => openStatuses.includes(String(i.status)) && num(i.balance_due) > 0)
        .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const at = <T>(items: T[], i: number) => items[i % items.length]!;

    async function verify(step: string) {
      await w.checkBooks();
      for (const s of subs) {
        const balance = await w.balance(s.id);
        const invoices = await invoicesOf(s);
        const payments = await list(`payments?subscriber_id=${String(s.id)}`);
        const notes = await list(`credit-notes?subscriber_id=${String(s.id)}`);
        const open = sum(
          invoices.filter((i) => openStatuses.includes(String(i.status))).map((i) => num(i.balance_due)),
        );
        const billed = sum(invoices.filter((i) => i.status !== 'void').map((i) => num(i.total)));
        const paid = sum(payments.flatMap((p) => (p.allocations as Json[]).map((a) => num(a.amount))));
        const live = notes.filter((n) => ['issued', 'partially_applied', 'applied'].includes(String(n.status)));
        const credited = sum(live.map((n) => num(n.total) - num(n.remaining)));
        const credit = sum(payments.map((p) => num(p.unallocated))) + sum(live.map((n) => num(n.remaining)));
        expect(balance.outstanding, `${step}: outstanding = open balances`).toBe(open);
        expect(balance.outstanding, `${step}: outstanding = billed − paid − credited − written off`).toBe(
          billed - paid - credited - (writtenOff.get(s.id) ?? 0),
        );
        expect(balance.credit, `${step}: credit = unallocated payments + unapplied notes`).toBe(credit);
        for (const i of invoices) {
          if (i.status === 'paid') expect(i.paid_at, `${step}: ${String(i.number)} paid_at`).not.toBeNull();
          else expect(i.paid_at, `${step}: ${String(i.number)} paid_at`).toBeNull();
        }
        for (const p of payments)
          expect(num(p.unallocated), `${step}: ${String(p.number)} unallocated`).toBeGreaterThanOrEqual(0);
      }
      if (lastAsOf !== null)
        expect(await w.bill(lastAsOf), `${step}: re-run of ${new Date(lastAsOf).toISOString()}`).toMatchObject({
          invoices_created: 0,
          lines_created: 0,
        });
    }

    for (const [n, o] of ops.entries()) {
      const step = `step ${n} ${JSON.stringify(o)}`;
      switch (o.k) {
        case 'advance':
          edge.clock.now += o.days * day;
          break;
        case 'bill':
          await w.bill(edge.clock.now);
          lastAsOf = edge.clock.now;
          break;
        case 'pay': {
          const s = at(subs, o.who);
          const open = await openOf(s);
          let amount = o.scale * unit;
          if (o.explicit) {
            const allocations = open
              .map((i, j) => ({
                invoice_id: i.id,
                amount: Math.floor((num(i.balance_due) * (o.splits[j] ?? 0)) / 100),
              }))
              .filter((a) => a.amount > 0);
            amount = Math.max(amount, sum(allocations.map((a) => a.amount)));
            const payment = await w.pay(s.id, amount, { allocations });
            expect(payment.unallocated, step).toBe(amount - sum(allocations.map((a) => a.amount)));
          } else {
            const payment = await w.pay(s.id, amount);
            // Oldest due first: every invoice but the last one reached is paid in full.
            const due = sum(open.map((i) => num(i.balance_due)));
            expect(payment.unallocated, step).toBe(Math.max(0, amount - due));
            const reached = payment.allocations as Json[];
            expect(
              reached.map((a) => a.invoice_id),
              step,
            ).toEqual(open.slice(0, reached.length).map((i) => i.id));
            reached.slice(0, -1).forEach((a, j) => expect(a.amount, step).toBe(open[j]!.balance_due));
          }
          break;
        }
        case 'refund': {
          const payments = await list('payments?');
          if (payments.length === 0) break;
          const p = at(payments, o.pick);
          const refundable = num(p.amount) - num(p.refunded_amount);
          const amount = o.percent === null ? undefined : Math.max(1, Math.floor((refundable * o.percent) / 100));
          const owner = subs.find((s) => s.id === p.subscriber_id)!;
          const openBefore = sum((await openOf(owner)).map((i) => num(i.balance_due)));
          const res = await edge.call('POST', `/api/v1/payments/${String(p.id)}/refunds`, {
            token: w.token,
            body: amount === undefined ? {} : { amount },
          });
          if (p.status === 'refunded') {
            expectProblem(res, 409, 'invalid_state');
            break;
          }
          if (res.status === 409) {
            // Only when it would take money back from a written-off invoice.
            expect(res.body.detail, step).toMatch(/written off or void/);
            break;
          }
          edge.ok(res, 201);
          const taken = amount ?? refundable;
          expect(res.body, step).toMatchObject({
            amount: taken,
            from_credit: Math.min(taken, num(p.unallocated)),
            from_invoices: taken - Math.min(taken, num(p.unallocated)),
          });
          // Invoices reopen by exactly what was taken back from them, never by their total.
          expect(sum((await openOf(owner)).map((i) => num(i.balance_due))), step).toBe(
            openBefore + num(res.body.from_invoices),
          );
          break;
        }
        case 'note': {
          const s = at(subs, o.who);
          const candidates = (await invoicesOf(s)).filter((i) => i.status !== 'void');
          const tiedTo = o.tied && candidates.length ? at(candidates, o.pick) : null;
          const line = { description: 'credit', amount: o.scale * unit, ...(o.taxed ? { tax_rate_id: vat.id } : {}) };
          const note = await w.post('credit-notes', {
            subscriber_id: s.id,
            reason: 'random',
            lines: [line],
            ...(tiedTo ? { invoice_id: tiedTo.id } : {}),
          });
          await w.post(`credit-notes/${String(note.id)}/issue`, undefined, 200);
          if (!o.apply) break;
          const open = await openOf(s);
          const target = tiedTo
            ? (open.find((i) => i.id === tiedTo.id) ?? null)
            : open.length
              ? at(open, o.pick)
              : null;
          const res = await edge.call('POST', `/api/v1/credit-notes/${String(note.id)}/apply`, {
            token: w.token,
            body: {
              ...(tiedTo ? {} : target ? { invoice_id: target.id } : {}),
              ...(o.percent !== null && target
                ? {
                    amount: Math.max(
                      1,
                      Math.floor((Math.min(num(note.total), num(target.balance_due)) * o.percent) / 100),
                    ),
                  }
                : {}),
            },
          });
          if (!target) {
            expect([400, 409], step).toContain(res.status);
            break;
          }
          edge.ok(res, 200);
          break;
        }
        case 'void': {
          const s = at(subs, o.who);
          const unpaid = (await invoicesOf(s)).filter(
            (i) => ['issued', 'overdue'].includes(String(i.status)) && i.balance_due === i.total,
          );
          if (unpaid.length === 0) break;
          const target = at(unpaid, o.pick);
          expect(await w.post(`invoices/${String(target.id)}/void`, { reason: 'random' }, 200), step).toMatchObject({
            status: 'void',
            balance_due: 0,
          });
          break;
        }
        case 'writeOff': {
          const s = at(subs, o.who);
          const open = await openOf(s);
          if (open.length === 0) break;
          const target = at(open, o.pick);
          await w.post(`invoices/${String(target.id)}/write-off`, { reason: 'random' }, 200);
          writtenOff.set(s.id, (writtenOff.get(s.id) ?? 0) + num(target.balance_due));
          break;
        }
      }
      await verify(step);
    }
  } finally {
    edge.close();
  }
}

describe('billing invariants under random operations', () => {
  it('USD: the books stay level after every step', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) => runScenario('USD', 100, s)),
      { numRuns: 15 },
    );
  });

  it('JPY (no minor unit): the books stay level after every step', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) => runScenario('JPY', 1, s)),
      { numRuns: 6 },
    );
  });
});
