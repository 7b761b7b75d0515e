import { sql } from 'drizzle-orm';
import type { TenantContext } from '../../context.ts';
import { jsonInteger } from '../../lib/json-integer.ts';
import { sumValue } from '../billing/exact-sum.ts';

const dayMs = 86_400_000;
const buckets = ['current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90'] as const;
type Bucket = (typeof buckets)[number];

type Amounts = Record<Bucket | 'total', bigint>;
const emptyAmounts = (): Amounts => ({
  current: 0n,
  days_1_30: 0n,
  days_31_60: 0n,
  days_61_90: 0n,
  days_over_90: 0n,
  total: 0n,
});
const present = (a: Amounts) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, jsonInteger(v)])) as Record<Bucket | 'total', number>;

/**
 * What was owed at `as_of`, by how long past due: each invoice issued by then counts with
 * its total less the payments and credits applied by then (so a past date gives the
 * past picture), unless it was voided or written off by then. One set-based query: the
 * applications are summed per invoice once, and the database buckets and totals them per
 * subscriber and currency, so only the subscribers owing something come back.
 */
export async function arAging({ ctx, input }: { ctx: TenantContext; input: { as_of: string } }) {
  const asOf = new Date(input.as_of);
  const at = asOf.getTime();
  // A bucket by the time past due (days rounded up): ≤ 0 current, ≤ 30 days 1–30, …
  const bucket = sql.raw(
    `CASE WHEN due_at IS NULL OR ${at} - due_at <= 0 THEN 0 WHEN ${at} - due_at <= ${30 * dayMs} THEN 1 ` +
      `WHEN ${at} - due_at <= ${60 * dayMs} THEN 2 WHEN ${at} - due_at <= ${90 * dayMs} THEN 3 ELSE 4 END`,
  );
  const result = await ctx.db.all<{
    subscriber_id: string;
    currency: string;
    bucket: number;
    open: string;
    number: string | null;
    display_name: string | null;
  }>(sql`
    WITH paid AS (
      SELECT invoice_id, sum(amount) AS amount FROM payment_allocations WHERE created_at <= ${at} GROUP BY invoice_id
    ),
    credited AS (
      SELECT invoice_id, sum(amount) AS amount FROM credit_note_applications
      WHERE created_at <= ${at} GROUP BY invoice_id
    ),
    owed AS (
      SELECT i.subscriber_id, i.currency, i.due_at, i.total - coalesce(p.amount, 0) - coalesce(c.amount, 0) AS open
      FROM invoices i LEFT JOIN paid p ON p.invoice_id = i.id LEFT JOIN credited c ON c.invoice_id = i.id
      WHERE i.issued_at IS NOT NULL AND i.issued_at <= ${at}
        AND i.status IN ('issued', 'partially_paid', 'overdue', 'paid', 'void', 'written_off')
        AND (i.voided_at IS NULL OR i.voided_at > ${at}) AND (i.written_off_at IS NULL OR i.written_off_at > ${at})
    )
    SELECT o.subscriber_id, o.currency, ${bucket} AS bucket, CAST(sum(o.open) AS TEXT) AS open, s.number, s.display_name
    FROM owed o JOIN subscribers s ON s.id = o.subscriber_id
    WHERE o.open > 0
    GROUP BY o.subscriber_id, o.currency, bucket`);
  const bySubscriber = new Map<
    string,
    { subscriber_id: string; currency: string; number: string | null; name: string | null; amounts: Amounts }
  >();
  const totals = new Map<string, Amounts>();
  for (const row of result) {
    const open = sumValue(row.open);
    const bucketName = buckets[Number(row.bucket)]!;
    const key = `${row.subscriber_id}|${row.currency}`;
    const entry = bySubscriber.get(key) ?? {
      subscriber_id: row.subscriber_id,
      currency: row.currency,
      number: row.number,
      name: row.display_name,
      amounts: emptyAmounts(),
    };
    const total = totals.get(row.currency) ?? emptyAmounts();
    for (const amounts of [entry.amounts, total]) {
      amounts[bucketName] += open;
      amounts.total += open;
    }
    bySubscriber.set(key, entry);
    totals.set(row.currency, total);
  }
  const largestFirst = (
    a: { amounts: Amounts; subscriber_id: string },
    b: { amounts: Amounts; subscriber_id: string },
  ) =>
    a.amounts.total === b.amounts.total
      ? a.subscriber_id.localeCompare(b.subscriber_id)
      : a.amounts.total > b.amounts.total
        ? -1
        : 1;
  return {
    as_of: asOf.toISOString(),
    totals: [...totals.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, t]) => ({ currency, ...present(t) })),
    subscribers: [...bySubscriber.values()].sort(largestFirst).map((e) => ({
      subscriber_id: e.subscriber_id,
      currency: e.currency,
      ...present(e.amounts),
      subscriber_number: e.number,
      display_name: e.name,
    })),
  };
}
