import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import {
  creditNoteApplications,
  creditNotes,
  invoices,
  paymentAllocations,
  payments,
} from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { postJournalEntries, type JournalEntryInput } from '../ledger/post-journal-entry.ts';
import { openInvoiceStatuses, settleInvoice } from './settle-invoice.ts';

type InvoiceRow = typeof invoices.$inferSelect;

/**
 * The subscriber's open invoices in a currency, in the order money is applied to them
 * (business-rules.md, "Automatic allocation"): oldest due first, undated last, then by
 * creation.
 */
export function openInvoicesOf(tx: TenantTx, subscriberId: string, currency: string): Promise<InvoiceRow[]> {
  return tx
    .select()
    .from(invoices)
    .where(
      and(
        eq(invoices.subscriberId, subscriberId),
        eq(invoices.currency, currency),
        inArray(invoices.status, openInvoiceStatuses),
        gt(invoices.balanceDue, 0),
      ),
    )
    .orderBy(sql`${invoices.dueAt} IS NULL`, asc(invoices.dueAt), asc(invoices.createdAt), asc(invoices.id));
}

/** Splits `amount` over invoices in order, each up to its balance; what is left is returned. */
export function allocateInOrder(
  amount: number,
  open: readonly InvoiceRow[],
): { allocations: { invoice: InvoiceRow; amount: number }[]; remainder: number } {
  const allocations: { invoice: InvoiceRow; amount: number }[] = [];
  let remainder = amount;
  for (const invoice of open) {
    if (remainder === 0) break;
    const take = Math.min(remainder, invoice.balanceDue);
    if (take > 0) allocations.push({ invoice, amount: take });
    remainder -= take;
  }
  return { allocations, remainder };
}

/** Payments' unallocated, unrefunded remainders, oldest payment first. */
export function paymentRemainders(tx: TenantTx, subscriberId: string, currency: string) {
  // Qualified by hand: drizzle leaves columns of a one-table select unqualified, and inside
  // the subqueries an unqualified "id" would be the allocation's own.
  const remaining = sql<number>`"payments"."amount"
    - coalesce((select sum(a."amount") from "payment_allocations" a where a."payment_id" = "payments"."id"), 0)
    - coalesce((select sum(r."amount") from "refunds" r where r."payment_id" = "payments"."id"), 0)`;
  return tx
    .select({ id: payments.id, number: payments.number, remaining })
    .from(payments)
    .where(
      and(
        eq(payments.subscriberId, subscriberId),
        eq(payments.currency, currency),
        inArray(payments.status, ['succeeded', 'partially_refunded']),
        gt(remaining, 0),
      ),
    )
    .orderBy(asc(payments.receivedAt), asc(payments.id));
}

/**
 * Applies the subscriber's account credit (unallocated payments, then untied issued
 * credit notes, oldest first) to their open invoices in `currency`, oldest due first.
 * Each source's application is one balanced entry moving customer credit to the
 * receivable. Returns the amount applied.
 */
export async function applyAccountCredit(
  tx: TenantTx,
  subscriberId: string,
  currency: string,
  at: Date,
): Promise<number> {
  let open = await openInvoicesOf(tx, subscriberId, currency);
  if (open.length === 0) return 0;
  const entries: JournalEntryInput[] = [];
  let applied = 0;
  const take = (amount: number) => {
    const { allocations } = allocateInOrder(amount, open);
    const used = allocations.reduce((sum, a) => sum + a.amount, 0);
    // Later sources see what earlier ones left.
    open = open.map((invoice) => {
      const hit = allocations.find((a) => a.invoice.id === invoice.id);
      return hit ? { ...invoice, balanceDue: invoice.balanceDue - hit.amount } : invoice;
    });
    return { allocations, used };
  };
  const settled = new Map<string, number>();
  for (const payment of await paymentRemainders(tx, subscriberId, currency)) {
    const { allocations, used } = take(payment.remaining);
    if (used === 0) break;
    await tx.insert(paymentAllocations).values(
      allocations.map((a) => ({
        id: uuidv7(at.getTime()),
        paymentId: payment.id,
        invoiceId: a.invoice.id,
        amount: a.amount,
        createdAt: at,
      })),
    );
    for (const a of allocations) settled.set(a.invoice.id, (settled.get(a.invoice.id) ?? 0) + a.amount);
    entries.push(
      creditApplied(subscriberId, currency, 'payment', payment.id, `credit from payment ${payment.number}`, used),
    );
    applied += used;
  }
  const notes = await tx
    .select()
    .from(creditNotes)
    .where(
      and(
        eq(creditNotes.subscriberId, subscriberId),
        eq(creditNotes.currency, currency),
        isNull(creditNotes.invoiceId),
        inArray(creditNotes.status, ['issued', 'partially_applied']),
        gt(creditNotes.remaining, 0),
      ),
    )
    .orderBy(asc(creditNotes.issuedAt), asc(creditNotes.id));
  for (const note of notes) {
    const { allocations, used } = take(note.remaining);
    if (used === 0) break;
    await tx.insert(creditNoteApplications).values(
      allocations.map((a) => ({
        id: uuidv7(at.getTime()),
        creditNoteId: note.id,
        invoiceId: a.invoice.id,
        amount: a.amount,
        createdAt: at,
      })),
    );
    const remaining = note.remaining - used;
    await tx
      .update(creditNotes)
      .set({ remaining, status: remaining === 0 ? 'applied' : 'partially_applied', updatedAt: at })
      .where(eq(creditNotes.id, note.id));
    for (const a of allocations) settled.set(a.invoice.id, (settled.get(a.invoice.id) ?? 0) + a.amount);
    entries.push(
      creditApplied(subscriberId, currency, 'credit_note', note.id, `credit note ${note.number} applied`, used),
    );
    applied += used;
  }
  if (applied === 0) return 0;
  for (const invoice of await tx
    .select()
    .from(invoices)
    .where(inArray(invoices.id, [...settled.keys()]))) {
    await settleInvoice(tx, invoice, settled.get(invoice.id)!, at);
  }
  await postJournalEntries(tx, entries, at);
  return applied;
}

/** Customer credit moved onto the receivable. */
export const creditApplied = (
  subscriberId: string,
  currency: string,
  sourceType: string,
  sourceId: string,
  memo: string,
  amount: number,
): JournalEntryInput => ({
  kind: 'credit.applied',
  memo,
  subscriberId,
  currency,
  sourceType,
  sourceId,
  lines: [
    { account: 'customer_credit', subscriberId, debit: amount },
    { account: 'receivable', subscriberId, credit: amount },
  ],
});
