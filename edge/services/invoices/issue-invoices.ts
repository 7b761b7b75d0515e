import type { InvoiceKind, InvoiceLineKind, LineTax } from '../../../db/tenant/index.ts';
import type { invoiceLines, invoices, pendingCharges } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { addLocalDays, startOfLocalDay } from '../billing/calendar.ts';
import { insertFromJson } from '../bulk-rows.ts';
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

/** A pending charge as the line it becomes on the invoice that bills it (`source_id` names the charge). */
export const chargeLine = (charge: typeof pendingCharges.$inferSelect): InvoiceLineDraft => ({
  kind: charge.kind,
  subscriptionId: charge.subscriptionId,
  sourceId: charge.id,
  description: charge.description,
  quantity: charge.quantity,
  amount: charge.amount,
  taxAmount: charge.taxAmount,
  taxes: charge.taxes,
  periodStart: charge.periodStart,
  periodEnd: charge.periodEnd,
});

/**
 * When an invoice issued at `at` falls due: the start of the local day `paymentDueDays`
 * days after the issue day has ended, so the last payment day counts in full.
 */
export const invoiceDueAt = (at: number, paymentDueDays: number, timeZone: string): Date =>
  new Date(addLocalDays(startOfLocalDay(at, timeZone), paymentDueDays + 1, timeZone));

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

export type IssuedInvoice = {
  id: string;
  number: string;
  subscriberId: string;
  currency: string;
  total: number;
  lineIds: string[];
};

const ms = (date: Date | null | undefined) => date?.getTime() ?? null;

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
    if (total < 0)
      throw new Error(`invoice for ${draft.subscriberId} would total ${total}; credits belong on a credit note`);
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
    issued.push({
      id,
      number: numbers[i]!,
      subscriberId: draft.subscriberId,
      currency: draft.currency,
      total,
      lineIds,
    });
  });
  await insertFromJson(
    tx,
    'invoices',
    [
      'id',
      'number',
      'subscriber_id',
      'kind',
      'status',
      'currency',
      'subtotal',
      'tax_total',
      'total',
      'balance_due',
      'period_start',
      'period_end',
      'billing_run_id',
      'issued_at',
      'due_at',
      'paid_at',
      'created_at',
      'updated_at',
    ],
    invoiceRows.map((r) => [
      r.id!,
      r.number,
      r.subscriberId,
      r.kind,
      r.status,
      r.currency,
      r.subtotal!,
      r.taxTotal!,
      r.total!,
      r.balanceDue!,
      ms(r.periodStart),
      ms(r.periodEnd),
      r.billingRunId ?? null,
      ms(r.issuedAt),
      ms(r.dueAt),
      ms(r.paidAt),
      ms(r.createdAt),
      ms(r.updatedAt),
    ]),
  );
  await insertFromJson(
    tx,
    'invoice_lines',
    [
      'id',
      'invoice_id',
      'position',
      'kind',
      'subscription_id',
      'source_id',
      'description',
      'quantity',
      'amount',
      'tax_amount',
      'taxes',
      'period_start',
      'period_end',
    ],
    lineRows.map((r) => [
      r.id!,
      r.invoiceId,
      r.position,
      r.kind,
      r.subscriptionId ?? null,
      r.sourceId ?? null,
      r.description,
      r.quantity!,
      r.amount,
      r.taxAmount,
      JSON.stringify(r.taxes),
      ms(r.periodStart),
      ms(r.periodEnd),
    ]),
  );
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
        lines: [
          { account: 'receivable', subscriberId: invoice.subscriberId, debit: invoice.total },
          ...signedLine('revenue', row.subtotal!),
          ...signedLine('tax_payable', row.taxTotal!),
        ],
      };
    }),
    at,
  );
  await insertFromJson(
    tx,
    'domain_events',
    ['id', 'type', 'subject_type', 'subject_id', 'payload', 'occurred_at'],
    issued.map((invoice, i) => [
      uuidv7(at.getTime()),
      'invoice.issued',
      'invoice',
      invoice.id,
      JSON.stringify({
        number: invoice.number,
        subscriber_id: invoice.subscriberId,
        currency: invoice.currency,
        total: invoice.total,
        due_at: invoiceRows[i]!.dueAt!.toISOString(),
      }),
      at.getTime(),
    ]),
  );
  return issued;
}

/** A credit of `amount` to the account, or a debit when negative. */
const signedLine = (account: 'revenue' | 'tax_payable', amount: number): JournalLine[] =>
  amount >= 0 ? [{ account, credit: amount }] : [{ account, debit: -amount }];
