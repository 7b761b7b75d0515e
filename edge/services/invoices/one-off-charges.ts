import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { pendingCharges } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { pageOf, tupleKey, tupleOf } from '../page-of.ts';
import { findSubscriber, findWritableSubscriber } from '../subscribers/find-subscriber.ts';
import { loadBillingCatalog } from '../subscriptions/billing-catalog.ts';
import { lineValues } from './issue-invoices.ts';
import { manualLines, type ManualLineInput } from './manual-lines.ts';

type ChargeRow = typeof pendingCharges.$inferSelect;

const presentCharge = (row: ChargeRow) => ({
  id: row.id,
  subscriber_id: row.subscriberId,
  subscription_id: row.subscriptionId,
  currency: row.currency,
  kind: row.kind,
  description: row.description,
  quantity: row.quantity,
  amount: row.amount,
  tax_amount: row.taxAmount,
  taxes: row.taxes,
  created_at: row.createdAt.toISOString(),
});

/**
 * A one-off charge: a pending charge (taxed now, like any line) that the next billing run
 * puts on the subscriber's next invoice in its currency, or on an invoice of its own when
 * no subscription of the subscriber will bill again (billWaitingCharges). No money moves
 * until then, so nothing is journaled here.
 */
export async function addOneOffCharge({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: ManualLineInput & { subscriber_id: string; currency?: string | undefined };
}) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findWritableSubscriber(tx, input.subscriber_id);
    const [line] = await manualLines(tx, await loadBillingCatalog(tx, now), subscriber.id, [input], 'charge');
    const id = uuidv7(now.getTime());
    const currency = input.currency ?? ctx.tenant.currency;
    const [row] = await tx
      .insert(pendingCharges)
      .values({
        id,
        subscriberId: subscriber.id,
        subscriptionId: line!.subscriptionId ?? null,
        currency,
        ...lineValues(line!),
        createdAt: now,
      })
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'charge.created',
      resource: 'subscriber',
      resourceId: subscriber.id,
      changes: { charge_id: id, amount: row!.amount, tax_amount: row!.taxAmount, currency },
    });
    return presentCharge(row!);
  });
}

/** The subscriber's charges waiting for an invoice, oldest first. */
/** A page of the charges waiting for an invoice, oldest first (created_at, id); the cursor is the last one's key. */
export async function listWaitingCharges({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { subscriber_id: string; limit: number; cursor?: string | undefined };
}) {
  const after = input.cursor === undefined ? undefined : tupleOf(input.cursor, ['number', 'string']);
  const subscriber = await findSubscriber(ctx.db, input.subscriber_id);
  const rows = await ctx.db
    .select()
    .from(pendingCharges)
    .where(
      and(
        eq(pendingCharges.subscriberId, subscriber.id),
        isNull(pendingCharges.invoiceLineId),
        after ? sql`(${pendingCharges.createdAt}, ${pendingCharges.id}) > (${after[0]}, ${after[1]})` : undefined,
      ),
    )
    .orderBy(asc(pendingCharges.createdAt), asc(pendingCharges.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentCharge, (row) => tupleKey([row.createdAt.getTime(), row.id]));
}
