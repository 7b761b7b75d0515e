import { desc, eq, inArray, sql } from 'drizzle-orm';
import { invoices, paymentAllocations, payments, refunds } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { settleInvoice } from '../invoices/settle-invoice.ts';
import { postJournalEntry } from '../ledger/post-journal-entry.ts';
import { findPayment, presentRefund } from './present-payment.ts';
import { paymentRemainders } from '../invoices/apply-account-credit.ts';

const terminalStatuses = new Set<string>(['void', 'written_off']);

/**
 * Gives money back from a payment, in full (no amount) or in part. It comes first out of
 * what the payment left as account credit; only beyond that does it take back
 * allocations, newest first, reopening those invoices by exactly the amount taken
 * (the original reopened the whole invoice on a partial refund). One balanced entry:
 * customer credit and receivable against cash.
 */
export async function refundPayment({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; amount?: number | undefined; reason?: string | null | undefined };
}) {
  const at = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const payment = await findPayment(tx, input.id);
    if (payment.status !== 'succeeded' && payment.status !== 'partially_refunded')
      throw new AppError('invalid_state', `a ${payment.status} payment cannot be refunded`);
    const [{ refunded } = { refunded: 0 }] = await tx
      .select({ refunded: sql<number>`coalesce(sum(${refunds.amount}), 0)` })
      .from(refunds)
      .where(eq(refunds.paymentId, payment.id));
    const refundable = payment.amount - refunded;
    const amount = input.amount ?? refundable;
    if (amount <= 0 || amount > refundable)
      throw new AppError('unprocessable', `payment ${payment.number} has ${refundable} left to refund`, {
        errors: [{ path: 'amount', message: `must be 1…${refundable}` }],
      });
    const remainder =
      (await paymentRemainders(tx, payment.subscriberId, payment.currency)).find((p) => p.id === payment.id)
        ?.remaining ?? 0;
    const fromCredit = Math.min(amount, remainder);
    const id = uuidv7(at.getTime());
    await tx.insert(refunds).values({
      id,
      paymentId: payment.id,
      amount,
      reason: input.reason ?? null,
      fromCredit,
      fromInvoices: amount - fromCredit,
      createdAt: at,
    });

    let toTake = amount - fromCredit;
    if (toTake > 0) {
      const held = await tx
        .select({
          invoiceId: paymentAllocations.invoiceId,
          status: invoices.status,
          amount: sql<number>`sum(${paymentAllocations.amount})`,
          last: sql<number>`max(${paymentAllocations.createdAt})`,
        })
        .from(paymentAllocations)
        .innerJoin(invoices, eq(invoices.id, paymentAllocations.invoiceId))
        .where(eq(paymentAllocations.paymentId, payment.id))
        .groupBy(paymentAllocations.invoiceId)
        .orderBy(desc(sql`max(${paymentAllocations.createdAt})`), desc(paymentAllocations.invoiceId));
      // Void and written-off are terminal: money paid on an invoice later written off
      // cannot be taken back from it (that would reopen it, or leave the receivable
      // with no invoice to owe it on).
      const reopenable = held.filter((allocation) => !terminalStatuses.has(allocation.status));
      const takeable = reopenable.reduce((sum, a) => sum + a.amount, 0);
      if (takeable < toTake)
        throw new AppError(
          'invalid_state',
          `payment ${payment.number} paid invoices since written off or void: at most ${fromCredit + takeable} can ` +
            `be refunded`,
        );
      const takes: { invoiceId: string; amount: number }[] = [];
      for (const allocation of reopenable) {
        if (toTake === 0) break;
        const take = Math.min(toTake, allocation.amount);
        if (take > 0) takes.push({ invoiceId: allocation.invoiceId, amount: take });
        toTake -= take;
      }
      if (toTake !== 0) throw new Error(`payment ${payment.number}: refund exceeds what it paid`);
      await tx.insert(paymentAllocations).values(
        takes.map((t) => ({
          id: uuidv7(at.getTime()),
          paymentId: payment.id,
          invoiceId: t.invoiceId,
          amount: -t.amount,
          refundId: id,
          createdAt: at,
        })),
      );
      const rows = await tx
        .select()
        .from(invoices)
        .where(
          inArray(
            invoices.id,
            takes.map((t) => t.invoiceId),
          ),
        );
      for (const t of takes)
        await settleInvoice(
          tx,
          rows.find((r) => r.id === t.invoiceId)!,
          -t.amount,
          at,
        );
    }
    const totalRefunded = refunded + amount;
    await tx
      .update(payments)
      .set({
        status: totalRefunded === payment.amount ? 'refunded' : 'partially_refunded',
        refundedAmount: totalRefunded,
        updatedAt: at,
      })
      .where(eq(payments.id, payment.id));
    await postJournalEntry(
      tx,
      {
        kind: 'payment.refunded',
        memo: `refund of payment ${payment.number}`,
        subscriberId: payment.subscriberId,
        currency: payment.currency,
        sourceType: 'refund',
        sourceId: id,
        lines: [
          { account: 'customer_credit', subscriberId: payment.subscriberId, debit: fromCredit },
          { account: 'receivable', subscriberId: payment.subscriberId, debit: amount - fromCredit },
          { account: 'cash', credit: amount },
        ],
      },
      at,
    );
    const payload = {
      payment_id: payment.id,
      number: payment.number,
      amount,
      from_credit: fromCredit,
      from_invoices: amount - fromCredit,
    };
    await recordDomainEvent(
      tx,
      { type: 'payment.refunded', subjectType: 'payment', subjectId: payment.id, payload },
      at,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'payment.refunded',
      resource: 'payment',
      resourceId: payment.id,
      changes: { ...payload, reason: input.reason ?? null },
    });
    const [row] = await tx.select().from(refunds).where(eq(refunds.id, id));
    return presentRefund(row!);
  });
}
