import { and, asc, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import { journalLines, pendingCharges, subscribers, subscriptionAddons, subscriptions } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { addLocalDays, startOfLocalDay } from '../billing/calendar.ts';
import { periodContaining } from '../billing/periods.ts';
import { prorate } from '../billing/proration.ts';
import { taxLine } from '../billing/tax.ts';
import { offerPrice } from '../catalog/find-offer.ts';
import { applyAccountCredit } from '../invoices/apply-account-credit.ts';
import { issueInvoices, type InvoiceDraft, type InvoiceLineDraft } from '../invoices/issue-invoices.ts';
import type { BillingCatalog } from '../subscriptions/billing-catalog.ts';
import { anchorOf, periodLabel, recurringLine, type PricedSubscription } from '../subscriptions/subscription-pricing.ts';
import { rateClosedBuckets } from '../usage/rate-overage.ts';
import { resetQuotaHolds } from '../usage/reset-quota-holds.ts';
import { inList, updateFromJson } from '../bulk-rows.ts';

/** Where the walk over due subscriptions has got to: (next_billing_at, id) of the last one seen. */
export type BillingCursor = { nextBillingAt: number; id: string } | null;

export type ChunkResult = { seen: number; invoices: number; lines: number; cursor: BillingCursor; failures: { subscription_id: string; message: string }[] };

// A runaway catch-up (a daily plan billed years late) stops here; the next run continues.
const maxPeriodsPerSubscription = 400;

type Group = { draft: InvoiceDraft & { lines: InvoiceLineDraft[] }; from: number; to: number };

/**
 * Bills one chunk of due subscriptions in the caller's (write) transaction: every
 * subscription with status active or suspended whose next period starts at or before
 * `asOf` gets one recurring line per period (a stub prorated over the full period),
 * lines for its recurring add-ons, and one invoice per subscriber, currency and period
 * (business-rules.md "Billing run"). The subscriber's pending charges (setup fees,
 * deferred plan changes, overage of closed quota periods) ride on their first invoice. Reading the due rows inside the write transaction is what makes concurrent
 * runs safe; the partial unique index on (subscription, period) is the backstop.
 */
export async function billChunk(tx: TenantTx, input: { catalog: BillingCatalog; timeZone: string; runId: string; asOf: Date; now: Date; cursor: BillingCursor; limit: number }): Promise<ChunkResult> {
  const { catalog, timeZone, asOf, now } = input;
  // Only what billing reads, and the subscriber's payment days with it: rows are the
  // costly part of this query.
  const due = await tx
    .select({
      id: subscriptions.id,
      subscriberId: subscriptions.subscriberId,
      offerId: subscriptions.offerId,
      currency: subscriptions.currency,
      priceOverride: subscriptions.priceOverride,
      billingCycle: subscriptions.billingCycle,
      billingAnchorDay: subscriptions.billingAnchorDay,
      billingAnchorMonth: subscriptions.billingAnchorMonth,
      discountId: subscriptions.discountId,
      discountCyclesUsed: subscriptions.discountCyclesUsed,
      nextBillingAt: subscriptions.nextBillingAt,
      creditBasis: subscriptions.creditBasis,
      endsAt: subscriptions.endsAt,
      paymentDueDays: subscribers.paymentDueDays,
    })
    .from(subscriptions)
    .innerJoin(subscribers, eq(subscribers.id, subscriptions.subscriberId))
    .where(
      and(
        sql`${subscriptions.status} IN ('active', 'suspended')`,
        lte(subscriptions.nextBillingAt, asOf),
        input.cursor ? sql`(${subscriptions.nextBillingAt}, ${subscriptions.id}) > (${input.cursor.nextBillingAt}, ${input.cursor.id})` : undefined,
      ),
    )
    .orderBy(asc(subscriptions.nextBillingAt), asc(subscriptions.id))
    .limit(input.limit);
  const last = due.at(-1);
  const result: ChunkResult = { seen: due.length, invoices: 0, lines: 0, cursor: last ? { nextBillingAt: last.nextBillingAt!.getTime(), id: last.id } : input.cursor, failures: [] };
  if (due.length === 0) return result;

  await catalog.loadJurisdictions(tx, due.map((s) => s.subscriberId));
  // Closed quota periods over their volume become pending overage charges first, so they
  // ride on this invoice (business-rules.md: "overage is rated onto the next invoice").
  await rateClosedBuckets(tx, { catalog, subscriptionIds: due.map((s) => s.id), asOf, now, timeZone });
  const subscriberIds = [...new Set(due.map((s) => s.subscriberId))];
  const dueDays = new Map(due.map((s) => [s.subscriberId, s.paymentDueDays]));
  const addonRows = await tx
    .select()
    .from(subscriptionAddons)
    .where(and(inList(subscriptionAddons.subscriptionId, due.map((s) => s.id)), isNull(subscriptionAddons.endedAt)));
  const pending = await tx
    .select()
    .from(pendingCharges)
    .where(and(inList(pendingCharges.subscriberId, subscriberIds), isNull(pendingCharges.invoiceLineId)))
    .orderBy(asc(pendingCharges.createdAt), asc(pendingCharges.id));

  const groups = new Map<string, Group>();
  const updates: (string | number | null)[][] = [];
  // Due dates depend only on the subscriber's payment days: a handful of values a chunk.
  const dueAtByDays = new Map<number, Date>();
  const dueAtOf = (subscriberId: string) => {
    const days = dueDays.get(subscriberId) ?? 0;
    let dueAt = dueAtByDays.get(days);
    if (!dueAt) dueAtByDays.set(days, (dueAt = new Date(addLocalDays(startOfLocalDay(now.getTime(), timeZone), days + 1, timeZone))));
    return dueAt;
  };

  for (const sub of due) {
    try {
      const anchor = anchorOf(sub);
      const endsAt = sub.endsAt?.getTime() ?? Infinity;
      let from = sub.nextBillingAt!.getTime();
      let creditBasis = sub.creditBasis;
      let cyclesUsed = sub.discountCyclesUsed;
      const subGroups: [string, Group, InvoiceLineDraft[]][] = [];
      for (let n = 0; from <= asOf.getTime() && from < endsAt && n < maxPeriodsPerSubscription; n++) {
        const period = periodContaining(from, anchor, timeZone);
        const to = Math.min(period.end, endsAt);
        const { line, price } = recurringLine({ ...sub, discountCyclesUsed: cyclesUsed }, catalog, timeZone, period, from, to);
        const lines = [line, ...addonLines(sub, addonRows, catalog, timeZone, period, from, to)];
        const key = `${sub.subscriberId}|${sub.currency}|${period.start}|${period.end}`;
        const group = groups.get(key) ?? {
          draft: { subscriberId: sub.subscriberId, currency: sub.currency, kind: 'recurring' as const, lines: [], dueAt: dueAtOf(sub.subscriberId), billingRunId: input.runId },
          from,
          to,
        };
        subGroups.push([key, group, lines]);
        creditBasis = price.amount;
        if (price.discount) cyclesUsed += 1;
        from = to;
      }
      // Only now, with every period of this subscription priced, do its lines join the invoices.
      for (const [key, group, lines] of subGroups) {
        group.draft.lines.push(...lines);
        group.from = Math.min(group.from, lines[0]!.periodStart!.getTime());
        group.to = Math.max(group.to, lines[0]!.periodEnd!.getTime());
        groups.set(key, group);
      }
      updates.push([sub.id, from, creditBasis, cyclesUsed, now.getTime()]);
    } catch (error) {
      result.failures.push({ subscription_id: sub.id, message: error instanceof Error ? error.message : String(error) });
    }
  }

  // Pending charges go on the subscriber's first invoice in their currency this chunk.
  const keys = [...groups.keys()];
  const firstGroupOf = new Map<string, string>();
  for (const key of keys) {
    const account = key.split('|', 2).join('|');
    if (!firstGroupOf.has(account)) firstGroupOf.set(account, key);
  }
  const billedCharges: { chargeId: string; key: string; index: number }[] = [];
  for (const charge of pending) {
    const key = firstGroupOf.get(`${charge.subscriberId}|${charge.currency}`);
    if (!key) continue;
    const group = groups.get(key)!;
    billedCharges.push({ chargeId: charge.id, key, index: group.draft.lines.length });
    group.draft.lines.push({
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
  }

  const drafts = keys.map((key) => {
    const group = groups.get(key)!;
    return { ...group.draft, periodStart: new Date(group.from), periodEnd: new Date(group.to) };
  });
  const draftOf = new Map(keys.map((key, i) => [key, i]));
  const issued = await issueInvoices(tx, drafts, now);
  await updateFromJson(tx, 'subscriptions', ['next_billing_at', 'credit_basis', 'discount_cycles_used', 'updated_at'], updates);
  await updateFromJson(
    tx,
    'pending_charges',
    ['invoice_line_id'],
    billedCharges.map((b) => [b.chargeId, issued[draftOf.get(b.key)!]!.lineIds[b.index]!]),
  );
  // A new period is a new cap: fair-usage throttles of the old one are lifted.
  await resetQuotaHolds(tx, updates.map((u) => String(u[0])), now);
  await applyCreditWhereHeld(tx, new Set(issued.map((i) => `${i.subscriberId}|${i.currency}`)), now);
  result.invoices = issued.length;
  result.lines = issued.reduce((sum, i) => sum + i.lineIds.length, 0);
  return result;
}

/** Recurring add-ons of the subscription, priced and prorated like the offer's line. */
function addonLines(sub: PricedSubscription, rows: readonly (typeof subscriptionAddons.$inferSelect)[], catalog: BillingCatalog, timeZone: string, period: { start: number; end: number }, from: number, to: number): InvoiceLineDraft[] {
  const lines: InvoiceLineDraft[] = [];
  for (const row of rows) {
    if (row.subscriptionId !== sub.id || row.startedAt.getTime() >= to) continue;
    const addon = catalog.addon(row.addonId);
    if (addon.charge !== 'recurring') continue;
    const unit = offerPrice(addon, sub.currency);
    if (unit === null) throw new Error(`add-on ${addon.code} has no price in ${sub.currency}`);
    const policy = catalog.policyFor(catalog.offer(sub.offerId));
    const partial = from > period.start || to < period.end;
    const full = unit * row.quantity;
    const charged = partial && policy.proration ? prorate(full, to - from, period.end - period.start) : full;
    const taxed = taxLine(charged, catalog.taxRatesFor(addon.taxRateId, sub.subscriberId));
    lines.push({
      kind: 'addon',
      subscriptionId: sub.id,
      sourceId: row.id,
      description: `${addon.name}${row.quantity > 1 ? ` × ${row.quantity}` : ''}, ${periodLabel(from, to, timeZone)}`,
      quantity: row.quantity,
      amount: taxed.net,
      taxAmount: taxed.tax,
      taxes: taxed.taxes,
      periodStart: new Date(from),
      periodEnd: new Date(to),
    });
  }
  return lines;
}

/** Applies account credit only for subscribers the journal says hold some (one aggregate query). */
async function applyCreditWhereHeld(tx: TenantTx, keys: ReadonlySet<string>, at: Date) {
  const subscriberIds = [...new Set([...keys].map((k) => k.split('|')[0]!))];
  for (let i = 0; i < subscriberIds.length; i += 500) {
    const holders = await tx
      .select({ subscriberId: journalLines.subscriberId, currency: journalLines.currency })
      .from(journalLines)
      .where(and(eq(journalLines.account, 'customer_credit'), inList(journalLines.subscriberId, subscriberIds.slice(i, i + 500))))
      .groupBy(journalLines.subscriberId, journalLines.currency)
      .having(gt(sql`sum(${journalLines.credit}) - sum(${journalLines.debit})`, 0));
    for (const holder of holders) {
      if (keys.has(`${holder.subscriberId}|${holder.currency}`)) await applyAccountCredit(tx, holder.subscriberId!, holder.currency, at);
    }
  }
}

