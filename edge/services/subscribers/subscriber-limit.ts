// The tenant's plan limit (`max_subscribers`), one rule for every path that makes a live
// subscriber: POST, lead conversion, the CSV import and restoring an archived one
// (issue 13 D6). Archived subscribers do not count. Callers check inside their write
// transaction, so two concurrent creations cannot both take the last place.
import { count, isNull } from 'drizzle-orm';
import { subscribers } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';

/** How many more subscribers the tenant's plan allows, or null for no limit. */
export async function subscriberCapacity(ctx: TenantContext, db: TenantReader = ctx.db): Promise<number | null> {
  if (ctx.tenant.maxSubscribers === null) return null;
  const [row] = await db.select({ n: count() }).from(subscribers).where(isNull(subscribers.archivedAt));
  return Math.max(0, ctx.tenant.maxSubscribers - (row?.n ?? 0));
}

export const subscriberLimitMessage = (ctx: TenantContext, capacity: number, adding: number | string) =>
  `the tenant's plan allows ${ctx.tenant.maxSubscribers} live subscribers and ${capacity} more; this would add ` +
  `${adding}`;

/** 409 subscriber_limit_reached unless `adding` more subscribers fit. */
export async function assertSubscriberCapacity(ctx: TenantContext, db: TenantReader, adding = 1) {
  const capacity = await subscriberCapacity(ctx, db);
  if (capacity !== null && adding > capacity)
    throw new AppError('subscriber_limit_reached', subscriberLimitMessage(ctx, capacity, adding));
}
