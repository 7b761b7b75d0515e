import { and, eq, inArray, isNull } from 'drizzle-orm';
import { serviceHolds, subscriptions, type DunningAction, type HoldReason } from '../../../db/tenant/index.ts';
import { inList } from '../bulk-rows.ts';
import type { TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';

const eventOf: Record<DunningAction, string> = {
  notify: 'subscription.notified',
  throttle: 'subscription.throttled',
  suspend: 'subscription.suspended',
  reject: 'subscription.rejected',
};

/** Holds that take the service away (the rest only slow it or warn). */
const suspending = (action: DunningAction) => action === 'suspend' || action === 'reject';

/** What the network side must apply now: the harshest open hold, or none. */
async function openHoldsOf(tx: TenantTx, subscriptionId: string) {
  return tx
    .select({ reason: serviceHolds.reason, action: serviceHolds.action })
    .from(serviceHolds)
    .where(and(eq(serviceHolds.subscriptionId, subscriptionId), isNull(serviceHolds.liftedAt)));
}

/** Suspended while any open hold suspends or rejects; active otherwise (only from those two). */
async function syncStatus(tx: TenantTx, subscriptionId: string, at: Date) {
  const holds = await openHoldsOf(tx, subscriptionId);
  const [row] = await tx
    .select({ status: subscriptions.status })
    .from(subscriptions)
    .where(eq(subscriptions.id, subscriptionId));
  const wanted = holds.some((h) => suspending(h.action)) ? 'suspended' : 'active';
  if (row && (row.status === 'active' || row.status === 'suspended') && row.status !== wanted) {
    await tx
      .update(subscriptions)
      .set({ status: wanted, suspendedAt: wanted === 'suspended' ? at : null, updatedAt: at })
      .where(eq(subscriptions.id, subscriptionId));
  }
  return holds;
}

/**
 * Places (or escalates) the hold for `reason` on a live subscription and records the
 * event the network side consumes (`subscription.throttled`, `.suspended`, …). A hold
 * only moves to a harsher action; asking for the same or a milder one changes nothing
 * and records nothing. Returns whether anything changed.
 */
export async function placeHold(
  tx: TenantTx,
  input: { subscriptionId: string; reason: HoldReason; action: DunningAction; note?: string | null },
  at: Date,
): Promise<boolean> {
  const order: DunningAction[] = ['notify', 'throttle', 'suspend', 'reject'];
  const [open] = await tx
    .select()
    .from(serviceHolds)
    .where(
      and(
        eq(serviceHolds.subscriptionId, input.subscriptionId),
        eq(serviceHolds.reason, input.reason),
        isNull(serviceHolds.liftedAt),
      ),
    );
  if (open && order.indexOf(open.action) >= order.indexOf(input.action)) return false;
  if (open) {
    await tx
      .update(serviceHolds)
      .set({ action: input.action, note: input.note ?? open.note })
      .where(eq(serviceHolds.id, open.id));
  } else {
    await tx.insert(serviceHolds).values({
      id: uuidv7(at.getTime()),
      subscriptionId: input.subscriptionId,
      reason: input.reason,
      action: input.action,
      note: input.note ?? null,
      placedAt: at,
    });
  }
  const holds = await syncStatus(tx, input.subscriptionId, at);
  await recordDomainEvent(
    tx,
    {
      type: eventOf[input.action],
      subjectType: 'subscription',
      subjectId: input.subscriptionId,
      payload: { reason: input.reason, action: input.action, note: input.note ?? null, open_holds: holds },
    },
    at,
  );
  return true;
}

/**
 * Lifts the open holds for `reason` on these subscriptions, exactly once: the update is
 * conditional on the hold still being open, so a second payment, a retried request or a
 * concurrent run finds nothing to lift and records nothing. One `subscription.restored`
 * per lifted hold, with the holds still open (another reason may keep it throttled).
 */
export async function liftHolds(
  tx: TenantTx,
  input: { subscriptionIds: readonly string[]; reasons: readonly HoldReason[]; by: string },
  at: Date,
): Promise<number> {
  if (input.subscriptionIds.length === 0 || input.reasons.length === 0) return 0;
  const lifted = await tx
    .update(serviceHolds)
    .set({ liftedAt: at, liftedBy: input.by })
    .where(
      and(
        inList(serviceHolds.subscriptionId, input.subscriptionIds),
        inArray(serviceHolds.reason, input.reasons),
        isNull(serviceHolds.liftedAt),
      ),
    )
    .returning();
  for (const hold of lifted) {
    const holds = await syncStatus(tx, hold.subscriptionId, at);
    await recordDomainEvent(
      tx,
      {
        type: 'subscription.restored',
        subjectType: 'subscription',
        subjectId: hold.subscriptionId,
        payload: { reason: hold.reason, lifted_action: hold.action, by: input.by, open_holds: holds },
      },
      at,
    );
  }
  return lifted.length;
}
