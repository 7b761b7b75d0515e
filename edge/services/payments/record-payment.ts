import { eq, inArray } from 'drizzle-orm';
import { invoices, paymentAllocations, payments, type PaymentMethod } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { allocateInOrder, openInvoicesOf } from '../invoices/apply-account-credit.ts';
import { openInvoiceStatuses, settleInvoice } from '../invoices/settle-invoice.ts';
import { postJournalEntry } from '../ledger/post-journal-entry.ts';
import { nextDocumentNumber } from '../numbering/next-document-number.ts';
import { findSubscriber } from '../subscribers/find-subscriber.ts';
import { restoreIfSettled } from '../collections/restore-if-settled.ts';
import { findPayment, presentPayment } from './present-payment.ts';

export type RecordPaymentInput = {
  subscriber_id: string;
  amount: number;
  currency: string;
  method: PaymentMethod;
  reference?: string | null | undefined;
  received_at?: string | undefined;
  provider_event_id?: string | null | undefined;
  allocations?: { invoice_id: string; amount: number }[] | undefined;
};

/**
 * Records money received, in one transaction: the payment (PAY- number), its allocations
 * (as given, or automatically to open invoices oldest due first), the invoices' new
 * balances, one balanced journal entry (cash against receivable and, for what is left,
 * customer credit) and `payment.received`. A provider event id seen before returns that
 * payment instead of a second one (`replayed: true`); Idempotency-Key is the route's.
 */
export async function recordPayment({ ctx, input }: { ctx: TenantContext; input: RecordPaymentInput }) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, input.subscriber_id);
    if (input.provider_event_id) {
      const [seen] = await tx.select().from(payments).where(eq(payments.providerEventId, input.provider_event_id));
      if (seen) return { replayed: true, payment: await presentPayment(tx, seen) };
    }
    let allocations: { invoice: typeof invoices.$inferSelect; amount: number }[];
    if (input.allocations) {
      allocations = await checkedAllocations(tx, input);
    } else {
      allocations = allocateInOrder(input.amount, await openInvoicesOf(tx, subscriber.id, input.currency)).allocations;
    }
    const allocated = allocations.reduce((sum, a) => sum + a.amount, 0);
    const id = uuidv7(at.getTime());
    const number = await nextDocumentNumber(tx, 'PAY');
    const receivedAt = input.received_at ? new Date(input.received_at) : at;
    await tx.insert(payments).values({
      id,
      number,
      subscriberId: subscriber.id,
      amount: input.amount,
      currency: input.currency,
      method: input.method,
      reference: input.reference ?? null,
      status: 'succeeded',
      refundedAmount: 0,
      providerEventId: input.provider_event_id ?? null,
      receivedAt,
      createdAt: at,
      updatedAt: at,
    });
    if (allocations.length > 0) {
      await tx.insert(paymentAllocations).values(
        allocations.map((a) => ({
          id: uuidv7(at.getTime()),
          paymentId: id,
          invoiceId: a.invoice.id,
          amount: a.amount,
          createdAt: at,
        })),
      );
      for (const a of allocations) await settleInvoice(tx, a.invoice, a.amount, at);
    }
    await postJournalEntry(
      tx,
      {
        kind: 'payment.received',
        memo: `payment ${number} (${input.method})`,
        subscriberId: subscriber.id,
        currency: input.currency,
        sourceType: 'payment',
        sourceId: id,
        lines: [
          { account: 'cash', debit: input.amount },
          { account: 'receivable', subscriberId: subscriber.id, credit: allocated },
          { account: 'customer_credit', subscriberId: subscriber.id, credit: input.amount - allocated },
        ],
      },
      at,
    );
    const payload = {
      number,
      subscriber_id: subscriber.id,
      amount: input.amount,
      currency: input.currency,
      method: input.method,
      allocated,
    };
    await recordDomainEvent(tx, { type: 'payment.received', subjectType: 'payment', subjectId: id, payload }, at);
    await appendAuditEvent(tx, ctx, {
      action: 'payment.recorded',
      resource: 'payment',
      resourceId: id,
      changes: { ...payload, reference: input.reference ?? null },
    });
    await restoreIfSettled(tx, ctx, subscriber.id, input.currency, at);
    return { replayed: false, payment: await presentPayment(tx, await findPayment(tx, id)) };
  });
}

/**
 * Explicit allocations: each to an open invoice of this subscriber in this currency, within its balance and the
 * payment.
 */
async function checkedAllocations(tx: TenantTx, input: RecordPaymentInput) {
  const wanted = input.allocations ?? [];
  const rows = wanted.length
    ? await tx
        .select()
        .from(invoices)
        .where(
          inArray(
            invoices.id,
            wanted.map((a) => a.invoice_id),
          ),
        )
    : [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  let total = 0;
  wanted.forEach((a, i) => {
    const path = `allocations.${i}`;
    const invoice = byId.get(a.invoice_id);
    if (seen.has(a.invoice_id)) errors.push({ path: `${path}.invoice_id`, message: 'each invoice may appear once' });
    seen.add(a.invoice_id);
    if (!invoice || invoice.subscriberId !== input.subscriber_id)
      return errors.push({ path: `${path}.invoice_id`, message: `no invoice ${a.invoice_id} of this subscriber` });
    if (invoice.currency !== input.currency)
      errors.push({
        path: `${path}.invoice_id`,
        message: `invoice ${invoice.number} is in ${invoice.currency}, the payment in ${input.currency}`,
      });
    if (!(openInvoiceStatuses as readonly string[]).includes(invoice.status))
      errors.push({ path: `${path}.invoice_id`, message: `invoice ${invoice.number} is ${invoice.status}` });
    else if (a.amount > invoice.balanceDue)
      errors.push({ path: `${path}.amount`, message: `invoice ${invoice.number} has ${invoice.balanceDue} due` });
    total += a.amount;
  });
  if (total > input.amount)
    errors.push({
      path: 'allocations',
      message: `allocations total ${total}, more than the payment's ${input.amount}`,
    });
  if (errors.length) throw new AppError('unprocessable', 'the allocations cannot be made', { errors });
  return wanted.map((a) => ({ invoice: byId.get(a.invoice_id)!, amount: a.amount }));
}
