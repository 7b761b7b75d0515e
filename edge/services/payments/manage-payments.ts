import { and, desc, eq, lt } from 'drizzle-orm';
import { payments, type PaymentStatus } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { pageOf } from '../page-of.ts';
import { findPayment, presentPayment, presentPayments } from './present-payment.ts';
import { inTimeWindow, type TimeWindow } from '../time-window.ts';

export type PaymentFilter = { subscriber_id?: string | undefined; status?: PaymentStatus | undefined } & TimeWindow;

/** Newest first; the cursor is the id of the last payment returned. */
export async function listPayments({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: PaymentFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(payments)
    .where(
      and(
        input.subscriber_id ? eq(payments.subscriberId, input.subscriber_id) : undefined,
        input.status ? eq(payments.status, input.status) : undefined,
        inTimeWindow(payments, input),
        input.cursor ? lt(payments.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(payments.id))
    .limit(input.limit + 1);
  const page = pageOf(
    rows,
    input.limit,
    (row) => row,
    (row) => row.id,
  );
  return { ...page, data: await presentPayments(ctx.db, page.data) };
}

export const getPayment = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentPayment(ctx.db, await findPayment(ctx.db, input.id));
