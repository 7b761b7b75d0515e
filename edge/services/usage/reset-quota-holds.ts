// Cap reset (business-rules.md "Restore is reason-scoped"): `fup` is lifted on a cap reset
// (the subscription's next period) or a top-up/reset by an admin, exactly once: liftHolds
// only lifts a hold still open, so a repeated reset restores nothing and records nothing.
import { and, eq, gt, inArray, isNotNull, isNull, lte } from 'drizzle-orm';
import { quotaBuckets, serviceHolds } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { inList } from '../bulk-rows.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { periodContaining } from '../billing/periods.ts';
import { findSubscription } from '../subscriptions/present-subscription.ts';
import { liftHolds } from '../subscriptions/service-holds.ts';
import { anchorOf } from '../subscriptions/subscription-pricing.ts';
import { chunked, presentBucket } from './quota-buckets.ts';

/**
 * The cap reset of a new period, for the billing run: lifts the open `fup` holds of these
 * subscriptions (by `quota_reset`) and stamps `reset_at` on their exhausted buckets of
 * periods that ended by `at`. A subscription whose bucket containing `at` is itself
 * exhausted and not reset keeps its hold: that period's cap is still spent. Returns the
 * number of holds lifted.
 */
export async function resetQuotaHolds(tx: TenantTx, subscriptionIds: readonly string[], at: Date): Promise<number> {
  let lifted = 0;
  for (const ids of chunked([...new Set(subscriptionIds)], 500)) {
    const holding = await tx
      .select({ subscriptionId: serviceHolds.subscriptionId })
      .from(serviceHolds)
      .where(
        and(inList(serviceHolds.subscriptionId, ids), eq(serviceHolds.reason, 'fup'), isNull(serviceHolds.liftedAt)),
      );
    if (holding.length === 0) continue;
    const spentNow = new Set(
      (
        await tx
          .select({ subscriptionId: quotaBuckets.subscriptionId })
          .from(quotaBuckets)
          .where(
            and(
              inArray(
                quotaBuckets.subscriptionId,
                holding.map((h) => h.subscriptionId),
              ),
              lte(quotaBuckets.periodStart, at),
              gt(quotaBuckets.periodEnd, at),
              isNotNull(quotaBuckets.exhaustedAt),
              isNull(quotaBuckets.resetAt),
            ),
          )
      ).map((b) => b.subscriptionId),
    );
    const resettable = holding.map((h) => h.subscriptionId).filter((id) => !spentNow.has(id));
    if (resettable.length === 0) continue;
    await tx
      .update(quotaBuckets)
      .set({ resetAt: at, updatedAt: at })
      .where(
        and(
          inList(quotaBuckets.subscriptionId, resettable),
          lte(quotaBuckets.periodEnd, at),
          isNotNull(quotaBuckets.exhaustedAt),
          isNull(quotaBuckets.resetAt),
        ),
      );
    lifted += await liftHolds(tx, { subscriptionIds: resettable, reasons: ['fup'], by: 'quota_reset' }, at);
  }
  return lifted;
}

/**
 * An admin's top-up/reset: lifts the subscription's open `fup` hold (exactly once; a second
 * reset restores nothing) and stamps `reset_at` on its exhausted buckets not yet reset. The
 * bucket keeps its numbers and its exhaustion stamp, so the cap does not throttle again
 * in this period; the next period starts a fresh bucket.
 */
export async function resetQuota({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const sub = await findSubscription(tx, input.id);
    const reset = await tx
      .update(quotaBuckets)
      .set({ resetAt: now, updatedAt: now })
      .where(
        and(eq(quotaBuckets.subscriptionId, sub.id), isNotNull(quotaBuckets.exhaustedAt), isNull(quotaBuckets.resetAt)),
      )
      .returning({ id: quotaBuckets.id });
    const lifted = await liftHolds(
      tx,
      { subscriptionIds: [sub.id], reasons: ['fup'], by: ctx.actor.id ?? ctx.actor.type },
      now,
    );
    if (lifted > 0 || reset.length > 0) {
      await appendAuditEvent(tx, ctx, {
        action: 'subscription.quota_reset',
        resource: 'subscription',
        resourceId: sub.id,
        changes: { holds_lifted: lifted, buckets_reset: reset.map((b) => b.id) },
      });
    }
    const current = sub.activatedAt
      ? periodContaining(Math.max(now.getTime(), sub.activatedAt.getTime()), anchorOf(sub), ctx.tenant.timezone)
      : null;
    const [bucket] = current
      ? await tx
          .select()
          .from(quotaBuckets)
          .where(and(eq(quotaBuckets.subscriptionId, sub.id), eq(quotaBuckets.periodStart, new Date(current.start))))
      : [];
    return {
      subscription_id: sub.id,
      restored: lifted > 0,
      buckets_reset: reset.length,
      current: bucket ? presentBucket(bucket) : null,
    };
  });
}
