import type { InvoiceKind, InvoiceLineKind, LineTax } from '../../../db/tenant/index.ts';
import { domainEvents, invoiceLines, invoices } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { postJournalEntries, type JournalLine } from '../ledger/post-journal-entry.ts';
import { nextDocumentNumbers } from '../numbering/next-document-number.ts';

/** A line as computed by its producer: `amount` is the net, `tax_amount` its tax, each rounded once. */
export type InvoiceLineDraft = {
  kind: InvoiceLineKind;
  subscriptionId?: string | null;
  sourceId?: string | null;
  description: string;
  quantity?: number;
  amount: number;
  taxAmount: number;
  taxes: LineTax[];
  periodStart?: Date | null;
  periodEnd?: Date | null;
};

/** The columns a line fills wherever it is written: on an invoice, or as a pending charge. */
export const lineValues = (line: InvoiceLineDraft) => ({
  kind: line.kind,
  description: line.description,
  quantity: line.quantity ?? 1,
  amount: line.amount,
  taxAmount: line.taxAmount,
  taxes: line.taxes,
  periodStart: line.periodStart ?? null,
  periodEnd: line.periodEnd ?? null,
});

export type InvoiceDraft = {
  subscriberId: string;
  currency: string;
  kind: InvoiceKind;
  lines: readonly InvoiceLineDraft[];
  dueAt: Date;
  periodStart?: Date | null;
  periodEnd?: Date | null;
  billingRunId?: string | null;
};

export type IssuedInvoice = { id: string; number: string; subscriberId: string; currency: string; total: number; lineIds: string[] };

// SQLite binds at most 32,766 parameters per statement; invoices have 20 columns, lines 14.
const rowsPerInsert = 400;

async function insertChunked<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += rowsPerInsert) await insert(rows.slice(i, i + rowsPerInsert));
}

/**
 * Issues invoices in the caller's transaction: numbers (one gap-free block), rows, lines,
 * one balanced journal entry each (receivable against revenue and tax) and the
 * `invoice.issued` events. Batch callers (the billing run) pass many drafts at once; the
 * statements are multi-row, so the cost per invoice stays small. Callers audit the action
 * that issued them and apply account credit afterwards (applyAccountCredit).
 */
export async function issueInvoices(tx: TenantTx, drafts: readonly InvoiceDraft[], at: Date): Promise<IssuedInvoice[]> {
  if (drafts.length === 0) return [];
  const numbers = await nextDocumentNumbers(tx, 'INV', drafts.length);
  const issued: IssuedInvoice[] = [];
  const invoiceRows: (typeof invoices.$inferInsert)[] = [];
  const lineRows: (typeof invoiceLines.$inferInsert)[] = [];
  drafts.forEach((draft, i) => {
    const id = uuidv7(at.getTime());
    const subtotal = draft.lines.reduce((sum, line) => sum + line.amount, 0);
    const taxTotal = draft.lines.reduce((sum, line) => sum + line.taxAmount, 0);
    const total = subtotal + taxTotal;
    if (total < 0) throw new Error(`invoice for ${draft.subscriberId} would total ${total}; credits belong on a credit note`);
    invoiceRows.push({
      id,
      number: numbers[i]!,
      subscriberId: draft.subscriberId,
      kind: draft.kind,
      status: total === 0 ? 'paid' : 'issued',
      currency: draft.currency,
      subtotal,
      taxTotal,
      total,
      balanceDue: total,
      periodStart: draft.periodStart ?? null,
      periodEnd: draft.periodEnd ?? null,
      billingRunId: draft.billingRunId ?? null,
      issuedAt: at,
      dueAt: draft.dueAt,
      paidAt: total === 0 ? at : null,
      createdAt: at,
      updatedAt: at,
    });
    const lineIds: string[] = [];
    draft.lines.forEach((line, position) => {
      const lineId = uuidv7(at.getTime());
      lineIds.push(lineId);
      lineRows.push({
        id: lineId,
        invoiceId: id,
        position,
        subscriptionId: line.subscriptionId ?? null,
        sourceId: line.sourceId ?? null,
        ...lineValues(line),
      });
    });
    issued.push({ id, number: numbers[i]!, subscriberId: draft.subscriberId, currency: draft.currency, total, lineIds });
  });
  await insertChunked(invoiceRows, (chunk) => tx.insert(invoices).values(chunk));
  await insertChunked(lineRows, (chunk) => tx.insert(invoiceLines).values(chunk));
  // Credits inside an invoice (a plan change's proration credit) reduce revenue and tax
  // on the same entry: revenue is credited with the net subtotal.
  await postJournalEntries(
    tx,
    issued.map((invoice, i) => {
      const row = invoiceRows[i]!;
      return {
        kind: 'invoice.issued',
        memo: `invoice ${invoice.number}`,
        subscriberId: invoice.subscriberId,
        currency: invoice.currency,
        sourceType: 'invoice',
        sourceId: invoice.id,
        lines: [{ account: 'receivable', subscriberId: invoice.subscriberId, debit: invoice.total }, ...signedLine('revenue', row.subtotal!), ...signedLine('tax_payable', row.taxTotal!)],
      };
    }),
    at,
  );
  const events = issued.map((invoice, i) => ({
    id: uuidv7(at.getTime()),
    type: 'invoice.issued',
    subjectType: 'invoice',
    subjectId: invoice.id,
    payload: { number: invoice.number, subscriber_id: invoice.subscriberId, currency: invoice.currency, total: invoice.total, due_at: invoiceRows[i]!.dueAt!.toISOString() },
    occurredAt: at,
  }));
  await insertChunked(events, (chunk) => tx.insert(domainEvents).values(chunk));
  return issued;
}

/** A credit of `amount` to the account, or a debit when negative. */
const signedLine = (account: 'revenue' | 'tax_payable', amount: number): JournalLine[] => (amount >= 0 ? [{ account, credit: amount }] : [{ account, debit: -amount }]);
