import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { invoices, type LineTax } from './invoices.ts';
import { subscribers } from './subscribers.ts';

export const paymentMethods = ['manual', 'cash', 'bank_transfer', 'card'] as const;
export const paymentStatuses = [
  'pending',
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
] as const;
export type PaymentMethod = (typeof paymentMethods)[number];
export type PaymentStatus = (typeof paymentStatuses)[number];

// Money received. What is not allocated to invoices is the subscriber's account credit,
// applied to later invoices oldest payment first. `provider_event_id` (a gateway's event
// or transaction id) is unique, so a webhook delivered twice never pays twice.
export const payments = sqliteTable(
  'payments',
  {
    id: id(),
    number: text('number').notNull().unique(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    method: text('method', { enum: paymentMethods }).notNull(),
    reference: text('reference'),
    status: text('status', { enum: paymentStatuses }).notNull(),
    refundedAmount: integer('refunded_amount').notNull(),
    providerEventId: text('provider_event_id').unique(),
    receivedAt: instant('received_at').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('payments_subscriber').on(t.subscriberId, t.createdAt, t.id)],
);

// Append-only: a refund that takes money back from a paid invoice adds a negative row.
export const paymentAllocations = sqliteTable(
  'payment_allocations',
  {
    id: id(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    amount: integer('amount').notNull(),
    refundId: text('refund_id'),
    createdAt: createdAt(),
  },
  (t) => [index('payment_allocations_payment').on(t.paymentId), index('payment_allocations_invoice').on(t.invoiceId)],
);

export const refunds = sqliteTable(
  'refunds',
  {
    id: id(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    amount: integer('amount').notNull(),
    reason: text('reason'),
    // How much came out of account credit and how much reopened invoices.
    fromCredit: integer('from_credit').notNull(),
    fromInvoices: integer('from_invoices').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('refunds_payment').on(t.paymentId)],
);

/** A credited line as issued: `amount` its net, `tax_amount` its tax. */
export type CreditNoteLine = { description: string; amount: number; tax_amount: number; taxes: LineTax[] };

export const creditNoteStatuses = ['draft', 'issued', 'partially_applied', 'applied', 'void'] as const;
export type CreditNoteStatus = (typeof creditNoteStatuses)[number];

// Credit given back: from a plan-change downgrade, a goodwill gesture, a billing error.
// A note tied to an invoice applies only to it; an untied one is account credit.
export const creditNotes = sqliteTable(
  'credit_notes',
  {
    id: id(),
    number: text('number').notNull().unique(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    invoiceId: text('invoice_id').references(() => invoices.id),
    currency: text('currency').notNull(),
    status: text('status', { enum: creditNoteStatuses }).notNull(),
    reason: text('reason').notNull(),
    lines: text('lines', { mode: 'json' }).$type<CreditNoteLine[]>().notNull(),
    subtotal: integer('subtotal').notNull(),
    taxTotal: integer('tax_total').notNull(),
    total: integer('total').notNull(),
    remaining: integer('remaining').notNull(),
    issuedAt: instant('issued_at'),
    voidedAt: instant('voided_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('credit_notes_subscriber').on(t.subscriberId, t.createdAt, t.id),
    index('credit_notes_invoice')
      .on(t.invoiceId)
      .where(sql`invoice_id IS NOT NULL`),
  ],
);

export const creditNoteApplications = sqliteTable(
  'credit_note_applications',
  {
    id: id(),
    creditNoteId: text('credit_note_id')
      .notNull()
      .references(() => creditNotes.id),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    amount: integer('amount').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('credit_note_applications_note').on(t.creditNoteId),
    index('credit_note_applications_invoice').on(t.invoiceId),
  ],
);

export const ledgerAccounts = [
  'cash',
  'receivable',
  'customer_credit',
  'revenue',
  'sales_returns',
  'tax_payable',
  'bad_debt',
] as const;
export type LedgerAccount = (typeof ledgerAccounts)[number];

// The double-entry journal. Every money movement is one entry whose lines balance
// (Σ debit = Σ credit, per currency). Append-only: triggers refuse UPDATE and DELETE;
// a correction is a new entry that reverses another. Balances are sums over lines:
// receivable and customer_credit lines carry the subscriber they belong to.
export const journalEntries = sqliteTable(
  'journal_entries',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull().unique(),
    kind: text('kind').notNull(),
    memo: text('memo').notNull(),
    subscriberId: text('subscriber_id'),
    currency: text('currency').notNull(),
    // The document that moved the money: invoice, payment, refund, credit_note, …
    sourceType: text('source_type').notNull(),
    sourceId: text('source_id').notNull(),
    reversesEntryId: text('reverses_entry_id'),
    occurredAt: instant('occurred_at').notNull(),
  },
  // An entry is reversed at most once; most entries reverse nothing, so only those are indexed.
  (t) => [
    index('journal_entries_subscriber').on(t.subscriberId, t.seq),
    index('journal_entries_source').on(t.sourceType, t.sourceId),
    uniqueIndex('journal_entries_reverses')
      .on(t.reversesEntryId)
      .where(sql`reverses_entry_id IS NOT NULL`),
  ],
);

export const journalLines = sqliteTable(
  'journal_lines',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    entryId: text('entry_id')
      .notNull()
      .references(() => journalEntries.id),
    account: text('account', { enum: ledgerAccounts }).notNull(),
    subscriberId: text('subscriber_id'),
    currency: text('currency').notNull(),
    debit: integer('debit').notNull(),
    credit: integer('credit').notNull(),
  },
  // The trial balance reads every line anyway; balances read a subscriber's, and only
  // receivable and customer-credit lines name one (revenue and tax lines stay out).
  (t) => [
    index('journal_lines_entry').on(t.entryId),
    index('journal_lines_subscriber_account')
      .on(t.subscriberId, t.account, t.currency)
      .where(sql`subscriber_id IS NOT NULL`),
  ],
);
