import { and, asc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import { collectionCases, offers, subscribers, subscriptions } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { jsonInteger } from '../../lib/json-integer.ts';
import { addLocalDays, localParts } from '../billing/calendar.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { subscriberBalance } from '../ledger/subscriber-balance.ts';
import type { BillingCatalog } from '../subscriptions/billing-catalog.ts';
import { endSubscription } from '../subscriptions/cancel-subscription.ts';
import type { SubscriptionRow } from '../subscriptions/subscription-pricing.ts';
import { placeHold } from '../subscriptions/service-holds.ts';
import {
  advanceCase,
  closeCase,
  findOpenCase,
  openCase,
  restoreHolds,
  unionPage,
  type CaseRow,
  type CollectionAction,
} from './manage-cases.ts';

/** The stages of a prepaid case (its `step`). */
export const prepaidStage = { lowBalance: 0, suspended: 1, canceled: 2 } as const;

const live = ['active', 'suspended'] as const;
// A subscription whose service has ended is only waiting for the billing run to close it.
const notEnded = (asOf: Date) => or(isNull(subscriptions.endsAt), gt(subscriptions.endsAt, asOf));

/**
 * Whether prepaid enforcement may act at `at`: its local hour is in the tenant's window
 * [start, end). A window whose start is after its end runs over midnight (22–6).
 */
export function insideEnforcementWindow(
  at: Date,
  timeZone: string,
  window: { enforcementStartHour: number; enforcementEndHour: number },
): boolean {
  const { hour } = localParts(at.getTime(), timeZone);
  const { enforcementStartHour: start, enforcementEndHour: end } = window;
  return start <= end ? start <= hour && hour < end : hour >= start || hour < end;
}

export type PrepaidInput = {
  catalog: BillingCatalog;
  timeZone: string;
  asOf: Date;
  now: Date;
  runId: string;
  enforce: boolean;
  cursor: string | null;
  limit: number;
};

/**
 * One chunk of the prepaid walk, in the caller's write transaction: subscribers with live
 * prepaid subscriptions (only while enforcing) or an open prepaid case, by id after
 * `cursor`. Restores (a case whose subscriber is back at the minimum) happen whatever the
 * hour; warnings, suspensions and cancellations only inside the window (`enforce`).
 */
export async function enforcePrepaidChunk(
  tx: TenantTx,
  input: PrepaidInput,
): Promise<{ seen: string[]; actions: CollectionAction[] }> {
  const withPrepaid = input.enforce
    ? await tx
        .selectDistinct({ id: subscriptions.subscriberId })
        .from(subscriptions)
        .innerJoin(offers, eq(offers.id, subscriptions.offerId))
        .where(
          and(
            inArray(subscriptions.status, live),
            notEnded(input.asOf),
            eq(offers.billingMode, 'prepaid'),
            input.cursor === null ? undefined : gt(subscriptions.subscriberId, input.cursor),
          ),
        )
        .orderBy(asc(subscriptions.subscriberId))
        .limit(input.limit)
    : [];
  const withCase = await tx
    .select({ id: collectionCases.subscriberId })
    .from(collectionCases)
    .where(
      and(
        eq(collectionCases.kind, 'prepaid'),
        eq(collectionCases.status, 'open'),
        input.cursor === null ? undefined : gt(collectionCases.subscriberId, input.cursor),
      ),
    )
    .orderBy(asc(collectionCases.subscriberId))
    .limit(input.limit);
  const seen = unionPage([withPrepaid.map((r) => r.id), withCase.map((r) => r.id)], input.limit);
  const actions: CollectionAction[] = [];
  for (const subscriberId of seen) actions.push(...(await enforceSubscriber(tx, input, subscriberId)));
  return { seen, actions };
}

async function enforceSubscriber(tx: TenantTx, input: PrepaidInput, subscriberId: string): Promise<CollectionAction[]> {
  const { asOf, now, timeZone } = input;
  const by = `collection_run:${input.runId}`;
  const prepaid = await tx
    .select({ sub: subscriptions })
    .from(subscriptions)
    .innerJoin(offers, eq(offers.id, subscriptions.offerId))
    .where(
      and(
        eq(subscriptions.subscriberId, subscriberId),
        inArray(subscriptions.status, live),
        notEnded(asOf),
        eq(offers.billingMode, 'prepaid'),
      ),
    )
    .orderBy(asc(subscriptions.id));
  const subs = prepaid.map((r) => r.sub);
  let open: CaseRow | null = (await findOpenCase(tx, subscriberId, 'prepaid')) ?? null;
  if (subs.length === 0) {
    // Nothing prepaid left to enforce (canceled meanwhile): the case ends without a restore.
    if (open) await closeCase(tx, open, 'no_prepaid_service', asOf, now);
    return [];
  }

  const [subscriber] = await tx
    .select({ minBalance: subscribers.minBalance })
    .from(subscribers)
    .where(eq(subscribers.id, subscriberId));
  const minBalance = subscriber?.minBalance ?? 0;
  // Per currency of the prepaid subscriptions; the lowest one decides.
  const positions = [];
  for (const currency of [...new Set(subs.map((s) => s.currency))].sort()) {
    const balance = await subscriberBalance(tx, subscriberId, currency);
    positions.push({ currency, available: balance.credit - balance.outstanding });
  }
  const lowest = positions.reduce((a, b) => (b.available < a.available ? b : a));

  if (lowest.available >= BigInt(minBalance)) {
    if (!open || !(await closeCase(tx, open, 'topped_up', asOf, now))) return [];
    return restoreHolds(tx, subscriberId, 'prepaid', by, asOf);
  }
  if (!input.enforce) return [];

  const policies = subs.map((s) => input.catalog.policyFor(input.catalog.offer(s.offerId)));
  const graceDays = Math.min(...policies.map((p) => p.prepaidGraceDays));
  const deactivationDays = Math.min(...policies.map((p) => p.prepaidDeactivationDays));
  const actions: CollectionAction[] = [];

  if (!open) {
    open = await openCase(
      tx,
      {
        id: uuidv7(now.getTime()),
        subscriberId,
        kind: 'prepaid',
        step: prepaidStage.lowBalance,
        action: 'low_balance',
      },
      asOf,
      now,
    );
    if (!open) return [];
    const payload = {
      case_id: open.id,
      currency: lowest.currency,
      available: jsonInteger(lowest.available),
      min_balance: minBalance,
      suspend_after: new Date(addLocalDays(asOf.getTime(), graceDays, timeZone)).toISOString(),
    };
    await recordDomainEvent(
      tx,
      { type: 'subscriber.low_balance', subjectType: 'subscriber', subjectId: subscriberId, payload },
      asOf,
    );
    actions.push({
      subscriber_id: subscriberId,
      action: 'low_balance',
      reason: 'prepaid',
      step: prepaidStage.lowBalance,
    });
  }

  // Warned for the grace days since the case opened: suspend the prepaid subscriptions.
  if (
    open.step === prepaidStage.lowBalance &&
    asOf.getTime() >= addLocalDays(open.openedAt.getTime(), graceDays, timeZone)
  ) {
    const moved: CaseRow | null = await advanceCase(tx, open, prepaidStage.suspended, 'suspend', asOf, now);
    if (!moved) return actions;
    open = moved;
    const note = `prepaid balance ${lowest.available} ${lowest.currency} below the minimum ${minBalance}`;
    for (const sub of subs) {
      if (await placeHold(tx, { subscriptionId: sub.id, reason: 'prepaid', action: 'suspend', note }, asOf)) {
        actions.push({
          subscriber_id: subscriberId,
          subscription_id: sub.id,
          action: 'suspend',
          reason: 'prepaid',
          step: prepaidStage.suspended,
        });
      }
    }
  }

  // Suspended for the deactivation days (counted from the suspension, so a late run never
  // cancels service that was not suspended first): cancel and close the case.
  if (
    open.step === prepaidStage.suspended &&
    open.lastActionAt &&
    asOf.getTime() >= addLocalDays(open.lastActionAt.getTime(), deactivationDays, timeZone)
  ) {
    const moved = await advanceCase(tx, open, prepaidStage.canceled, 'cancel', asOf, now);
    if (!moved) return actions;
    for (const sub of subs) {
      if (await cancelForBalance(tx, input, sub, moved.id)) {
        actions.push({
          subscriber_id: subscriberId,
          subscription_id: sub.id,
          action: 'cancel',
          reason: 'prepaid',
          step: prepaidStage.canceled,
        });
      }
    }
    await closeCase(tx, moved, 'canceled', asOf, now);
  }
  return actions;
}

const cancelReason = 'prepaid balance below the minimum past the deactivation days';

/**
 * Ends a live prepaid subscription at `at`, at once (service was suspended for the
 * deactivation days already), by the one cancellation path: billing stops there, what was
 * billed after it is credited per the policy, and `subscription.canceled` is recorded. One
 * already ending on its own (a cancellation with its end ahead) is left to end then.
 */
async function cancelForBalance(
  tx: TenantTx,
  input: PrepaidInput,
  sub: SubscriptionRow,
  caseId: string,
): Promise<boolean> {
  if (sub.endsAt) return false;
  const { asOf: at, now, catalog, timeZone } = input;
  const { creditNoteId } = await endSubscription(tx, {
    row: sub,
    at,
    endsAt: at.getTime(),
    reason: cancelReason,
    catalog,
    timeZone,
    now,
  });
  const payload = {
    reason: cancelReason,
    canceled_at: at.toISOString(),
    ends_at: at.toISOString(),
    case_id: caseId,
    credit_note_id: creditNoteId,
  };
  await recordDomainEvent(
    tx,
    { type: 'subscription.canceled', subjectType: 'subscription', subjectId: sub.id, payload },
    at,
  );
  return true;
}
