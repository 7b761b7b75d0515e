import { and, eq, sql } from 'drizzle-orm';
import { invoices, journalLines } from '../../../db/tenant/index.ts';
import type { TenantDb, TenantTx } from '../../context.ts';

export type SubscriberBalance = { currency: string; outstanding: number; credit: number; overdue: number };

/**
 * A subscriber's position in one currency, derived from the journal: `outstanding` is the
 * receivable (invoices issued minus what paid, credited or wrote them off), `credit` the
 * customer credit (unallocated payments, unapplied credit notes); `overdue` is the part
 * of the outstanding on invoices marked overdue.
 */
export async function subscriberBalance(db: Pick<TenantDb | TenantTx, 'select'>, subscriberId: string, currency: string): Promise<SubscriberBalance> {
  const [sums] = await db
    .select({
      receivable: sql<number>`coalesce(sum(case when ${journalLines.account} = 'receivable' then ${journalLines.debit} - ${journalLines.credit} end), 0)`,
      credit: sql<number>`coalesce(sum(case when ${journalLines.account} = 'customer_credit' then ${journalLines.credit} - ${journalLines.debit} end), 0)`,
    })
    .from(journalLines)
    .where(and(eq(journalLines.subscriberId, subscriberId), eq(journalLines.currency, currency)));
  const [overdue] = await db
    .select({ amount: sql<number>`coalesce(sum(${invoices.balanceDue}), 0)` })
    .from(invoices)
    .where(and(eq(invoices.subscriberId, subscriberId), eq(invoices.currency, currency), eq(invoices.status, 'overdue')));
  return { currency, outstanding: sums?.receivable ?? 0, credit: sums?.credit ?? 0, overdue: overdue?.amount ?? 0 };
}
