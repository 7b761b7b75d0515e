import { and, eq, sql } from 'drizzle-orm';
import { invoices, journalLines } from '../../../db/tenant/index.ts';
import { jsonInteger } from '../../lib/json-integer.ts';
import { exactSum, sumValue } from '../billing/exact-sum.ts';
import type { TenantReader } from '../../context.ts';

export type SubscriberBalance = { currency: string; outstanding: bigint; credit: bigint; overdue: bigint };

/**
 * A subscriber's position in one currency, derived from the journal: `outstanding` is the
 * receivable (invoices issued minus what paid, credited or wrote them off), `credit` the
 * customer credit (unallocated payments, unapplied credit notes); `overdue` is the part
 * of the outstanding on invoices marked overdue.
 */
export async function subscriberBalance(
  db: TenantReader,
  subscriberId: string,
  currency: string,
): Promise<SubscriberBalance> {
  const [sums] = await db
    .select({
      receivable: exactSum(
        sql`case when ${journalLines.account} = 'receivable' then ${journalLines.debit} - ${journalLines.credit} end`,
      ),
      credit: exactSum(
        sql`case when ${journalLines.account} = 'customer_credit' then ${journalLines.credit} - ${journalLines.debit}
          end`,
      ),
    })
    .from(journalLines)
    .where(and(eq(journalLines.subscriberId, subscriberId), eq(journalLines.currency, currency)));
  const [overdue] = await db
    .select({ amount: exactSum(invoices.balanceDue) })
    .from(invoices)
    .where(
      and(eq(invoices.subscriberId, subscriberId), eq(invoices.currency, currency), eq(invoices.status, 'overdue')),
    );
  return {
    currency,
    outstanding: sumValue(sums?.receivable),
    credit: sumValue(sums?.credit),
    overdue: sumValue(overdue?.amount),
  };
}

/** The balance as the API writes it. */
export const presentBalance = (b: SubscriberBalance) => ({
  currency: b.currency,
  outstanding: jsonInteger(b.outstanding),
  credit: jsonInteger(b.credit),
  overdue: jsonInteger(b.overdue),
});
