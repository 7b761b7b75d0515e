// Overage (business-rules.md "Usage and fair-usage (FUP)"): the volume used over the
// included one in a closed period, × the offer's price per GB, goes onto the subscriber's
// next invoice as a pending charge ("overage is rated onto the next invoice").
import { and, inArray, isNull, lte } from 'drizzle-orm';
import { pendingCharges, quotaBuckets, subscriptions } from '../../../db/tenant/index.ts';
import { inList } from '../bulk-rows.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { roundHalfUp } from '../billing/money.ts';
import { taxLine } from '../billing/tax.ts';
import type { BillingCatalog } from '../subscriptions/billing-catalog.ts';
import { periodLabel } from '../subscriptions/subscription-pricing.ts';
import { bytesPerGb, chunked } from './quota-buckets.ts';

/** Bytes as GB with two decimals, half-up: 1_234_567_890 → "1.23". */
export function gbLabel(bytes: number): string {
  const hundredths = roundHalfUp(BigInt(bytes), BigInt(bytesPerGb / 100));
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
}

/** Included volume for a description: whole GB as such ("50"), a prorated one with two decimals ("32.26"). */
const includedLabel = (bytes: number) => (bytes % bytesPerGb === 0 ? String(bytes / bytesPerGb) : gbLabel(bytes));

/**
 * Rates the closed buckets (period_end ≤ asOf, not rated yet) of these subscriptions, in
 * the caller's transaction: overage = used − included bytes, amount = overage × the
 * offer's overage price per GB in the subscription's currency / 10^9, rounded once
 * half-up, taxed as the offer; one pending charge per bucket with overage and a price.
 * Every bucket looked at is stamped `rated_at` first, by a conditional update, and only
 * the buckets this call stamped are charged: a repeated or concurrent call charges
 * nothing twice. Buckets without overage, unmetered ones and offers without an overage
 * price are stamped too, so they are not looked at again. Returns the charges written.
 * Usage recorded for a period after it was rated is kept but not charged. `ended`: the
 * subscriptions' service is over, so every bucket of theirs is closed, whatever its end.
 */
export async function rateClosedBuckets(
  tx: TenantTx,
  input: {
    catalog: BillingCatalog;
    subscriptionIds: readonly string[];
    asOf: Date;
    now: Date;
    timeZone: string;
    ended?: boolean;
  },
): Promise<number> {
  const { catalog, asOf, now, timeZone } = input;
  let written = 0;
  for (const ids of chunked([...new Set(input.subscriptionIds)], 500)) {
    const rated = await tx
      .update(quotaBuckets)
      .set({ ratedAt: now, updatedAt: now })
      .where(
        and(
          inList(quotaBuckets.subscriptionId, ids),
          input.ended ? undefined : lte(quotaBuckets.periodEnd, asOf),
          isNull(quotaBuckets.ratedAt),
        ),
      )
      .returning();
    const over = rated.filter((b) => b.includedBytes !== null && b.usedBytes > b.includedBytes);
    if (over.length === 0) continue;
    const subs = new Map(
      (
        await tx
          .select()
          .from(subscriptions)
          .where(
            inArray(
              subscriptions.id,
              over.map((b) => b.subscriptionId),
            ),
          )
      ).map((s) => [s.id, s]),
    );
    await catalog.loadJurisdictions(
      tx,
      [...subs.values()].map((s) => s.subscriberId),
    );
    const charges: (typeof pendingCharges.$inferInsert)[] = [];
    for (const bucket of over) {
      const sub = subs.get(bucket.subscriptionId)!;
      const offer = catalog.offer(sub.offerId);
      const price = offer.overagePerGb?.find((p) => p.currency === sub.currency)?.amount;
      if (!price) continue;
      const overage = bucket.usedBytes - bucket.includedBytes!;
      const amount = roundHalfUp(BigInt(overage) * BigInt(price), BigInt(bytesPerGb));
      if (amount === 0) continue;
      const taxed = taxLine(amount, catalog.taxRatesFor(offer.taxRateId, sub.subscriberId));
      charges.push({
        id: uuidv7(now.getTime()),
        subscriberId: sub.subscriberId,
        subscriptionId: sub.id,
        currency: sub.currency,
        kind: 'overage',
        description:
          `Data over the included ${includedLabel(bucket.includedBytes!)} GB, ` +
          `${periodLabel(bucket.periodStart.getTime(), bucket.periodEnd.getTime(), timeZone)}: ` +
          `${gbLabel(overage)} GB`,
        quantity: 1,
        amount: taxed.net,
        taxAmount: taxed.tax,
        taxes: taxed.taxes,
        periodStart: bucket.periodStart,
        periodEnd: bucket.periodEnd,
        createdAt: now,
      });
    }
    for (const chunk of chunked(charges, 500)) await tx.insert(pendingCharges).values(chunk);
    written += charges.length;
  }
  return written;
}
