import { and, asc, gt, isNull, sql } from 'drizzle-orm';
import { pendingCharges, subscribers } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { inList, updateFromJson } from '../bulk-rows.ts';
import { applyAccountCredit } from '../invoices/apply-account-credit.ts';
import { chargeLine, invoiceDueAt, issueInvoices, type InvoiceDraft } from '../invoices/issue-invoices.ts';

export type WaitingResult = { seen: number; cursor: string | null; invoices: number; lines: number };

/**
 * Pending charges ride on the subscriber's next billing-run invoice in their currency.
 * Those with nothing to ride on (no subscription of the subscriber in that currency will
 * bill again: the last one ended, or there is none) are invoiced by the run on their own,
 * one invoice per subscriber and currency: the last period's overage and deferred
 * plan-change lines of a canceled subscription, a one-off charge of a subscriber without
 * service. One chunk of subscribers after `cursor`, in the caller's write transaction.
 */
export async function billWaitingCharges(
  tx: TenantTx,
  input: { timeZone: string; runId: string; asOf: Date; now: Date; cursor: string | null; limit: number },
): Promise<WaitingResult> {
  const { asOf, now, timeZone } = input;
  // Qualified by hand: drizzle leaves a one-table select's columns unqualified, and inside
  // the subquery they would be the subscription's own.
  const nothingToRideOn = sql`NOT EXISTS (SELECT 1 FROM "subscriptions" s
    WHERE s.subscriber_id = "pending_charges"."subscriber_id" AND s.currency = "pending_charges"."currency"
    AND s.next_billing_at IS NOT NULL AND (s.ends_at IS NULL OR s.ends_at > ${asOf.getTime()}))`;
  const open = and(isNull(pendingCharges.invoiceLineId), nothingToRideOn);
  const owners = await tx
    .selectDistinct({ id: pendingCharges.subscriberId })
    .from(pendingCharges)
    .where(and(open, input.cursor === null ? undefined : gt(pendingCharges.subscriberId, input.cursor)))
    .orderBy(asc(pendingCharges.subscriberId))
    .limit(input.limit);
  const result: WaitingResult = {
    seen: owners.length,
    cursor: owners.at(-1)?.id ?? input.cursor,
    invoices: 0,
    lines: 0,
  };
  if (owners.length === 0) return result;
  const ids = owners.map((o) => o.id);
  const charges = await tx
    .select()
    .from(pendingCharges)
    .where(and(open, inList(pendingCharges.subscriberId, ids)))
    .orderBy(
      asc(pendingCharges.subscriberId),
      asc(pendingCharges.currency),
      asc(pendingCharges.createdAt),
      asc(pendingCharges.id),
    );
  const dueDays = new Map(
    (
      await tx
        .select({ id: subscribers.id, days: subscribers.paymentDueDays })
        .from(subscribers)
        .where(inList(subscribers.id, ids))
    ).map((s) => [s.id, s.days]),
  );
  const drafts: (InvoiceDraft & { charges: string[] })[] = [];
  for (const charge of charges) {
    let draft = drafts.at(-1);
    if (!draft || draft.subscriberId !== charge.subscriberId || draft.currency !== charge.currency) {
      const dueAt = invoiceDueAt(now.getTime(), dueDays.get(charge.subscriberId) ?? 0, timeZone);
      drafts.push(
        (draft = {
          subscriberId: charge.subscriberId,
          currency: charge.currency,
          kind: 'recurring',
          lines: [],
          dueAt,
          billingRunId: input.runId,
          charges: [],
        }),
      );
    }
    draft.charges.push(charge.id);
    (draft.lines as ReturnType<typeof chargeLine>[]).push(chargeLine(charge));
  }
  for (const draft of drafts) {
    const starts = draft.lines.flatMap((l) => (l.periodStart ? [l.periodStart.getTime()] : []));
    const ends = draft.lines.flatMap((l) => (l.periodEnd ? [l.periodEnd.getTime()] : []));
    draft.periodStart = starts.length ? new Date(Math.min(...starts)) : null;
    draft.periodEnd = ends.length ? new Date(Math.max(...ends)) : null;
  }
  const issued = await issueInvoices(tx, drafts, now);
  await updateFromJson(
    tx,
    'pending_charges',
    ['invoice_line_id'],
    drafts.flatMap((d, i) => d.charges.map((id, j) => [id, issued[i]!.lineIds[j]!])),
  );
  for (const invoice of issued) await applyAccountCredit(tx, invoice.subscriberId, invoice.currency, now);
  result.invoices = issued.length;
  result.lines = issued.reduce((sum, i) => sum + i.lineIds.length, 0);
  return result;
}
