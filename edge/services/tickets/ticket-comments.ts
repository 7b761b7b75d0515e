import { and, asc, eq, gt } from 'drizzle-orm';
import { ticketComments, tickets } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { findTicket } from './manage-tickets.ts';
import { pageOf } from '../page-of.ts';

export const presentComment = (row: typeof ticketComments.$inferSelect) => ({
  id: row.id,
  ticket_id: row.ticketId,
  body: row.body,
  internal: row.internal,
  author_type: row.authorType,
  author_id: row.authorId,
  created_at: row.createdAt.toISOString(),
});

/** The first public comment meets the first-response SLA; internal notes never do. */
export async function addTicketComment({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { ticketId: string; body: string; internal: boolean };
}) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const ticket = await findTicket(tx, input.ticketId);
    if (ticket.status === 'closed')
      throw new AppError('invalid_state', 'a closed ticket takes no more comments; open a new ticket');
    const id = uuidv7(now.getTime());
    const [row] = await tx
      .insert(ticketComments)
      .values({
        id,
        ticketId: ticket.id,
        body: input.body,
        internal: input.internal,
        authorType: ctx.actor.type === 'api_key' ? 'api_key' : 'user',
        authorId: ctx.actor.id,
        createdAt: now,
      })
      .returning();
    const firstResponse = !input.internal && !ticket.firstRespondedAt;
    await tx
      .update(tickets)
      .set({ updatedAt: now, ...(firstResponse ? { firstRespondedAt: now } : {}) })
      .where(eq(tickets.id, ticket.id));
    await appendAuditEvent(tx, ctx, {
      action: 'ticket.commented',
      resource: 'ticket',
      resourceId: ticket.id,
      changes: { comment_id: id, internal: input.internal, ...(firstResponse ? { first_response: true } : {}) },
    });
    return presentComment(row!);
  });
}

/** Oldest first, as a conversation reads; the cursor is the id of the last comment returned. */
export async function listTicketComments({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { ticketId: string; limit: number; cursor?: string | undefined };
}) {
  await findTicket(ctx.db, input.ticketId);
  const rows = await ctx.db
    .select()
    .from(ticketComments)
    .where(
      and(eq(ticketComments.ticketId, input.ticketId), input.cursor ? gt(ticketComments.id, input.cursor) : undefined),
    )
    .orderBy(asc(ticketComments.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentComment, (row) => row.id);
}
