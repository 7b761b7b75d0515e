import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { subscribers } from './subscribers.ts';

export const invoiceStatuses = ['draft', 'issued', 'partially_paid', 'overdue', 'paid', 'void', 'written_off'] as const;
export const invoiceKinds = ['recurring', 'plan_change', 'manual'] as const;
export const invoiceLineKinds = [
  'recurring',
  'addon',
  'one_time',
  'setup_fee',
  'discount',
  'proration_credit',
  'proration_charge',
  'change_fee',
  'overage',
  'adjustment',
] as const;
export type InvoiceStatus = (typeof invoiceStatuses)[number];
export type InvoiceKind = (typeof invoiceKinds)[number];
export type InvoiceLineKind = (typeof invoiceLineKinds)[number];

/** A tax applied to one line, as it was when the line was made. */
export type LineTax = {
  tax_rate_id: string;
  name: string;
  rate: string;
  mode: 'exclusive' | 'inclusive';
  compound: boolean;
  amount: number;
};

// Invoices are issued when created (billing runs and plan changes), numbered in the
// creating transaction. `balance_due` is kept in step with allocations, credit-note
// applications and write-offs in the same transaction; the journal is the truth and a
// test checks the two agree.
export const invoices = sqliteTable(
  'invoices',
  {
    id: id(),
    number: text('number').notNull().unique(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    kind: text('kind', { enum: invoiceKinds }).notNull(),
    status: text('status', { enum: invoiceStatuses }).notNull(),
    currency: text('currency').notNull(),
    subtotal: integer('subtotal').notNull(),
    taxTotal: integer('tax_total').notNull(),
    total: integer('total').notNull(),
    balanceDue: integer('balance_due').notNull(),
    periodStart: instant('period_start'),
    periodEnd: instant('period_end'),
    billingRunId: text('billing_run_id'),
    issuedAt: instant('issued_at'),
    dueAt: instant('due_at'),
    paidAt: instant('paid_at'),
    voidedAt: instant('voided_at'),
    writtenOffAt: instant('written_off_at'),
    statusReason: text('status_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('invoices_subscriber').on(t.subscriberId, t.createdAt, t.id),
    // Dunning reads the overdue ones; other statuses are listed by id.
    index('invoices_overdue')
      .on(t.subscriberId)
      .where(sql`status = 'overdue'`),
    // Collections and automatic allocation: open invoices by due date.
    index('invoices_open_due')
      .on(t.subscriberId, t.dueAt)
      .where(sql`status IN ('issued', 'partially_paid', 'overdue')`),
    index('invoices_unpaid_due')
      .on(t.dueAt)
      .where(sql`status IN ('issued', 'partially_paid')`),
  ],
);

/** What a line says and charges, on an invoice or waiting as a pending charge. */
const lineBody = () => ({
  description: text('description').notNull(),
  quantity: integer('quantity').notNull(),
  amount: integer('amount').notNull(),
  taxAmount: integer('tax_amount').notNull(),
  taxes: text('taxes', { mode: 'json' }).$type<LineTax[]>().notNull(),
  periodStart: instant('period_start'),
  periodEnd: instant('period_end'),
});

// `amount` is the line's net (tax excluded; for inclusive rates the net part of the
// price), `tax_amount` its tax, each rounded once. The partial unique indexes are the
// billing run's idempotency: a subscription's period, an add-on's period and a quota
// bucket's overage can each be billed once, whatever runs at the same time.
export const invoiceLines = sqliteTable(
  'invoice_lines',
  {
    id: id(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    position: integer('position').notNull(),
    kind: text('kind', { enum: invoiceLineKinds }).notNull(),
    subscriptionId: text('subscription_id'),
    // What the line bills besides the subscription: an add-on, a quota bucket, a pending charge.
    sourceId: text('source_id'),
    ...lineBody(),
  },
  (t) => [
    index('invoice_lines_invoice').on(t.invoiceId, t.position),
    uniqueIndex('invoice_lines_recurring_period')
      .on(t.subscriptionId, t.periodStart, t.periodEnd)
      .where(sql`kind = 'recurring'`),
    uniqueIndex('invoice_lines_source_period')
      .on(t.sourceId, t.periodStart)
      .where(sql`kind IN ('addon', 'overage')`),
  ],
);

// Charges waiting for the subscriber's next invoice: setup fees, one-time add-ons,
// plan-change lines under `next_cycle` timing or below the minimum invoice amount.
export const pendingCharges = sqliteTable(
  'pending_charges',
  {
    id: id(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    subscriptionId: text('subscription_id'),
    currency: text('currency').notNull(),
    kind: text('kind', { enum: invoiceLineKinds }).notNull(),
    ...lineBody(),
    invoiceLineId: text('invoice_line_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('pending_charges_open')
      .on(t.subscriberId, t.currency)
      .where(sql`invoice_line_id IS NULL`),
  ],
);
