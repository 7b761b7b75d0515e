import { and, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { invoices, subscribers } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';

const dayMs = 86_400_000;
const buckets = ['current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90'] as const;
type Bucket = (typeof buckets)[number];

const bucketOf = (daysPastDue: number): Bucket =>
  daysPastDue <= 0 ? 'current' : daysPastDue <= 30 ? 'days_1_30' : daysPastDue <= 60 ? 'days_31_60' : daysPastDue <= 90 ? 'days_61_90' : 'days_over_90';

const emptyBuckets = () => Object.fromEntries(buckets.map((b) => [b, 0])) as Record<Bucket, number>;

/**
 * What was owed at `as_of`, by how long past due: each invoice issued by then counts with
 * its total less the payments and credits applied by then (so a past date gives the
 * past picture), unless it was voided or written off by then.
 */
export async function arAging({ ctx, input }: { ctx: TenantContext; input: { as_of: string } }) {
  const asOf = new Date(input.as_of);
  // Qualified by hand: drizzle leaves columns of a one-table select unqualified, and inside
  // the subqueries an unqualified "id" would be the allocation's own.
  const paid = sql<number>`coalesce((select sum(a."amount") from "payment_allocations" a where a."invoice_id" = "invoices"."id" and a."created_at" <= ${asOf.getTime()}), 0)`;
  const credited = sql<number>`coalesce((select sum(c."amount") from "credit_note_applications" c where c."invoice_id" = "invoices"."id" and c."created_at" <= ${asOf.getTime()}), 0)`;
  const rows = await ctx.db
    .select({ id: invoices.id, subscriberId: invoices.subscriberId, currency: invoices.currency, total: invoices.total, dueAt: invoices.dueAt, voidedAt: invoices.voidedAt, writtenOffAt: invoices.writtenOffAt, paid, credited })
    .from(invoices)
    .where(and(isNotNull(invoices.issuedAt), lte(invoices.issuedAt, asOf), inArray(invoices.status, ['issued', 'partially_paid', 'overdue', 'paid', 'void', 'written_off'])));
  const bySubscriber = new Map<string, { subscriber_id: string; currency: string } & Record<Bucket, number> & { total: number }>();
  const totals = new Map<string, Record<Bucket, number> & { total: number }>();
  for (const row of rows) {
    if ((row.voidedAt && row.voidedAt <= asOf) || (row.writtenOffAt && row.writtenOffAt <= asOf)) continue;
    const open = row.total - row.paid - row.credited;
    if (open <= 0) continue;
    const bucket = bucketOf(row.dueAt ? Math.ceil((asOf.getTime() - row.dueAt.getTime()) / dayMs) : 0);
    const key = `${row.subscriberId}|${row.currency}`;
    const entry = bySubscriber.get(key) ?? { subscriber_id: row.subscriberId, currency: row.currency, ...emptyBuckets(), total: 0 };
    entry[bucket] += open;
    entry.total += open;
    bySubscriber.set(key, entry);
    const total = totals.get(row.currency) ?? { ...emptyBuckets(), total: 0 };
    total[bucket] += open;
    total.total += open;
    totals.set(row.currency, total);
  }
  const ids = [...new Set([...bySubscriber.values()].map((e) => e.subscriber_id))];
  const names = new Map<string, { number: string; display_name: string }>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = await ctx.db.select({ id: subscribers.id, number: subscribers.number, name: subscribers.displayName }).from(subscribers).where(inArray(subscribers.id, ids.slice(i, i + 500)));
    for (const s of chunk) names.set(s.id, { number: s.number, display_name: s.name });
  }
  return {
    as_of: asOf.toISOString(),
    totals: [...totals.entries()].sort().map(([currency, t]) => ({ currency, ...t })),
    subscribers: [...bySubscriber.values()]
      .sort((a, b) => b.total - a.total || a.subscriber_id.localeCompare(b.subscriber_id))
      .map((e) => ({ ...e, subscriber_number: names.get(e.subscriber_id)?.number ?? null, display_name: names.get(e.subscriber_id)?.display_name ?? null })),
  };
}

