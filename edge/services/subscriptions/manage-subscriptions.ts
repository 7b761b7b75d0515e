import { and, desc, eq, lt, notInArray } from 'drizzle-orm';
import { subscriptionAddons, subscriptions, type SubscriptionStatus } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { defaultAnchor } from '../billing/periods.ts';
import { isUniqueViolation } from '../catalog/catalog-store.ts';
import { offerPrice } from '../catalog/find-offer.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { pageOf } from '../page-of.ts';
import { findWritableSubscriber } from '../subscribers/find-subscriber.ts';
import { loadBillingCatalog, type BillingCatalog } from './billing-catalog.ts';
import { findSubscription, presentSubscription, presentSubscriptionDetail } from './present-subscription.ts';
import type { SubscriptionRow } from './subscription-pricing.ts';
import { inTimeWindow, type TimeWindow } from '../time-window.ts';

export type CreateSubscriptionInput = {
  subscriber_id: string;
  offer_id: string;
  start_at: string;
  billing_anchor_day?: number | undefined;
  currency?: string | undefined;
  username?: string | null | undefined;
  price_override?: number | null | undefined;
  discount_id?: string | null | undefined;
  addons?: { addon_id: string; quantity: number }[] | undefined;
};

export type UpdateSubscriptionInput = {
  username?: string | null | undefined;
  price_override?: number | null | undefined;
  discount_id?: string | null | undefined;
};

const unusable = (errors: FieldError[]) =>
  new AppError('unprocessable', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });

/** A catalog item a new sale may name: it exists and is not archived. */
function usable<T extends { archivedAt: Date | null }>(find: () => T, path: string, errors: FieldError[]): T | null {
  try {
    const row = find();
    if (row.archivedAt) errors.push({ path, message: 'is archived' });
    return row;
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') {
      errors.push({ path, message: 'does not exist' });
      return null;
    }
    throw error;
  }
}

function assertDiscountUsable(catalog: BillingCatalog, id: string) {
  const errors: FieldError[] = [];
  usable(() => catalog.discount(id), 'discount_id', errors);
  if (errors.length) throw unusable(errors);
}

/** One live subscription per service line (business-rules.md "State machines"). */
async function assertUsernameFree(tx: TenantTx, username: string, except?: string) {
  const [clash] = await tx
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(and(eq(subscriptions.username, username), notInArray(subscriptions.status, ['canceled', 'expired'])));
  if (clash && clash.id !== except) throw usernameTaken(username);
}

const usernameTaken = (username: string) =>
  new AppError('conflict', `service line ${username} already has a live subscription`, {
    errors: [{ path: 'username', message: 'already used by a live subscription' }],
  });

async function uniqueUsername<T>(username: string | null, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (username && isUniqueViolation(error)) throw usernameTaken(username);
    throw error;
  }
}

/**
 * A pending subscription: the offer's cycle anchored at the requested billing day, else
 * the subscriber's, else the start's local day, in the tenant's time zone. Nothing is billed until activation.
 */
export async function createSubscription({ ctx, input }: { ctx: TenantContext; input: CreateSubscriptionInput }) {
  const now = new Date(ctx.platform.now());
  const startAt = new Date(input.start_at);
  const currency = input.currency ?? ctx.tenant.currency;
  const username = input.username ?? null;
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findWritableSubscriber(tx, input.subscriber_id);
    const catalog = await loadBillingCatalog(tx, now);
    const errors: FieldError[] = [];
    const offer = usable(() => catalog.offer(input.offer_id), 'offer_id', errors);
    if (offer && offerPrice(offer, currency) === null && input.price_override == null)
      errors.push({ path: 'currency', message: `offer ${offer.code} has no price in ${currency}` });
    if (input.discount_id) usable(() => catalog.discount(input.discount_id!), 'discount_id', errors);
    const addonIds = new Set<string>();
    (input.addons ?? []).forEach((item, i) => {
      const addon = usable(() => catalog.addon(item.addon_id), `addons.${i}.addon_id`, errors);
      if (addonIds.has(item.addon_id)) errors.push({ path: `addons.${i}.addon_id`, message: 'listed twice' });
      addonIds.add(item.addon_id);
      if (addon && !addon.prices.some((p) => p.currency === currency))
        errors.push({ path: `addons.${i}.addon_id`, message: `add-on ${addon.code} has no price in ${currency}` });
    });
    if (errors.length || !offer) throw unusable(errors);
    if (offer.billingCycle === 'weekly' && input.billing_anchor_day !== undefined && input.billing_anchor_day > 7) {
      throw new AppError('validation_failed', 'a weekly offer is anchored to an ISO weekday', {
        errors: [{ path: 'billing_anchor_day', message: 'must be 1 (Monday) … 7 (Sunday) for a weekly offer' }],
      });
    }
    // The subscriber's billing day is a day of the month: it anchors monthly, quarterly and
    // annual cycles when the request names no day (issue 13 D7); weekly ones take a weekday.
    const monthDay = offer.billingCycle === 'daily' || offer.billingCycle === 'weekly' ? null : subscriber.billingDay;
    const anchor = defaultAnchor(
      offer.billingCycle,
      startAt.getTime(),
      ctx.tenant.timezone,
      input.billing_anchor_day ?? monthDay,
    );
    if (username) await assertUsernameFree(tx, username);
    const id = uuidv7(now.getTime());
    const [row] = await uniqueUsername(username, () =>
      tx
        .insert(subscriptions)
        .values({
          id,
          subscriberId: subscriber.id,
          offerId: offer.id,
          status: 'pending',
          username,
          currency,
          priceOverride: input.price_override ?? null,
          billingCycle: anchor.cycle,
          billingAnchorDay: anchor.day,
          billingAnchorMonth: anchor.month,
          discountId: input.discount_id ?? null,
          discountCyclesUsed: 0,
          startAt,
          creditBasis: 0,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
    );
    if (input.addons?.length) {
      await tx.insert(subscriptionAddons).values(
        input.addons.map((a) => ({
          id: uuidv7(now.getTime()),
          subscriptionId: id,
          addonId: a.addon_id,
          quantity: a.quantity,
          startedAt: startAt,
          createdAt: now,
        })),
      );
    }
    const changes = {
      subscriber_id: subscriber.id,
      offer_id: offer.id,
      currency,
      username,
      start_at: startAt.toISOString(),
      billing_cycle: anchor.cycle,
      billing_anchor_day: anchor.day,
      billing_anchor_month: anchor.month,
    };
    await recordDomainEvent(
      tx,
      { type: 'subscription.created', subjectType: 'subscription', subjectId: id, payload: changes },
      now,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'subscription.created',
      resource: 'subscription',
      resourceId: id,
      changes,
    });
    return presentSubscriptionDetail(tx, row!);
  });
}

export const getSubscription = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentSubscriptionDetail(ctx.db, await findSubscription(ctx.db, input.id));

export type SubscriptionFilter = {
  subscriber_id?: string | undefined;
  status?: SubscriptionStatus | undefined;
} & TimeWindow;

/** Newest first; the cursor is the id of the last subscription returned. */
export async function listSubscriptions({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: SubscriptionFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(subscriptions)
    .where(
      and(
        input.subscriber_id ? eq(subscriptions.subscriberId, input.subscriber_id) : undefined,
        input.status ? eq(subscriptions.status, input.status) : undefined,
        inTimeWindow(subscriptions, input),
        input.cursor ? lt(subscriptions.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(subscriptions.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentSubscription, (row) => row.id);
}

const terminal = (status: SubscriptionStatus) => status === 'canceled' || status === 'expired';

/**
 * Service line, price override and discount. Money already billed is not recomputed:
 * a new price or discount applies from the next billed period.
 */
export async function updateSubscription({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: UpdateSubscriptionInput };
}) {
  const now = new Date(ctx.platform.now());
  const { patch } = input;
  return ctx.db.transaction(async (tx) => {
    const row = await findSubscription(tx, input.id);
    if (terminal(row.status)) throw new AppError('invalid_state', `a ${row.status} subscription cannot be changed`);
    const set: Partial<SubscriptionRow> = {};
    const changes: Record<string, unknown> = {};
    if (patch.username !== undefined && patch.username !== row.username) {
      if (patch.username) await assertUsernameFree(tx, patch.username, row.id);
      set.username = patch.username;
      changes.username = patch.username;
    }
    if (patch.price_override !== undefined && patch.price_override !== row.priceOverride) {
      set.priceOverride = patch.price_override;
      changes.price_override = patch.price_override;
    }
    if (patch.discount_id !== undefined && patch.discount_id !== row.discountId) {
      if (patch.discount_id) assertDiscountUsable(await loadBillingCatalog(tx, now), patch.discount_id);
      set.discountId = patch.discount_id;
      set.discountCyclesUsed = 0;
      changes.discount_id = patch.discount_id;
    }
    if (Object.keys(changes).length === 0) return presentSubscriptionDetail(tx, row);
    const [updated] = await uniqueUsername(set.username ?? null, () =>
      tx
        .update(subscriptions)
        .set({ ...set, updatedAt: now })
        .where(eq(subscriptions.id, row.id))
        .returning(),
    );
    await appendAuditEvent(tx, ctx, {
      action: 'subscription.updated',
      resource: 'subscription',
      resourceId: row.id,
      changes,
    });
    return presentSubscriptionDetail(tx, updated!);
  });
}
