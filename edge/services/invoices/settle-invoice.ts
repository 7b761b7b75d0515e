import { eq } from 'drizzle-orm';
import { invoices, type InvoiceStatus } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';

type InvoiceRow = typeof invoices.$inferSelect;

export const openInvoiceStatuses = ['issued', 'partially_paid', 'overdue'] as const satisfies readonly InvoiceStatus[];

/**
 * Moves an invoice's balance by `applied` (positive: a payment or credit reached it;
 * negative: a refund took some back) and sets the status that follows
 * (business-rules.md, "Payments"): 0 due → paid; otherwise overdue stays overdue, and
 * anything applied makes it partially_paid. A refund may reopen a paid invoice by what it
 * took back, never more; the next collections run marks it overdue if it is past due.
 * Records `invoice.paid` when it becomes paid. Returns the updated row.
 */
export async function settleInvoice(tx: TenantTx, invoice: InvoiceRow, applied: number, at: Date): Promise<InvoiceRow> {
  const balanceDue = invoice.balanceDue - applied;
  if (balanceDue < 0 || balanceDue > invoice.total)
    throw new Error(`invoice ${invoice.number}: balance ${balanceDue} outside 0…${invoice.total}`);
  const status: InvoiceStatus =
    balanceDue === 0
      ? 'paid'
      : invoice.status === 'overdue'
        ? 'overdue'
        : balanceDue < invoice.total
          ? 'partially_paid'
          : 'issued';
  const [row] = await tx
    .update(invoices)
    .set({ balanceDue, status, paidAt: balanceDue === 0 ? at : null, updatedAt: at })
    .where(eq(invoices.id, invoice.id))
    .returning();
  if (status === 'paid' && invoice.status !== 'paid') {
    await recordDomainEvent(
      tx,
      {
        type: 'invoice.paid',
        subjectType: 'invoice',
        subjectId: invoice.id,
        payload: { number: invoice.number, subscriber_id: invoice.subscriberId },
      },
      at,
    );
  }
  return row!;
}
