import { and, desc, eq, isNotNull, isNull, lt, not, or, type SQL } from 'drizzle-orm';
import {
  subscribers,
  subscriptions,
  tickets,
  users,
  type TicketPriority,
  type TicketStatus,
} from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx, TenantReader } from '../../context.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { permissionsOf } from '../../permissions.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { nextDocumentNumber } from '../numbering/next-document-number.ts';
import { presentTicket, slaBreaches, type PresentedTicket } from './present-ticket.ts';
import { markSlaBreaches } from './sla-breaches.ts';
import { slaTargets, ticketTransitions } from './ticket-rules.ts';
import { pageOf } from '../page-of.ts';

type Links = {
  assignee_id?: string | null | undefined;
  subscriber_id?: string | null | undefined;
  subscription_id?: string | null | undefined;
  device_id?: string | null | undefined;
};

export type CreateTicketInput = Links & { subject: string; description: string; priority: TicketPriority };
export type UpdateTicketInput = Links & {
  subject?: string | undefined;
  description?: string | undefined;
  priority?: TicketPriority | undefined;
  status?: TicketStatus | undefined;
};

type TicketRow = typeof tickets.$inferSelect;

/**
 * Referenced records must exist in this tenant: an assignee is an active staff user who
 * may work tickets; a subscriber is one not erased; a subscription is one of the ticket's
 * subscriber's (`subscriber_id` here is the ticket's subscriber after the change). Returns
 * the subscription's subscriber, which a ticket without one takes. (Devices come with
 * their own table; until then their ids are stored as given.)
 */
async function assertLinks(tx: TenantTx, links: Links): Promise<{ subscriptionSubscriberId: string | null }> {
  const errors: FieldError[] = [];
  let subscriptionSubscriberId: string | null = null;
  if (links.subscription_id) {
    const [subscription] = await tx
      .select({ subscriberId: subscriptions.subscriberId })
      .from(subscriptions)
      .where(eq(subscriptions.id, links.subscription_id));
    if (!subscription) errors.push({ path: 'subscription_id', message: 'no subscription with this id' });
    else if (links.subscriber_id && subscription.subscriberId !== links.subscriber_id)
      errors.push({ path: 'subscription_id', message: "belongs to another subscriber than the ticket's" });
    else subscriptionSubscriberId = subscription.subscriberId;
  }
  if (links.assignee_id) {
    const [user] = await tx
      .select({ role: users.role, status: users.status, deletedAt: users.deletedAt })
      .from(users)
      .where(eq(users.id, links.assignee_id));
    if (!user || user.deletedAt || user.status !== 'active')
      errors.push({ path: 'assignee_id', message: 'no active staff user with this id' });
    else if (!permissionsOf(user.role).has('tickets:write'))
      errors.push({ path: 'assignee_id', message: `the ${user.role} role cannot work tickets` });
  }
  if (links.subscriber_id) {
    const [subscriber] = await tx
      .select({ erasedAt: subscribers.erasedAt })
      .from(subscribers)
      .where(eq(subscribers.id, links.subscriber_id));
    if (!subscriber || subscriber.erasedAt)
      errors.push({ path: 'subscriber_id', message: 'no subscriber with this id' });
  }
  if (errors.length) throw new AppError('validation_failed', `${errors.length} field(s) failed validation`, { errors });
  return { subscriptionSubscriberId };
}

export async function createTicket({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: CreateTicketInput;
}): Promise<PresentedTicket> {
  const now = new Date(ctx.platform.now());
  const target = slaTargets[input.priority];
  return ctx.db.transaction(async (tx) => {
    const { subscriptionSubscriberId } = await assertLinks(tx, input);
    const id = uuidv7(now.getTime());
    const number = await nextDocumentNumber(tx, 'TKT');
    const [row] = await tx
      .insert(tickets)
      .values({
        id,
        number,
        subject: input.subject,
        description: input.description,
        priority: input.priority,
        status: 'open',
        assigneeId: input.assignee_id ?? null,
        subscriberId: input.subscriber_id ?? subscriptionSubscriberId,
        subscriptionId: input.subscription_id ?? null,
        deviceId: input.device_id ?? null,
        firstResponseDueAt: new Date(now.getTime() + target.firstResponseMs),
        resolutionDueAt: new Date(now.getTime() + target.resolutionMs),
        createdBy: ctx.actor.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const summary = {
      number,
      subject: input.subject,
      priority: input.priority,
      assignee_id: row!.assigneeId,
      subscriber_id: row!.subscriberId,
    };
    await recordDomainEvent(
      tx,
      { type: 'ticket.created', subjectType: 'ticket', subjectId: id, payload: summary },
      now,
    );
    await appendAuditEvent(tx, ctx, { action: 'ticket.created', resource: 'ticket', resourceId: id, changes: summary });
    return presentTicket(row!, now.getTime());
  });
}

/** The ticket, or a 404. Use inside a transaction to read what that transaction will change. */
export async function findTicket(db: TenantReader, id: string): Promise<TicketRow> {
  const [row] = await db.select().from(tickets).where(eq(tickets.id, id));
  if (!row) throw new AppError('not_found', `no ticket ${id}`);
  return row;
}

/** Reading a ticket whose SLA ran out unnoticed records the breach (and its one event) then. */
export async function getTicket({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string };
}): Promise<PresentedTicket> {
  const now = ctx.platform.now();
  const row = await findTicket(ctx.db, input.id);
  const breached = slaBreaches(row, now);
  const unrecorded =
    (breached.firstResponse && !row.firstResponseBreachedAt) || (breached.resolution && !row.resolutionBreachedAt);
  if (!unrecorded) return presentTicket(row, now);
  return ctx.db.transaction(async (tx) => {
    await markSlaBreaches(tx, ctx, new Date(now), row.id);
    return presentTicket(await findTicket(tx, row.id), now);
  });
}

/** The column changes of a status transition, or a 409 when the transition is not allowed. */
function transition(row: TicketRow, to: TicketStatus, now: Date): Partial<TicketRow> {
  if (!ticketTransitions[row.status].includes(to))
    throw new AppError('invalid_state', `a ${row.status} ticket cannot become ${to}`);
  const set: Partial<TicketRow> = { status: to };
  // Leaving pending resumes the resolution clock: the paused time moves the due time.
  if (row.pendingSince) {
    set.resolutionDueAt = new Date(row.resolutionDueAt.getTime() + (now.getTime() - row.pendingSince.getTime()));
    set.pendingSince = null;
  }
  if (to === 'pending') set.pendingSince = now;
  if (to === 'resolved' || to === 'closed') {
    // A resolution answers the customer too.
    set.firstRespondedAt = row.firstRespondedAt ?? now;
    set.resolvedAt = row.resolvedAt ?? now;
  }
  if (to === 'closed') set.closedAt = now;
  if (row.status === 'resolved' && to === 'open') {
    // Reopening restarts the resolution clock; a breach already recorded stays recorded.
    set.resolvedAt = null;
    set.resolutionDueAt = new Date(now.getTime() + slaTargets[row.priority].resolutionMs);
  }
  return set;
}

export async function updateTicket({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: UpdateTicketInput };
}): Promise<PresentedTicket> {
  const { patch } = input;
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const row = await findTicket(tx, input.id);
    if (row.status === 'closed')
      throw new AppError('invalid_state', 'a closed ticket cannot be changed; open a new ticket');
    const changes: Record<string, unknown> = {};
    const set: Partial<TicketRow> = {};
    const fields = [
      ['subject', 'subject'],
      ['description', 'description'],
      ['assignee_id', 'assigneeId'],
      ['subscriber_id', 'subscriberId'],
      ['subscription_id', 'subscriptionId'],
      ['device_id', 'deviceId'],
    ] as const;
    for (const [field, column] of fields) {
      const value = patch[field];
      if (value !== undefined && value !== row[column]) {
        changes[field] = value;
        Object.assign(set, { [column]: value });
      }
    }
    // The pair is checked when either side changes: a new subscriber must own the kept subscription.
    const pairChanged = set.subscriberId !== undefined || set.subscriptionId !== undefined;
    const subscriberAfter = set.subscriberId !== undefined ? set.subscriberId : row.subscriberId;
    const { subscriptionSubscriberId } = await assertLinks(tx, {
      assignee_id: set.assigneeId,
      subscriber_id: set.subscriberId !== undefined ? set.subscriberId : pairChanged ? subscriberAfter : undefined,
      subscription_id: pairChanged
        ? set.subscriptionId !== undefined
          ? set.subscriptionId
          : row.subscriptionId
        : undefined,
    });
    if (!subscriberAfter && subscriptionSubscriberId) {
      set.subscriberId = subscriptionSubscriberId;
      changes.subscriber_id = subscriptionSubscriberId;
    }
    if (patch.priority !== undefined && patch.priority !== row.priority) {
      // New targets from the same starting points: creation for the first response, and
      // for resolution whatever start and pauses the current due time already carries.
      const before = slaTargets[row.priority];
      const after = slaTargets[patch.priority];
      changes.priority = patch.priority;
      set.priority = patch.priority;
      if (!row.firstRespondedAt) set.firstResponseDueAt = new Date(row.createdAt.getTime() + after.firstResponseMs);
      if (!row.resolvedAt)
        set.resolutionDueAt = new Date(row.resolutionDueAt.getTime() - before.resolutionMs + after.resolutionMs);
    }
    if (patch.status !== undefined && patch.status !== row.status) {
      changes.status = { from: row.status, to: patch.status };
      Object.assign(set, transition({ ...row, ...set }, patch.status, now));
    }
    if (Object.keys(changes).length === 0) return presentTicket(row, now.getTime());
    const [updated] = await tx
      .update(tickets)
      .set({ ...set, updatedAt: now })
      .where(eq(tickets.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, { action: 'ticket.updated', resource: 'ticket', resourceId: row.id, changes });
    return presentTicket(updated!, now.getTime());
  });
}

export type TicketFilter = {
  status?: TicketStatus | undefined;
  priority?: TicketPriority | undefined;
  assignee_id?: string | undefined;
  subscriber_id?: string | undefined;
  breached?: boolean | undefined;
};

/** Breached at `now`, recorded or not: the SQL twin of `slaBreaches`. */
const breachedAt = (now: Date): SQL =>
  or(
    isNotNull(tickets.firstResponseBreachedAt),
    and(isNull(tickets.firstRespondedAt), lt(tickets.firstResponseDueAt, now)),
    isNotNull(tickets.resolutionBreachedAt),
    and(isNull(tickets.resolvedAt), isNull(tickets.pendingSince), lt(tickets.resolutionDueAt, now)),
  )!;

/** Newest first; the cursor is the id of the last ticket returned. */
export async function listTickets({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: TicketFilter & { limit: number; cursor?: string | undefined };
}) {
  const now = ctx.platform.now();
  const rows = await ctx.db
    .select()
    .from(tickets)
    .where(
      and(
        input.status ? eq(tickets.status, input.status) : undefined,
        input.priority ? eq(tickets.priority, input.priority) : undefined,
        input.assignee_id ? eq(tickets.assigneeId, input.assignee_id) : undefined,
        input.subscriber_id ? eq(tickets.subscriberId, input.subscriber_id) : undefined,
        input.breached === undefined
          ? undefined
          : input.breached
            ? breachedAt(new Date(now))
            : not(breachedAt(new Date(now))),
        input.cursor ? lt(tickets.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(tickets.id))
    .limit(input.limit + 1);
  return pageOf(
    rows,
    input.limit,
    (row) => presentTicket(row, now),
    (row) => row.id,
  );
}

/** The columns of the CSV export: the list's fields, the SLA clocks flattened. */
export const ticketCsvColumns = [
  'number',
  'id',
  'subject',
  'description',
  'status',
  'priority',
  'assignee_id',
  'subscriber_id',
  'subscription_id',
  'device_id',
  'first_response_due_at',
  'first_responded_at',
  'first_response_breached',
  'resolution_due_at',
  'resolved_at',
  'resolution_breached',
  'created_at',
  'updated_at',
  'closed_at',
] as const;

export const ticketCsvRecord = (t: PresentedTicket) => ({
  ...t,
  first_response_due_at: t.sla.first_response.due_at,
  first_responded_at: t.sla.first_response.met_at,
  first_response_breached: t.sla.first_response.breached,
  resolution_due_at: t.sla.resolution.due_at,
  resolved_at: t.sla.resolution.met_at,
  resolution_breached: t.sla.resolution.breached,
});
