import { and, asc, eq, gt, inArray, isNotNull } from 'drizzle-orm';
import {
  collectionCases,
  invoiceLines,
  invoices,
  subscribers,
  subscriptions,
  type DunningAction,
  type DunningStep,
} from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { addLocalDays, localParts } from '../billing/calendar.ts';
import type { PolicySetRow } from '../catalog/present.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import type { BillingCatalog } from '../subscriptions/billing-catalog.ts';
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

const dayMs = 86_400_000;

/**
 * Whole local days from `from` to `to`: the largest n with from + n local days ≤ to (a
 * local day is 23 or 25 hours across a DST change). Negative when `to` is earlier.
 */
export function wholeLocalDays(from: number, to: number, timeZone: string): number {
  const a = localParts(from, timeZone);
  const b = localParts(to, timeZone);
  let days = Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / dayMs);
  if (addLocalDays(from, days, timeZone) > to) days -= 1;
  return days;
}

const takesService = (action: DunningAction) => action === 'suspend' || action === 'reject';

/** The grace the subscriber gets under `policy`: its own grace_days when set (> 0), else the policy set's. */
const graceUnder = (policy: PolicySetRow, subscriberGrace: number) =>
  subscriberGrace > 0 ? subscriberGrace : policy.graceDays;

/**
 * Of several policy sets (subscriptions on different offers billed on the overdue
 * invoices), the strictest: the one whose ladder takes service away soonest counting its
 * grace, then the one acting first at all, then by id (so the choice is stable).
 */
export function strictestPolicy(policies: readonly PolicySetRow[], subscriberGrace: number): PolicySetRow {
  const key = (p: PolicySetRow) => {
    const grace = graceUnder(p, subscriberGrace);
    const offsets = (pred: (s: DunningStep) => boolean) => p.dunningSteps.filter(pred).map((s) => s.day_offset);
    return [
      grace + Math.min(...offsets((s) => takesService(s.action))),
      grace + Math.min(...offsets(() => true)),
    ] as const;
  };
  return [...policies].sort((x, y) => {
    const [kx, ky] = [key(x), key(y)];
    return kx[0] - ky[0] || kx[1] - ky[1] || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
  })[0]!;
}

/** The highest step whose day_offset has been reached, if any. */
export function dueStep(steps: readonly DunningStep[], overdueDays: number): DunningStep | undefined {
  return [...steps]
    .sort((a, b) => a.day_offset - b.day_offset)
    .filter((s) => s.day_offset <= overdueDays)
    .at(-1);
}

export type DunningInput = {
  catalog: BillingCatalog;
  timeZone: string;
  asOf: Date;
  now: Date;
  runId: string;
  cursor: string | null;
  limit: number;
};

/**
 * One chunk of the dunning walk, in the caller's write transaction: subscribers with
 * overdue invoices or an open overdue case, by id after `cursor`. Returns the ids seen
 * (the walk ends when a chunk sees none) and what was done.
 */
export async function dunChunk(
  tx: TenantTx,
  input: DunningInput,
): Promise<{ seen: string[]; actions: CollectionAction[] }> {
  const after = input.cursor === null ? undefined : gt(invoices.subscriberId, input.cursor);
  // invoices_overdue (partial, by subscriber) serves this walk.
  const withOverdue = await tx
    .selectDistinct({ id: invoices.subscriberId })
    .from(invoices)
    .where(and(eq(invoices.status, 'overdue'), gt(invoices.balanceDue, 0), after))
    .orderBy(asc(invoices.subscriberId))
    .limit(input.limit);
  const withCase = await tx
    .select({ id: collectionCases.subscriberId })
    .from(collectionCases)
    .where(
      and(
        eq(collectionCases.kind, 'overdue'),
        eq(collectionCases.status, 'open'),
        input.cursor === null ? undefined : gt(collectionCases.subscriberId, input.cursor),
      ),
    )
    .orderBy(asc(collectionCases.subscriberId))
    .limit(input.limit);
  const seen = unionPage([withOverdue.map((r) => r.id), withCase.map((r) => r.id)], input.limit);
  const actions: CollectionAction[] = [];
  for (const subscriberId of seen) actions.push(...(await dunSubscriber(tx, input, subscriberId)));
  return { seen, actions };
}

async function dunSubscriber(tx: TenantTx, input: DunningInput, subscriberId: string): Promise<CollectionAction[]> {
  const { asOf, now } = input;
  const overdue = await tx
    .select({ id: invoices.id, currency: invoices.currency, dueAt: invoices.dueAt, balanceDue: invoices.balanceDue })
    .from(invoices)
    .where(and(eq(invoices.subscriberId, subscriberId), eq(invoices.status, 'overdue'), gt(invoices.balanceDue, 0)))
    .orderBy(asc(invoices.dueAt), asc(invoices.id));
  const open = await findOpenCase(tx, subscriberId, 'overdue');
  if (overdue.length === 0) {
    // Settled some other way than a payment (a void, say): the overdue restore still happens, once.
    if (!open || !(await closeCase(tx, open, 'settled', asOf, now))) return [];
    return restoreHolds(tx, subscriberId, 'overdue', `collection_run:${input.runId}`, asOf);
  }

  const [subscriber] = await tx
    .select({ graceDays: subscribers.graceDays })
    .from(subscribers)
    .where(eq(subscribers.id, subscriberId));
  const billedIds = await tx
    .selectDistinct({ id: invoiceLines.subscriptionId })
    .from(invoiceLines)
    .where(
      and(
        inArray(
          invoiceLines.invoiceId,
          overdue.map((i) => i.id),
        ),
        isNotNull(invoiceLines.subscriptionId),
      ),
    );
  const billed = billedIds.length
    ? await tx
        .select()
        .from(subscriptions)
        .where(
          inArray(
            subscriptions.id,
            billedIds.map((b) => b.id!),
          ),
        )
        .orderBy(asc(subscriptions.id))
    : [];
  const subscriberGrace = subscriber?.graceDays ?? 0;
  const policies = billed.length
    ? billed.map((s) => input.catalog.policyFor(input.catalog.offer(s.offerId)))
    : [input.catalog.policyFor(null)];
  const policy = strictestPolicy(policies, subscriberGrace);
  const overdueDays =
    Math.max(...overdue.map((i) => wholeLocalDays(i.dueAt!.getTime(), asOf.getTime(), input.timeZone))) -
    graceUnder(policy, subscriberGrace);
  const step = dueStep(policy.dunningSteps, overdueDays);
  if (!step || (open && open.step !== null && open.step >= step.day_offset)) return [];

  // The case moves first; only the run that moved it acts, so no action happens twice.
  let moved: CaseRow | null = open
    ? await advanceCase(tx, open, step.day_offset, step.action, asOf, now)
    : await openCase(
        tx,
        { id: uuidv7(now.getTime()), subscriberId, kind: 'overdue', step: step.day_offset, action: step.action },
        asOf,
        now,
      );
  if (!moved && !open) {
    const raced = await findOpenCase(tx, subscriberId, 'overdue');
    moved = raced ? await advanceCase(tx, raced, step.day_offset, step.action, asOf, now) : null;
  }
  if (!moved) return [];

  if (step.action === 'notify') {
    const byCurrency = new Map<string, number>();
    for (const i of overdue) byCurrency.set(i.currency, (byCurrency.get(i.currency) ?? 0) + i.balanceDue);
    const currency = overdue[0]!.currency;
    const payload = {
      case_id: moved.id,
      step: step.day_offset,
      overdue_days: overdueDays,
      overdue_amount: byCurrency.get(currency)!,
      currency,
      overdue_by_currency: [...byCurrency].map(([c, amount]) => ({ currency: c, amount })),
      invoice_ids: overdue.map((i) => i.id),
    };
    await recordDomainEvent(
      tx,
      { type: 'subscriber.dunning_notice', subjectType: 'subscriber', subjectId: subscriberId, payload },
      asOf,
    );
    return [{ subscriber_id: subscriberId, action: 'notify', reason: 'overdue', step: step.day_offset }];
  }

  // Only the subscriptions billed on the overdue invoices: an annual plan paid in advance
  // is not held for another subscription's debt (business-rules.md "Collections").
  const profile = step.action === 'throttle' ? `; throttle profile ${input.catalog.settings.throttleProfile}` : '';
  const note = `overdue ${overdueDays} day(s): dunning step ${step.day_offset} (${step.action})${profile}`;
  const actions: CollectionAction[] = [];
  for (const sub of billed) {
    if (sub.status !== 'active' && sub.status !== 'suspended') continue;
    if (await placeHold(tx, { subscriptionId: sub.id, reason: 'overdue', action: step.action, note }, asOf)) {
      actions.push({
        subscriber_id: subscriberId,
        subscription_id: sub.id,
        action: step.action,
        reason: 'overdue',
        step: step.day_offset,
      });
    }
  }
  return actions;
}
