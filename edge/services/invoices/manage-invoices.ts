import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import {
  creditNoteApplications,
  invoiceLines,
  invoices,
  journalEntries,
  journalLines,
  paymentAllocations,
  type InvoiceStatus,
} from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { inList } from '../bulk-rows.ts';
import { pageOf } from '../page-of.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { postJournalEntry } from '../ledger/post-journal-entry.ts';
import { restoreIfSettled } from '../collections/restore-if-settled.ts';
import { isoOrNull } from '../../lib/instants.ts';
import { inTimeWindow, type TimeWindow } from '../time-window.ts';

type InvoiceRow = typeof invoices.$inferSelect;
export async function findInvoice(db: TenantReader, id: string): Promise<InvoiceRow> {
  const [row] = await db.select().from(invoices).where(eq(invoices.id, id));
  if (!row) throw new AppError('not_found', `no invoice ${id}`);
  return row;
}

export const presentInvoiceSummary = (row: InvoiceRow) => ({
  id: row.id,
  number: row.number,
  subscriber_id: row.subscriberId,
  kind: row.kind,
  status: row.status,
  currency: row.currency,
  subtotal: row.subtotal,
  tax_total: row.taxTotal,
  total: row.total,
  balance_due: row.balanceDue,
  period_start: isoOrNull(row.periodStart),
  period_end: isoOrNull(row.periodEnd),
  billing_run_id: row.billingRunId,
  issued_at: isoOrNull(row.issuedAt),
  due_at: isoOrNull(row.dueAt),
  paid_at: isoOrNull(row.paidAt),
  voided_at: isoOrNull(row.voidedAt),
  written_off_at: isoOrNull(row.writtenOffAt),
  status_reason: row.statusReason,
  created_at: row.createdAt.toISOString(),
});

/** Invoices with their lines, read in one query for the whole list. */
export async function presentInvoices(db: TenantReader, rows: readonly InvoiceRow[]) {
  const lines = rows.length
    ? await db
        .select()
        .from(invoiceLines)
        .where(
          inList(
            invoiceLines.invoiceId,
            rows.map((row) => row.id),
          ),
        )
        .orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.position))
    : [];
  return rows.map((row) => ({
    ...presentInvoiceSummary(row),
    lines: lines
      .filter((line) => line.invoiceId === row.id)
      .map((line) => ({
        id: line.id,
        kind: line.kind,
        subscription_id: line.subscriptionId,
        description: line.description,
        quantity: line.quantity,
        amount: line.amount,
        tax_amount: line.taxAmount,
        taxes: line.taxes,
        period_start: isoOrNull(line.periodStart),
        period_end: isoOrNull(line.periodEnd),
      })),
  }));
}

export const presentInvoice = async (db: TenantReader, row: InvoiceRow) => (await presentInvoices(db, [row]))[0]!;

export type InvoiceFilter = {
  subscriber_id?: string | undefined;
  status?: InvoiceStatus | undefined;
  number?: string | undefined;
} & TimeWindow;

/** Newest first, each with its lines; the cursor is the id of the last invoice returned. */
export async function listInvoices({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: InvoiceFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(invoices)
    .where(
      and(
        input.subscriber_id ? eq(invoices.subscriberId, input.subscriber_id) : undefined,
        input.status ? eq(invoices.status, input.status) : undefined,
        // The lookup by number (unique): a page of one, or of none.
        input.number ? eq(invoices.number, input.number) : undefined,
        inTimeWindow(invoices, input),
        input.cursor ? lt(invoices.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(invoices.id))
    .limit(input.limit + 1);
  const page = pageOf(
    rows,
    input.limit,
    (row) => row,
    (row) => row.id,
  );
  return { ...page, data: await presentInvoices(ctx.db, page.data) };
}

export const getInvoice = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentInvoice(ctx.db, await findInvoice(ctx.db, input.id));

/** Whether any payment or credit note reached the invoice (net of refunds). */
async function anythingApplied(tx: TenantTx, invoiceId: string) {
  const [paid] = await tx
    .select({ sum: sql<number>`coalesce(sum(${paymentAllocations.amount}), 0)` })
    .from(paymentAllocations)
    .where(eq(paymentAllocations.invoiceId, invoiceId));
  const [credited] = await tx
    .select({ sum: sql<number>`coalesce(sum(${creditNoteApplications.amount}), 0)` })
    .from(creditNoteApplications)
    .where(eq(creditNoteApplications.invoiceId, invoiceId));
  return (paid?.sum ?? 0) !== 0 || (credited?.sum ?? 0) !== 0;
}

/**
 * Voids an invoice nothing was applied to (refund or credit first, otherwise): its issue
 * entry is reversed line by line, never edited. The period stays billed (its unique key
 * stays), so a later billing run does not bill it again: void means "not owed".
 */
export async function voidInvoice({ ctx, input }: { ctx: TenantContext; input: { id: string; reason: string } }) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const invoice = await findInvoice(tx, input.id);
    if (!['draft', 'issued', 'overdue'].includes(invoice.status))
      throw new AppError('invalid_state', `a ${invoice.status} invoice cannot be voided`);
    if (await anythingApplied(tx, invoice.id))
      throw new AppError(
        'invalid_state',
        `invoice ${invoice.number} has payments or credits applied; refund or credit it instead`,
      );
    const [issue] = await tx
      .select()
      .from(journalEntries)
      .where(
        and(
          eq(journalEntries.sourceType, 'invoice'),
          eq(journalEntries.sourceId, invoice.id),
          eq(journalEntries.kind, 'invoice.issued'),
        ),
      );
    if (issue) {
      const lines = await tx.select().from(journalLines).where(eq(journalLines.entryId, issue.id));
      await postJournalEntry(
        tx,
        {
          kind: 'invoice.voided',
          memo: `void of invoice ${invoice.number}`,
          subscriberId: invoice.subscriberId,
          currency: invoice.currency,
          sourceType: 'invoice',
          sourceId: invoice.id,
          reversesEntryId: issue.id,
          lines: lines.map((line) => ({
            account: line.account,
            subscriberId: line.subscriberId,
            debit: line.credit,
            credit: line.debit,
          })),
        },
        at,
      );
    }
    const [row] = await tx
      .update(invoices)
      .set({ status: 'void', balanceDue: 0, voidedAt: at, statusReason: input.reason, updatedAt: at })
      .where(eq(invoices.id, invoice.id))
      .returning();
    await recordDomainEvent(
      tx,
      {
        type: 'invoice.voided',
        subjectType: 'invoice',
        subjectId: invoice.id,
        payload: { number: invoice.number, reason: input.reason },
      },
      at,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'invoice.voided',
      resource: 'invoice',
      resourceId: invoice.id,
      changes: { from: invoice.status, reason: input.reason },
    });
    // A voided overdue invoice is no longer owed: the overdue restore follows as after a payment.
    await restoreIfSettled(tx, ctx, invoice.subscriberId, invoice.currency, at);
    return presentInvoice(tx, row!);
  });
}

/** Writes the unpaid balance off as bad debt (one entry: bad debt against the receivable). */
export async function writeOffInvoice({ ctx, input }: { ctx: TenantContext; input: { id: string; reason: string } }) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const invoice = await findInvoice(tx, input.id);
    if (!['issued', 'partially_paid', 'overdue'].includes(invoice.status) || invoice.balanceDue === 0) {
      throw new AppError(
        'invalid_state',
        `a ${invoice.status} invoice with ${invoice.balanceDue} due cannot be written off`,
      );
    }
    await postJournalEntry(
      tx,
      {
        kind: 'invoice.written_off',
        memo: `write-off of invoice ${invoice.number}`,
        subscriberId: invoice.subscriberId,
        currency: invoice.currency,
        sourceType: 'invoice',
        sourceId: invoice.id,
        lines: [
          { account: 'bad_debt', debit: invoice.balanceDue },
          { account: 'receivable', subscriberId: invoice.subscriberId, credit: invoice.balanceDue },
        ],
      },
      at,
    );
    const [row] = await tx
      .update(invoices)
      .set({ status: 'written_off', balanceDue: 0, writtenOffAt: at, statusReason: input.reason, updatedAt: at })
      .where(eq(invoices.id, invoice.id))
      .returning();
    const payload = { number: invoice.number, amount: invoice.balanceDue, reason: input.reason };
    await recordDomainEvent(
      tx,
      { type: 'invoice.written_off', subjectType: 'invoice', subjectId: invoice.id, payload },
      at,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'invoice.written_off',
      resource: 'invoice',
      resourceId: invoice.id,
      changes: { from: invoice.status, ...payload },
    });
    // Nothing is overdue on it any more: the overdue restore follows as after a payment.
    await restoreIfSettled(tx, ctx, invoice.subscriberId, invoice.currency, at);
    return presentInvoice(tx, row!);
  });
}
