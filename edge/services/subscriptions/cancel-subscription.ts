import { and, eq, gt, inArray, isNull, notInArray } from 'drizzle-orm';
import {
  invoiceLines,
  invoices,
  pendingCharges,
  type InvoiceLineKind,
  type LineTax,
} from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { roundHalfUp } from '../billing/money.ts';
import { serviceEndFor } from '../billing/proration.ts';
import { taxLine, type TaxRateSpec } from '../billing/tax.ts';
import { insertCreditNote } from '../credit-notes/manage-credit-notes.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { applyAccountCredit } from '../invoices/apply-account-credit.ts';
import { actionTime } from './action-time.ts';
import { loadBillingCatalog, type BillingCatalog } from './billing-catalog.ts';
import { dropScheduledChange } from './change-plan.ts';
import { findSubscription, presentSubscriptionDetail } from './present-subscription.ts';
import { assertStatus, transition } from './subscription-lifecycle.ts';
import { periodLabel, type SubscriptionRow } from './subscription-pricing.ts';

// Lines that pay for service over a period: what an early end gives back, pro rata.
const serviceKinds: InvoiceLineKind[] = ['recurring', 'addon', 'proration_credit', 'proration_charge'];

type ServiceLine = {
  description: string;
  amount: number;
  taxAmount: number;
  taxes: LineTax[];
  periodStart: Date | null;
  periodEnd: Date | null;
};

/** The rates a line was taxed at, as it snapshotted them. */
const ratesOf = (taxes: readonly LineTax[]): TaxRateSpec[] =>
  taxes.map((t) => ({ id: t.tax_rate_id, name: t.name, rate: t.rate, mode: t.mode, compound: t.compound }));

/**
 * What was billed for service after `endsAt` (business-rules.md: refund policy), every
 * cycle of it, however far back the end lies: each service line of the subscription on a
 * live invoice, or still waiting as a pending charge, whose period runs past the end gives
 * back its price × unused / line period, rounded once and taxed at the line's own rates.
 */
async function unusedService(tx: TenantTx, sub: SubscriptionRow, endsAt: number, timeZone: string) {
  const after = new Date(endsAt);
  const billed = await tx
    .select({ line: invoiceLines })
    .from(invoiceLines)
    .innerJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
    .where(
      and(
        eq(invoiceLines.subscriptionId, sub.id),
        inArray(invoiceLines.kind, serviceKinds),
        gt(invoiceLines.periodEnd, after),
        notInArray(invoices.status, ['void', 'written_off']),
      ),
    );
  const waiting = await tx
    .select()
    .from(pendingCharges)
    .where(
      and(
        eq(pendingCharges.subscriptionId, sub.id),
        inArray(pendingCharges.kind, serviceKinds),
        gt(pendingCharges.periodEnd, after),
        isNull(pendingCharges.invoiceLineId),
      ),
    );
  const sources: ServiceLine[] = [...billed.map((b) => b.line), ...waiting];
  const lines = [];
  for (const source of sources) {
    const start = source.periodStart!.getTime();
    const end = source.periodEnd!.getTime();
    const from = Math.max(start, endsAt);
    const inclusive = source.taxes.some((t) => t.mode === 'inclusive');
    const charged = inclusive ? source.amount + source.taxAmount : source.amount;
    const amount = roundHalfUp(BigInt(charged) * BigInt(end - from), BigInt(end - start));
    if (amount === 0) continue;
    const taxed = taxLine(amount, ratesOf(source.taxes));
    lines.push({
      description: `Unused ${periodLabel(from, end, timeZone)}: ${source.description}`,
      amount: taxed.net,
      tax_amount: taxed.tax,
      taxes: taxed.taxes,
    });
  }
  return lines;
}

export type EndSubscription = {
  row: SubscriptionRow;
  at: Date;
  endsAt: number;
  reason: string;
  catalog: BillingCatalog;
  timeZone: string;
  now: Date;
};

/**
 * The one way a live or pending subscription ends (an API cancellation, prepaid
 * deactivation), in the caller's transaction. A pending one (never billed) ends at once.
 * A live one keeps service until `endsAt`; billing stops there (next_billing_at is
 * brought back to it), what was billed after it is credited when the policy refunds by
 * credit, and it is canceled now if `endsAt` has passed and everything before it was
 * billed, else by the billing run once it has billed the rest. The billing run later
 * invoices what is still owed (pending charges, the last period's overage) and closes it.
 */
export async function endSubscription(
  tx: TenantTx,
  input: EndSubscription,
): Promise<{ updated: SubscriptionRow; creditNoteId: string | null }> {
  const { row, at, reason, catalog, timeZone, now } = input;
  await dropScheduledChange(tx, row.id, now);
  if (row.status === 'pending') {
    return {
      updated: await transition(tx, row, { status: 'canceled', canceledAt: at, endsAt: at, cancelReason: reason }, now),
      creditNoteId: null,
    };
  }
  const endsAt = input.endsAt;
  let creditNoteId: string | null = null;
  const billedPast = row.nextBillingAt !== null && row.nextBillingAt.getTime() > endsAt;
  if (billedPast && catalog.policyFor(catalog.offer(row.offerId)).refundPolicy === 'credit') {
    const lines = await unusedService(tx, row, endsAt, timeZone);
    const total = lines.reduce((sum, l) => sum + l.amount + l.tax_amount, 0);
    if (total > 0) {
      const note = await insertCreditNote(
        tx,
        {
          subscriberId: row.subscriberId,
          invoiceId: null,
          currency: row.currency,
          reason: `Cancellation of subscription ${row.id}`,
          lines,
        },
        true,
        now,
      );
      await applyAccountCredit(tx, row.subscriberId, row.currency, now);
      creditNoteId = note.id;
    }
  }
  const nextBillingAt = billedPast ? new Date(endsAt) : row.nextBillingAt;
  const billedThrough = nextBillingAt === null || nextBillingAt.getTime() >= endsAt;
  const status = endsAt <= now.getTime() && billedThrough ? 'canceled' : row.status;
  const updated = await transition(
    tx,
    row,
    { status, canceledAt: at, endsAt: new Date(endsAt), cancelReason: reason, nextBillingAt },
    now,
  );
  return { updated, creditNoteId };
}

/**
 * Cancels at `at`: service ends at the end of that local day (the termination day counts
 * as used, business-rules.md "Billing test vectors"), see endSubscription.
 */
export async function cancelSubscription({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; at?: string | undefined; reason: string };
}) {
  const now = new Date(ctx.platform.now());
  const at = actionTime(now.getTime(), input.at, 'year');
  const timeZone = ctx.tenant.timezone;
  return ctx.db.transaction(async (tx) => {
    const row = await findSubscription(tx, input.id);
    assertStatus(row, ['pending', 'active', 'suspended'], 'canceled');
    if (row.endsAt)
      throw new AppError(
        'invalid_state',
        `the subscription is already canceled, ending at ${row.endsAt.toISOString()}`,
      );
    const catalog = await loadBillingCatalog(tx, now);
    const endsAt = serviceEndFor(at.getTime(), timeZone);
    const { updated, creditNoteId } = await endSubscription(tx, {
      row,
      at,
      endsAt,
      reason: input.reason,
      catalog,
      timeZone,
      now,
    });
    const payload = {
      reason: input.reason,
      canceled_at: at.toISOString(),
      ends_at: updated.endsAt!.toISOString(),
      credit_note_id: creditNoteId,
    };
    await recordDomainEvent(
      tx,
      {
        type: updated.status === 'canceled' ? 'subscription.canceled' : 'subscription.cancel_scheduled',
        subjectType: 'subscription',
        subjectId: row.id,
        payload,
      },
      now,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'subscription.canceled',
      resource: 'subscription',
      resourceId: row.id,
      changes: { ...payload, status: updated.status },
    });
    return presentSubscriptionDetail(tx, updated);
  });
}
