import { and, asc, eq, isNotNull, lte, ne } from 'drizzle-orm';
import { subscriptionChanges, subscriptions } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { insertCreditNote } from '../credit-notes/manage-credit-notes.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { applyAccountCredit } from '../invoices/apply-account-credit.ts';
import { invoiceDueAt, issueInvoices, type InvoiceLineDraft } from '../invoices/issue-invoices.ts';
import { findSubscriber } from '../subscribers/find-subscriber.ts';
import { loadBillingCatalog, type BillingCatalog } from './billing-catalog.ts';
import { planChange, type PlannedChange } from './plan-change.ts';
import { findSubscription, presentChange, presentSubscriptionDetail, type ChangeRow } from './present-subscription.ts';
import { addPendingCharges } from './subscription-lifecycle.ts';
import type { SubscriptionRow } from './subscription-pricing.ts';
import { isoOrNull } from '../../lib/instants.ts';

export type ChangePlanInput = { id: string; offer_id: string; effective_at?: string | undefined };

export const presentLine = (line: InvoiceLineDraft) => ({
  kind: line.kind,
  description: line.description,
  quantity: line.quantity ?? 1,
  amount: line.amount,
  tax_amount: line.taxAmount,
  taxes: line.taxes,
  period_start: isoOrNull(line.periodStart),
  period_end: isoOrNull(line.periodEnd),
});

export const presentPlannedChange = (plan: PlannedChange) => ({
  currency: plan.currency,
  from_offer_id: plan.fromOfferId,
  to_offer_id: plan.toOfferId,
  effective_at: new Date(plan.effectiveAt).toISOString(),
  scheduled: plan.scheduled,
  credit: plan.credit,
  charge: plan.charge,
  net: plan.net,
  fee: plan.fee,
  total: plan.total,
  outcome: plan.outcome,
  lines: plan.lines.map(presentLine),
});

/** The catalog with the subscriber's tax jurisdiction loaded, as the planner prices lines. */
async function catalogFor(tx: TenantTx, sub: SubscriptionRow, now: number): Promise<BillingCatalog> {
  const catalog = await loadBillingCatalog(tx, new Date(now));
  await catalog.loadJurisdictions(tx, [sub.subscriberId]);
  return catalog;
}

function plan(ctx: TenantContext, sub: SubscriptionRow, catalog: BillingCatalog, input: ChangePlanInput, now: number) {
  const effectiveAt = input.effective_at === undefined ? now : new Date(input.effective_at).getTime();
  return planChange({ sub, catalog, timeZone: ctx.tenant.timezone, toOfferId: input.offer_id, effectiveAt, now });
}

/** What the change would move, as the customer confirms it ("you pay X today"). Writes nothing. */
export async function previewPlanChange({ ctx, input }: { ctx: TenantContext; input: ChangePlanInput }) {
  const now = ctx.platform.now();
  return ctx.db.transaction(async (tx) => {
    const sub = await findSubscription(tx, input.id);
    return presentPlannedChange(plan(ctx, sub, await catalogFor(tx, sub, now), input, now));
  });
}

/** Changes the plan now (exactly what the preview showed), or schedules it for a future effective_at. */
export async function changePlan({ ctx, input }: { ctx: TenantContext; input: ChangePlanInput }) {
  const now = ctx.platform.now();
  return ctx.db.transaction(async (tx) => {
    const sub = await findSubscription(tx, input.id);
    const planned = plan(ctx, sub, await catalogFor(tx, sub, now), input, now);
    const change = planned.scheduled
      ? await scheduleChange(tx, ctx, sub, planned, new Date(now))
      : await applyPlannedChange(tx, ctx, sub, planned, new Date(now));
    return {
      ...presentPlannedChange(planned),
      change: presentChange(change),
      subscription: await presentSubscriptionDetail(tx, await findSubscription(tx, sub.id)),
    };
  });
}

/**
 * Cancels the subscription's scheduled change (a newer change or a cancellation replaces it); `except` is the one being
 * applied.
 */
export async function dropScheduledChange(tx: TenantTx, subscriptionId: string, at: Date, except?: string) {
  const dropped = await tx
    .update(subscriptionChanges)
    .set({ status: 'canceled' })
    .where(
      and(
        eq(subscriptionChanges.subscriptionId, subscriptionId),
        eq(subscriptionChanges.status, 'scheduled'),
        except ? ne(subscriptionChanges.id, except) : undefined,
      ),
    )
    .returning();
  await tx
    .update(subscriptions)
    .set({ scheduledOfferId: null, scheduledChangeAt: null })
    .where(eq(subscriptions.id, subscriptionId));
  for (const change of dropped) {
    await recordDomainEvent(
      tx,
      {
        type: 'subscription.plan_change_canceled',
        subjectType: 'subscription',
        subjectId: subscriptionId,
        payload: { change_id: change.id, to_offer_id: change.toOfferId },
      },
      at,
    );
  }
}

async function scheduleChange(
  tx: TenantTx,
  ctx: TenantContext,
  sub: SubscriptionRow,
  planned: PlannedChange,
  now: Date,
): Promise<ChangeRow> {
  await dropScheduledChange(tx, sub.id, now);
  const effectiveAt = new Date(planned.effectiveAt);
  await tx
    .update(subscriptions)
    .set({ scheduledOfferId: planned.toOfferId, scheduledChangeAt: effectiveAt, updatedAt: now })
    .where(eq(subscriptions.id, sub.id));
  const [change] = await tx
    .insert(subscriptionChanges)
    .values({
      id: uuidv7(now.getTime()),
      subscriptionId: sub.id,
      fromOfferId: sub.offerId,
      toOfferId: planned.toOfferId,
      effectiveAt,
      status: 'scheduled',
      currency: planned.currency,
      credit: planned.credit,
      charge: planned.charge,
      net: planned.net,
      createdAt: now,
    })
    .returning();
  const payload = {
    change_id: change!.id,
    from_offer_id: sub.offerId,
    to_offer_id: planned.toOfferId,
    effective_at: effectiveAt.toISOString(),
    credit: planned.credit,
    charge: planned.charge,
    net: planned.net,
  };
  await recordDomainEvent(
    tx,
    { type: 'subscription.plan_change_scheduled', subjectType: 'subscription', subjectId: sub.id, payload },
    now,
  );
  await appendAuditEvent(tx, ctx, {
    action: 'subscription.plan_change_scheduled',
    resource: 'subscription',
    resourceId: sub.id,
    changes: payload,
  });
  return change!;
}

/**
 * Writes a planned change at `at`: the subscription's new offer, anchor and credit_basis,
 * then the money as planned (invoice, pending charges or credit note), the change record,
 * `subscription.plan_changed` and an audit entry. `changeId` is the scheduled change being applied.
 */
async function applyPlannedChange(
  tx: TenantTx,
  ctx: TenantContext,
  sub: SubscriptionRow,
  planned: PlannedChange,
  at: Date,
  changeId?: string,
): Promise<ChangeRow> {
  await dropScheduledChange(tx, sub.id, at, changeId);
  const [updated] = await tx
    .update(subscriptions)
    .set({
      offerId: planned.toOfferId,
      // An override priced the old offer; the new offer is sold at its own price.
      priceOverride: null,
      creditBasis: planned.creditBasis,
      billingCycle: planned.anchor.cycle,
      billingAnchorDay: planned.anchor.day,
      billingAnchorMonth: planned.anchor.month,
      updatedAt: at,
    })
    .where(
      and(
        eq(subscriptions.id, sub.id),
        eq(subscriptions.offerId, sub.offerId),
        eq(subscriptions.creditBasis, sub.creditBasis),
        eq(subscriptions.status, sub.status),
      ),
    )
    .returning();
  if (!updated) throw new AppError('conflict', `subscription ${sub.id} changed meanwhile; preview again`);

  let invoiceId: string | null = null;
  let creditNoteId: string | null = null;
  const timeZone = ctx.tenant.timezone;
  const what = `plan change ${sub.id}`;
  if (planned.outcome === 'invoice') {
    const subscriber = await findSubscriber(tx, sub.subscriberId);
    const dueAt = invoiceDueAt(at.getTime(), subscriber.paymentDueDays, timeZone);
    const [invoice] = await issueInvoices(
      tx,
      [
        {
          subscriberId: sub.subscriberId,
          currency: sub.currency,
          kind: 'plan_change',
          lines: planned.lines,
          dueAt,
          periodStart: planned.cycle ? new Date(planned.effectiveAt) : null,
          periodEnd: planned.cycle ? new Date(planned.cycle.end) : null,
        },
      ],
      at,
    );
    invoiceId = invoice!.id;
    await applyAccountCredit(tx, sub.subscriberId, sub.currency, at);
  } else if (planned.outcome === 'pending_charges') {
    await addPendingCharges(tx, sub, planned.lines, at);
  } else if (planned.outcome === 'credit_note') {
    // The invoice would be negative: the same lines, negated, credit the account instead.
    const lines = planned.lines.map((l) => ({
      description: l.description,
      amount: -l.amount,
      tax_amount: -l.taxAmount,
      taxes: l.taxes.map((t) => ({ ...t, amount: -t.amount })),
    }));
    const note = await insertCreditNote(
      tx,
      { subscriberId: sub.subscriberId, invoiceId: null, currency: sub.currency, reason: `Credit for ${what}`, lines },
      true,
      at,
    );
    creditNoteId = note.id;
    await applyAccountCredit(tx, sub.subscriberId, sub.currency, at);
  }

  const values = {
    status: 'applied' as const,
    effectiveAt: new Date(planned.effectiveAt),
    currency: planned.currency,
    credit: planned.credit,
    charge: planned.charge,
    net: planned.net,
    invoiceId,
    creditNoteId,
  };
  const [change] = changeId
    ? await tx.update(subscriptionChanges).set(values).where(eq(subscriptionChanges.id, changeId)).returning()
    : await tx
        .insert(subscriptionChanges)
        .values({
          ...values,
          id: uuidv7(at.getTime()),
          subscriptionId: sub.id,
          fromOfferId: sub.offerId,
          toOfferId: planned.toOfferId,
          createdAt: at,
        })
        .returning();
  const payload = {
    change_id: change!.id,
    from_offer_id: sub.offerId,
    to_offer_id: planned.toOfferId,
    effective_at: values.effectiveAt.toISOString(),
    currency: planned.currency,
    credit: planned.credit,
    charge: planned.charge,
    net: planned.net,
    fee: planned.fee,
    total: planned.total,
    outcome: planned.outcome,
    invoice_id: invoiceId,
    credit_note_id: creditNoteId,
  };
  await recordDomainEvent(
    tx,
    { type: 'subscription.plan_changed', subjectType: 'subscription', subjectId: sub.id, payload },
    at,
  );
  await appendAuditEvent(tx, ctx, {
    action: 'subscription.plan_changed',
    resource: 'subscription',
    resourceId: sub.id,
    changes: payload,
  });
  return change!;
}

/**
 * The billing run's first step: applies every scheduled change due by `asOf` at its
 * effective_at, with the amounts as they are then. A change that can no longer apply
 * (the subscription ended, the offer lost its price in the currency) is canceled and
 * says why. Returns how many were applied.
 */
export async function applyDueScheduledChanges(
  tx: TenantTx,
  ctx: TenantContext,
  catalog: BillingCatalog,
  asOf: Date,
): Promise<number> {
  const due = await tx
    .select()
    .from(subscriptions)
    .where(and(isNotNull(subscriptions.scheduledOfferId), lte(subscriptions.scheduledChangeAt, asOf)))
    .orderBy(asc(subscriptions.scheduledChangeAt), asc(subscriptions.id));
  let applied = 0;
  await catalog.loadJurisdictions(
    tx,
    due.map((s) => s.subscriberId),
  );
  for (const sub of due) {
    const effectiveAt = sub.scheduledChangeAt!;
    const [scheduled] = await tx
      .select()
      .from(subscriptionChanges)
      .where(and(eq(subscriptionChanges.subscriptionId, sub.id), eq(subscriptionChanges.status, 'scheduled')));
    let planned: PlannedChange;
    try {
      planned = planChange({
        sub,
        catalog,
        timeZone: ctx.tenant.timezone,
        toOfferId: sub.scheduledOfferId!,
        effectiveAt: effectiveAt.getTime(),
        now: asOf.getTime(),
        allowArchived: true,
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await dropScheduledChange(tx, sub.id, asOf);
      await recordDomainEvent(
        tx,
        {
          type: 'subscription.plan_change_failed',
          subjectType: 'subscription',
          subjectId: sub.id,
          payload: { change_id: scheduled?.id ?? null, reason: error.message },
        },
        asOf,
      );
      continue;
    }
    await applyPlannedChange(tx, ctx, sub, planned, new Date(planned.effectiveAt), scheduled?.id);
    applied++;
  }
  return applied;
}
