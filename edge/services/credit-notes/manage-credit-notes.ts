import { and, desc, eq, lt } from 'drizzle-orm';
import {
  creditNoteApplications,
  creditNotes,
  journalEntries,
  journalLines,
  type CreditNoteLine,
  type CreditNoteStatus,
} from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { taxLine } from '../billing/tax.ts';
import { findTaxRates } from '../catalog/find-tax-rates.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { creditApplied } from '../invoices/apply-account-credit.ts';
import { findInvoice } from '../invoices/manage-invoices.ts';
import { openInvoiceStatuses, settleInvoice } from '../invoices/settle-invoice.ts';
import { postJournalEntry } from '../ledger/post-journal-entry.ts';
import { nextDocumentNumber } from '../numbering/next-document-number.ts';
import { pageOf } from '../page-of.ts';
import { restoreIfSettled } from '../collections/restore-if-settled.ts';
import { findSubscriber } from '../subscribers/find-subscriber.ts';
import { inTimeWindow, type TimeWindow } from '../time-window.ts';

type CreditNoteRow = typeof creditNotes.$inferSelect;
export const presentCreditNote = (row: CreditNoteRow) => ({
  id: row.id,
  number: row.number,
  subscriber_id: row.subscriberId,
  invoice_id: row.invoiceId,
  currency: row.currency,
  status: row.status,
  reason: row.reason,
  lines: row.lines,
  subtotal: row.subtotal,
  tax_total: row.taxTotal,
  total: row.total,
  remaining: row.remaining,
  issued_at: row.issuedAt?.toISOString() ?? null,
  voided_at: row.voidedAt?.toISOString() ?? null,
  created_at: row.createdAt.toISOString(),
});

export async function findCreditNote(db: TenantReader, id: string): Promise<CreditNoteRow> {
  const [row] = await db.select().from(creditNotes).where(eq(creditNotes.id, id));
  if (!row) throw new AppError('not_found', `no credit note ${id}`);
  return row;
}

export type CreditNoteDraft = {
  subscriberId: string;
  invoiceId: string | null;
  currency: string;
  reason: string;
  lines: CreditNoteLine[];
};

/** Writes a numbered note (draft, or issued with its journal entry) in the caller's transaction. */
export async function insertCreditNote(
  tx: TenantTx,
  draft: CreditNoteDraft,
  issue: boolean,
  at: Date,
): Promise<CreditNoteRow> {
  const subtotal = draft.lines.reduce((sum, line) => sum + line.amount, 0);
  const taxTotal = draft.lines.reduce((sum, line) => sum + line.tax_amount, 0);
  const id = uuidv7(at.getTime());
  const number = await nextDocumentNumber(tx, 'CN');
  const [row] = await tx
    .insert(creditNotes)
    .values({
      id,
      number,
      ...draft,
      status: 'draft',
      subtotal,
      taxTotal,
      total: subtotal + taxTotal,
      remaining: subtotal + taxTotal,
      createdAt: at,
      updatedAt: at,
    })
    .returning();
  return issue ? postIssue(tx, row!, at) : row!;
}

/** Issue: the credit reduces revenue and tax and becomes the customer's credit. */
async function postIssue(tx: TenantTx, note: CreditNoteRow, at: Date): Promise<CreditNoteRow> {
  await postJournalEntry(
    tx,
    {
      kind: 'credit_note.issued',
      memo: `credit note ${note.number}`,
      subscriberId: note.subscriberId,
      currency: note.currency,
      sourceType: 'credit_note',
      sourceId: note.id,
      // A note netting a dearer plan's credit against a cheaper one's charge can carry a
      // negative part (tax when only the new plan is taxed): it then goes to the other side.
      lines: [
        note.subtotal >= 0
          ? { account: 'sales_returns', debit: note.subtotal }
          : { account: 'sales_returns', credit: -note.subtotal },
        note.taxTotal >= 0
          ? { account: 'tax_payable', debit: note.taxTotal }
          : { account: 'tax_payable', credit: -note.taxTotal },
        { account: 'customer_credit', subscriberId: note.subscriberId, credit: note.total },
      ],
    },
    at,
  );
  const [row] = await tx
    .update(creditNotes)
    .set({ status: 'issued', issuedAt: at, updatedAt: at })
    .where(eq(creditNotes.id, note.id))
    .returning();
  await recordDomainEvent(
    tx,
    {
      type: 'credit_note.issued',
      subjectType: 'credit_note',
      subjectId: note.id,
      payload: { number: note.number, subscriber_id: note.subscriberId, total: note.total, currency: note.currency },
    },
    at,
  );
  return row!;
}

export type CreateCreditNoteInput = {
  subscriber_id: string;
  invoice_id?: string | null | undefined;
  currency?: string | undefined;
  reason: string;
  lines: { description: string; amount: number; tax_rate_id?: string | null | undefined }[];
};

/** A draft note; lines are priced as charged (tax added, or included, per the rate's mode). */
export async function createCreditNote({ ctx, input }: { ctx: TenantContext; input: CreateCreditNoteInput }) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, input.subscriber_id);
    let currency = input.currency ?? ctx.tenant.currency;
    if (input.invoice_id) {
      const invoice = await findInvoice(tx, input.invoice_id);
      if (invoice.subscriberId !== subscriber.id)
        throw new AppError('unprocessable', `invoice ${invoice.number} belongs to another subscriber`, {
          errors: [{ path: 'invoice_id', message: 'not this subscriber’s invoice' }],
        });
      if (invoice.status === 'draft' || invoice.status === 'void')
        throw new AppError('invalid_state', `a credit note cannot credit a ${invoice.status} invoice`);
      if (input.currency && input.currency !== invoice.currency)
        throw new AppError('unprocessable', `invoice ${invoice.number} is in ${invoice.currency}`, {
          errors: [{ path: 'currency', message: `must be ${invoice.currency}` }],
        });
      currency = invoice.currency;
    }
    const rateIds = input.lines.flatMap((line) => (line.tax_rate_id ? [line.tax_rate_id] : []));
    const rates = new Map((await findTaxRates(tx, rateIds)).map((rate) => [rate.id, rate]));
    const lines = input.lines.map((line): CreditNoteLine => {
      const taxed = taxLine(line.amount, line.tax_rate_id ? [rates.get(line.tax_rate_id)!] : []);
      return { description: line.description, amount: taxed.net, tax_amount: taxed.tax, taxes: taxed.taxes };
    });
    const note = await insertCreditNote(
      tx,
      { subscriberId: subscriber.id, invoiceId: input.invoice_id ?? null, currency, reason: input.reason, lines },
      false,
      at,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'credit_note.created',
      resource: 'credit_note',
      resourceId: note.id,
      changes: { number: note.number, total: note.total, invoice_id: note.invoiceId },
    });
    return presentCreditNote(note);
  });
}

export async function issueCreditNote({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const note = await findCreditNote(tx, input.id);
    if (note.status !== 'draft') throw new AppError('invalid_state', `a ${note.status} credit note cannot be issued`);
    // As at creation: a void invoice is not owed, so a note tied to it would be credit that can never apply.
    if (note.invoiceId && (await findInvoice(tx, note.invoiceId)).status === 'void')
      throw new AppError('invalid_state', `credit note ${note.number} credits a void invoice`);
    const issued = await postIssue(tx, note, at);
    await appendAuditEvent(tx, ctx, {
      action: 'credit_note.issued',
      resource: 'credit_note',
      resourceId: note.id,
      changes: { number: note.number, total: note.total },
    });
    return presentCreditNote(issued);
  });
}

/**
 * Applies an issued note to an open invoice of the same subscriber and currency; a note
 * tied to an invoice applies only to it. The amount defaults to min(note remaining,
 * invoice balance) (business-rules.md, "Credit notes").
 */
export async function applyCreditNote({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; invoice_id?: string | undefined; amount?: number | undefined };
}) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const note = await findCreditNote(tx, input.id);
    if (note.status !== 'issued' && note.status !== 'partially_applied')
      throw new AppError('invalid_state', `a ${note.status} credit note cannot be applied`);
    const invoiceId = input.invoice_id ?? note.invoiceId;
    if (!invoiceId)
      throw new AppError('validation_failed', 'name the invoice to apply this note to', {
        errors: [{ path: 'invoice_id', message: 'required for a note not tied to an invoice' }],
      });
    if (note.invoiceId && invoiceId !== note.invoiceId)
      throw new AppError('unprocessable', `credit note ${note.number} applies only to its own invoice`, {
        errors: [{ path: 'invoice_id', message: `must be ${note.invoiceId}` }],
      });
    const invoice = await findInvoice(tx, invoiceId);
    if (invoice.subscriberId !== note.subscriberId || invoice.currency !== note.currency) {
      throw new AppError(
        'unprocessable',
        `invoice ${invoice.number} is not the note's subscriber's in ${note.currency}`,
        { errors: [{ path: 'invoice_id', message: 'another subscriber or currency' }] },
      );
    }
    if (!(openInvoiceStatuses as readonly string[]).includes(invoice.status) || invoice.balanceDue === 0)
      throw new AppError('invalid_state', `invoice ${invoice.number} is ${invoice.status} with nothing due`);
    const amount = input.amount ?? Math.min(note.remaining, invoice.balanceDue);
    if (amount <= 0 || amount > note.remaining || amount > invoice.balanceDue) {
      throw new AppError('unprocessable', `at most ${Math.min(note.remaining, invoice.balanceDue)} can be applied`, {
        errors: [{ path: 'amount', message: `must be 1…${Math.min(note.remaining, invoice.balanceDue)}` }],
      });
    }
    await tx
      .insert(creditNoteApplications)
      .values({ id: uuidv7(at.getTime()), creditNoteId: note.id, invoiceId: invoice.id, amount, createdAt: at });
    const remaining = note.remaining - amount;
    const [row] = await tx
      .update(creditNotes)
      .set({ remaining, status: remaining === 0 ? 'applied' : 'partially_applied', updatedAt: at })
      .where(and(eq(creditNotes.id, note.id), eq(creditNotes.remaining, note.remaining)))
      .returning();
    if (!row) throw new AppError('conflict', `credit note ${note.number} changed meanwhile; retry`);
    await settleInvoice(tx, invoice, amount, at);
    await postJournalEntry(
      tx,
      creditApplied(
        note.subscriberId,
        note.currency,
        'credit_note',
        note.id,
        `credit note ${note.number} applied to ${invoice.number}`,
        amount,
      ),
      at,
    );
    const payload = { number: note.number, invoice_id: invoice.id, invoice_number: invoice.number, amount };
    await recordDomainEvent(
      tx,
      { type: 'credit_note.applied', subjectType: 'credit_note', subjectId: note.id, payload },
      at,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'credit_note.applied',
      resource: 'credit_note',
      resourceId: note.id,
      changes: payload,
    });
    await restoreIfSettled(tx, ctx, note.subscriberId, note.currency, at);
    return presentCreditNote(row);
  });
}

/** A draft voids freely; an issued note only while nothing of it was applied (its entry is reversed). */
export async function voidCreditNote({ ctx, input }: { ctx: TenantContext; input: { id: string; reason: string } }) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const note = await findCreditNote(tx, input.id);
    if (note.status !== 'draft' && !(note.status === 'issued' && note.remaining === note.total))
      throw new AppError('invalid_state', `a ${note.status} credit note cannot be voided`);
    if (note.status === 'issued') {
      const [issue] = await tx
        .select()
        .from(journalEntries)
        .where(
          and(
            eq(journalEntries.sourceType, 'credit_note'),
            eq(journalEntries.sourceId, note.id),
            eq(journalEntries.kind, 'credit_note.issued'),
          ),
        );
      const lines = issue ? await tx.select().from(journalLines).where(eq(journalLines.entryId, issue.id)) : [];
      await postJournalEntry(
        tx,
        {
          kind: 'credit_note.voided',
          memo: `void of credit note ${note.number}`,
          subscriberId: note.subscriberId,
          currency: note.currency,
          sourceType: 'credit_note',
          sourceId: note.id,
          reversesEntryId: issue?.id ?? null,
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
      .update(creditNotes)
      .set({ status: 'void', remaining: 0, voidedAt: at, updatedAt: at })
      .where(eq(creditNotes.id, note.id))
      .returning();
    await recordDomainEvent(
      tx,
      {
        type: 'credit_note.voided',
        subjectType: 'credit_note',
        subjectId: note.id,
        payload: { number: note.number, reason: input.reason },
      },
      at,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'credit_note.voided',
      resource: 'credit_note',
      resourceId: note.id,
      changes: { from: note.status, reason: input.reason },
    });
    return presentCreditNote(row!);
  });
}

export type CreditNoteFilter = {
  subscriber_id?: string | undefined;
  status?: CreditNoteStatus | undefined;
} & TimeWindow;

export async function listCreditNotes({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: CreditNoteFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(creditNotes)
    .where(
      and(
        input.subscriber_id ? eq(creditNotes.subscriberId, input.subscriber_id) : undefined,
        input.status ? eq(creditNotes.status, input.status) : undefined,
        inTimeWindow(creditNotes, input),
        input.cursor ? lt(creditNotes.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(creditNotes.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentCreditNote, (row) => row.id);
}

export const getCreditNote = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentCreditNote(await findCreditNote(ctx.db, input.id));
