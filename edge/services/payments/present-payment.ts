import { asc, eq, sql } from 'drizzle-orm';
import { invoices, paymentAllocations, payments, refunds } from '../../../db/tenant/index.ts';
import { AppError } from '../../errors.ts';
import { inList } from '../bulk-rows.ts';
import type { TenantReader } from '../../context.ts';

export type PaymentRow = typeof payments.$inferSelect;

export async function findPayment(db: TenantReader, id: string): Promise<PaymentRow> {
  const [row] = await db.select().from(payments).where(eq(payments.id, id));
  if (!row) throw new AppError('not_found', `no payment ${id}`);
  return row;
}

/**
 * Payments with where their money went: invoices (net of refunds), refunds, and what is left as account credit; two
 * queries for the whole list.
 */
export async function presentPayments(db: TenantReader, rows: readonly PaymentRow[]) {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const allocations = await db
    .select({
      paymentId: paymentAllocations.paymentId,
      invoiceId: paymentAllocations.invoiceId,
      number: invoices.number,
      amount: sql<number>`sum(${paymentAllocations.amount})`,
    })
    .from(paymentAllocations)
    .innerJoin(invoices, eq(invoices.id, paymentAllocations.invoiceId))
    .where(inList(paymentAllocations.paymentId, ids))
    .groupBy(paymentAllocations.paymentId, paymentAllocations.invoiceId)
    .orderBy(asc(sql`min(${paymentAllocations.createdAt})`), asc(invoices.number));
  const refundRows = await db
    .select()
    .from(refunds)
    .where(inList(refunds.paymentId, ids))
    .orderBy(asc(refunds.createdAt), asc(refunds.id));
  return rows.map((row) => {
    const own = allocations.filter((a) => a.paymentId === row.id);
    const ownRefunds = refundRows.filter((r) => r.paymentId === row.id);
    const allocated = own.reduce((sum, a) => sum + a.amount, 0);
    const refunded = ownRefunds.reduce((sum, r) => sum + r.amount, 0);
    return {
      id: row.id,
      number: row.number,
      subscriber_id: row.subscriberId,
      amount: row.amount,
      currency: row.currency,
      method: row.method,
      reference: row.reference,
      status: row.status,
      provider_event_id: row.providerEventId,
      received_at: row.receivedAt.toISOString(),
      allocations: own
        .filter((a) => a.amount !== 0)
        .map((a) => ({ invoice_id: a.invoiceId, invoice_number: a.number, amount: a.amount })),
      unallocated: row.amount - allocated - refunded,
      refunded_amount: refunded,
      refunds: ownRefunds.map(presentRefund),
      created_at: row.createdAt.toISOString(),
    };
  });
}

export const presentPayment = async (db: TenantReader, row: PaymentRow) => (await presentPayments(db, [row]))[0]!;

export const presentRefund = (r: typeof refunds.$inferSelect) => ({
  id: r.id,
  payment_id: r.paymentId,
  amount: r.amount,
  reason: r.reason,
  from_credit: r.fromCredit,
  from_invoices: r.fromInvoices,
  created_at: r.createdAt.toISOString(),
});
