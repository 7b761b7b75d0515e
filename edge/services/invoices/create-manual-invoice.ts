import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { findWritableSubscriber } from '../subscribers/find-subscriber.ts';
import { loadBillingCatalog } from '../subscriptions/billing-catalog.ts';
import { applyAccountCredit } from './apply-account-credit.ts';
import { invoiceDueAt, issueInvoices } from './issue-invoices.ts';
import { findInvoice, presentInvoice } from './manage-invoices.ts';
import { manualLines, type ManualLineInput } from './manual-lines.ts';

export type ManualInvoiceInput = { subscriber_id: string; currency?: string | undefined; lines: ManualLineInput[] };

/**
 * An invoice a clerk writes (kind `manual`): issued at once through the one issuing path,
 * so it is numbered gap-free in its transaction (INV-), journaled (receivable against
 * revenue and tax) and announced (`invoice.issued`); due after the subscriber's payment
 * days; account credit is applied to it like to any invoice.
 */
export async function createManualInvoice({ ctx, input }: { ctx: TenantContext; input: ManualInvoiceInput }) {
  const now = new Date(ctx.platform.now());
  const currency = input.currency ?? ctx.tenant.currency;
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findWritableSubscriber(tx, input.subscriber_id);
    const lines = await manualLines(tx, await loadBillingCatalog(tx, now), subscriber.id, input.lines, 'lines');
    const total = lines.reduce((sum, l) => sum + l.amount + l.taxAmount, 0);
    if (total < 0)
      throw new AppError('unprocessable', `the invoice would total ${total}; give credit with a credit note`, {
        errors: [{ path: 'lines', message: 'total below zero' }],
      });
    const dueAt = invoiceDueAt(now.getTime(), subscriber.paymentDueDays, ctx.tenant.timezone);
    const [issued] = await issueInvoices(
      tx,
      [{ subscriberId: subscriber.id, currency, kind: 'manual', lines, dueAt }],
      now,
    );
    await applyAccountCredit(tx, subscriber.id, currency, now);
    await appendAuditEvent(tx, ctx, {
      action: 'invoice.created',
      resource: 'invoice',
      resourceId: issued!.id,
      changes: { number: issued!.number, kind: 'manual', total: issued!.total, currency },
    });
    return presentInvoice(tx, await findInvoice(tx, issued!.id));
  });
}
