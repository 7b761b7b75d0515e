import { and, asc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import {
  journalLines,
  pendingCharges,
  subscribers,
  subscriptionAddons,
  subscriptions,
} from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { periodContaining } from '../billing/periods.ts';
import { prorate } from '../billing/proration.ts';
import { taxLine } from '../billing/tax.ts';
import { offerPrice } from '../catalog/find-offer.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { applyAccountCredit } from '../invoices/apply-account-credit.ts';
import {
  chargeLine,
  invoiceDueAt,
  issueInvoices,
  type InvoiceDraft,
  type InvoiceLineDraft,
} from '../invoices/issue-invoices.ts';
import type { BillingCatalog } from '../subscriptions/billing-catalog.ts';
import {
  anchorOf,
  periodLabel,
  recurringLine,
  type PricedSubscription,
} from '../subscriptions/subscription-pricing.ts';
import { rateClosedBuckets } from '../usage/rate-overage.ts';
import { resetQuotaHolds } from '../usage/reset-quota-holds.ts';
import { inList, updateFromJson } from '../bulk-rows.ts';

/** Where the walk over due subscriptions has got to: (next_billing_at, id) of the last one seen. */
export type BillingCursor = { nextBillingAt: number; id: string } | null;

export type ChunkResult = {
  seen: number;
  invoices: number;
  lines: number;
  cursor: BillingCursor;
  failures: { subscription_id: string; message: string }[];
};

// A runaway catch-up (a daily plan billed years late) stops here; the next run continues.
const maxPeriodsPerSubscription = 400;

type Group = { draft: InvoiceDraft & { lines: InvoiceLineDraft[] }; from: number; to: number };

/** What billing reads of a due subscription, with the subscriber's payment days: rows are the costly part. */
const dueColumns = {
  id: subscriptions.id,
  subscriberId: subscriptions.subscriberId,
  offerId: subscriptions.offerId,
  status: subscriptions.status,
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
};

const after = (cursor: BillingCursor) =>
  cursor
    ? sql`(${subscriptions.nextBillingAt}, ${subscriptions.id}) > (${cursor.nextBillingAt}, ${cursor.id})`
    : undefined;

/**
 * Bills one chunk of due subscriptions in the caller's (write) transaction: every
 * subscription whose next period starts at or before `asOf` gets one recurring line per
 * period (a stub prorated over the full period), lines for its recurring add-ons, and one
 * invoice per subscriber, currency and period (business-rules.md "Billing run"). The
 * subscriber's pending charges (setup fees, deferred plan changes, overage of closed quota
 * periods) ride on their first invoice. A subscription whose end has come is billed up to
 * its end and then closed: its quota periods are rated (service is over, so they are
 * closed), next_billing_at becomes null and it is canceled; what it still owes and has
 * nothing to ride on is invoiced by billWaitingCharges. A chunk holds every due
 * subscription of the subscribers it meets, so one subscriber's period is never split
 * over two invoices at a chunk boundary. Reading the due rows inside the write
 * transaction is what makes concurrent runs safe; the partial unique index on
 * (subscription, period) is the backstop.
 */
export async function billChunk(
  tx: TenantTx,
  input: {
    catalog: BillingCatalog;
    timeZone: string;
    runId: string;
    asOf: Date;
    now: Date;
    cursor: BillingCursor;
    limit: number;
  },
): Promise<ChunkResult> {
  const { catalog, timeZone, asOf, now } = input;
  const dueBy = lte(subscriptions.nextBillingAt, asOf);
  const due = await tx
    .select(dueColumns)
    .from(subscriptions)
    .innerJoin(subscribers, eq(subscribers.id, subscriptions.subscriberId))
    .where(and(dueBy, after(input.cursor)))
    .orderBy(asc(subscriptions.nextBillingAt), asc(subscriptions.id))
    .limit(input.limit);
  const last = due.at(-1);
  const cursor: BillingCursor = last ? { nextBillingAt: last.nextBillingAt!.getTime(), id: last.id } : input.cursor;
  if (due.length === input.limit) {
    // The rest of these subscribers' due subscriptions, which later chunks would otherwise meet.
    const rest = await tx
      .select(dueColumns)
      .from(subscriptions)
      .innerJoin(subscribers, eq(subscribers.id, subscriptions.subscriberId))
      .where(
        and(inList(subscriptions.subscriberId, [...new Set(due.map((s) => s.subscriberId))]), dueBy, after(cursor)),
      )
      .orderBy(asc(subscriptions.nextBillingAt), asc(subscriptions.id));
    due.push(...rest);
  }
  const seen = due.length;
  const result: ChunkResult = { seen: Math.min(seen, input.limit), invoices: 0, lines: 0, cursor, failures: [] };
  if (due.length === 0) return result;

  await catalog.loadJurisdictions(
    tx,
    due.map((s) => s.subscriberId),
  );
  // Closed quota periods over their volume become pending overage charges first, so they
  // ride on this invoice (business-rules.md: "overage is rated onto the next invoice").
  const ended = (s: (typeof due)[number]) => s.endsAt !== null && s.endsAt.getTime() <= asOf.getTime();
  await rateClosedBuckets(tx, {
    catalog,
    subscriptionIds: due.filter((s) => !ended(s)).map((s) => s.id),
    asOf,
    now,
    timeZone,
  });
  await rateClosedBuckets(tx, {
    catalog,
    subscriptionIds: due.filter(ended).map((s) => s.id),
    asOf,
    now,
    timeZone,
    ended: true,
  });
  const subscriberIds = [...new Set(due.map((s) => s.subscriberId))];
  const dueDays = new Map(due.map((s) => [s.subscriberId, s.paymentDueDays]));
  const addonRows = await tx
    .select()
    .from(subscriptionAddons)
    .where(
      and(
        inList(
          subscriptionAddons.subscriptionId,
          due.map((s) => s.id),
        ),
        isNull(subscriptionAddons.endedAt),
      ),
    );
  const pending = await tx
    .select()
    .from(pendingCharges)
    .where(and(inList(pendingCharges.subscriberId, subscriberIds), isNull(pendingCharges.invoiceLineId)))
    .orderBy(asc(pendingCharges.createdAt), asc(pendingCharges.id));

  const groups = new Map<string, Group>();
  const updates: (string | number | null)[][] = [];
  const closing: string[] = [];
  // Due dates depend only on the subscriber's payment days: a handful of values a chunk.
  const dueAtByDays = new Map<number, Date>();
  const dueAtOf = (subscriberId: string) => {
    const days = dueDays.get(subscriberId) ?? 0;
    let dueAt = dueAtByDays.get(days);
    if (!dueAt) dueAtByDays.set(days, (dueAt = invoiceDueAt(now.getTime(), days, timeZone)));
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
        const { line, price } = recurringLine(
          { ...sub, discountCyclesUsed: cyclesUsed },
          catalog,
          timeZone,
          period,
          from,
          to,
        );
        const lines = [line, ...addonLines(sub, addonRows, catalog, timeZone, period, from, to)];
        const key = `${sub.subscriberId}|${sub.currency}|${period.start}|${period.end}`;
        const group = groups.get(key) ?? {
          draft: {
            subscriberId: sub.subscriberId,
            currency: sub.currency,
            kind: 'recurring' as const,
            lines: [],
            dueAt: dueAtOf(sub.subscriberId),
            billingRunId: input.runId,
          },
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
      // Billed up to its end: nothing is left to bill (null takes it out of the due scan).
      const closes = ended(sub) && from >= endsAt;
      if (closes) closing.push(sub.id);
      updates.push([sub.id, closes ? null : from, creditBasis, cyclesUsed, now.getTime()]);
    } catch (error) {
      result.failures.push({
        subscription_id: sub.id,
        message: error instanceof Error ? error.message : String(error),
      });
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
    group.draft.lines.push(chargeLine(charge));
  }

  const drafts = keys.map((key) => {
    const group = groups.get(key)!;
    return { ...group.draft, periodStart: new Date(group.from), periodEnd: new Date(group.to) };
  });
  const draftOf = new Map(keys.map((key, i) => [key, i]));
  const issued = await issueInvoices(tx, drafts, now);
  await updateFromJson(
    tx,
    'subscriptions',
    ['next_billing_at', 'credit_basis', 'discount_cycles_used', 'updated_at'],
    updates,
  );
  await updateFromJson(
    tx,
    'pending_charges',
    ['invoice_line_id'],
    billedCharges.map((b) => [b.chargeId, issued[draftOf.get(b.key)!]!.lineIds[b.index]!]),
  );
  await cancelEnded(tx, closing, now);
  // A new period is a new cap: fair-usage throttles of the old one are lifted.
  await resetQuotaHolds(
    tx,
    updates.map((u) => String(u[0])),
    now,
  );
  await applyCreditWhereHeld(tx, new Set(issued.map((i) => `${i.subscriberId}|${i.currency}`)), now);
  result.invoices = issued.length;
  result.lines = issued.reduce((sum, i) => sum + i.lineIds.length, 0);
  return result;
}

/**
 * Subscriptions the run has billed to their end become canceled, each with
 * `subscription.canceled` (a cancellation whose end had passed when it was made was
 * canceled, and announced, at once: the status condition leaves it alone).
 */
async function cancelEnded(tx: TenantTx, ids: readonly string[], now: Date) {
  if (ids.length === 0) return;
  const ended = await tx
    .update(subscriptions)
    .set({ status: 'canceled', scheduledOfferId: null, scheduledChangeAt: null, updatedAt: now })
    .where(and(inList(subscriptions.id, ids), inArray(subscriptions.status, ['active', 'suspended'])))
    .returning();
  for (const sub of ended) {
    const payload = {
      reason: sub.cancelReason,
      canceled_at: sub.canceledAt?.toISOString() ?? null,
      ends_at: sub.endsAt!.toISOString(),
    };
    await recordDomainEvent(
      tx,
      { type: 'subscription.canceled', subjectType: 'subscription', subjectId: sub.id, payload },
      sub.endsAt!,
    );
  }
}

/** Recurring add-ons of the subscription, priced and prorated like the offer's line. */
function addonLines(
  sub: PricedSubscription,
  rows: readonly (typeof subscriptionAddons.$inferSelect)[],
  catalog: BillingCatalog,
  timeZone: string,
  period: { start: number; end: number },
  from: number,
  to: number,
): InvoiceLineDraft[] {
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
      .where(
        and(
          eq(journalLines.account, 'customer_credit'),
          inList(journalLines.subscriberId, subscriberIds.slice(i, i + 500)),
        ),
      )
      .groupBy(journalLines.subscriberId, journalLines.currency)
      .having(gt(sql`sum(${journalLines.credit}) - sum(${journalLines.debit})`, 0));
    for (const holder of holders) {
      if (keys.has(`${holder.subscriberId}|${holder.currency}`))
        await applyAccountCredit(tx, holder.subscriberId!, holder.currency, at);
    }
  }
}
