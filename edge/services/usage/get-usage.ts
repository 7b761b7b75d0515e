import { and, eq } from 'drizzle-orm';
import { offers, quotaBuckets } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { periodContaining } from '../billing/periods.ts';
import { findSubscription } from '../subscriptions/present-subscription.ts';
import { anchorOf } from '../subscriptions/subscription-pricing.ts';
import { includedBytesFor, presentBucket } from './quota-buckets.ts';

/**
 * The quota bucket of the period containing `period_start` (default: now). A period with no
 * usage recorded yet shows 0 used of the volume it would get (bucket_id null).
 */
export async function getUsage({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; period_start?: string | undefined };
}) {
  const sub = await findSubscription(ctx.db, input.id);
  if (!sub.activatedAt)
    throw new AppError('invalid_state', `subscription ${sub.id} was never activated, so it has no usage`);
  const at = input.period_start ? Date.parse(input.period_start) : ctx.platform.now();
  const period = periodContaining(Math.max(at, sub.activatedAt.getTime()), anchorOf(sub), ctx.tenant.timezone);
  const [bucket] = await ctx.db
    .select()
    .from(quotaBuckets)
    .where(and(eq(quotaBuckets.subscriptionId, sub.id), eq(quotaBuckets.periodStart, new Date(period.start))));
  if (bucket) return presentBucket(bucket);
  const [offer] = await ctx.db.select({ includedGb: offers.includedGb }).from(offers).where(eq(offers.id, sub.offerId));
  return presentBucket({
    id: null,
    subscriptionId: sub.id,
    periodStart: new Date(period.start),
    periodEnd: new Date(period.end),
    includedBytes: includedBytesFor(offer?.includedGb ?? null, sub.activatedAt, period),
    usedBytes: 0,
    warned80At: null,
    warned90At: null,
    exhaustedAt: null,
    resetAt: null,
    ratedAt: null,
  });
}
