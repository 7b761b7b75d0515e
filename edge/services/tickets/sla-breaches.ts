import { and, eq, isNull, lt } from 'drizzle-orm';
import { tickets } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';

export type SlaKind = 'first_response' | 'resolution';
export type SlaBreach = { ticket_id: string; number: string; kind: SlaKind; due_at: string };

/**
 * Records every SLA clock that ran out unmet before `now` (of one ticket, or all): sets its
 * breached-at column and appends one `ticket.sla_breached` event and audit entry. The
 * update only matches clocks not yet marked, so each ticket breaches each kind at most
 * once, however often and however concurrently this runs.
 */
export async function markSlaBreaches(
  tx: TenantTx,
  ctx: TenantContext,
  now: Date,
  ticketId?: string,
): Promise<SlaBreach[]> {
  const only = ticketId === undefined ? undefined : eq(tickets.id, ticketId);
  const returning = { id: tickets.id, number: tickets.number, priority: tickets.priority };
  const firstResponse = await tx
    .update(tickets)
    .set({ firstResponseBreachedAt: now })
    .where(
      and(
        only,
        isNull(tickets.firstResponseBreachedAt),
        isNull(tickets.firstRespondedAt),
        lt(tickets.firstResponseDueAt, now),
      ),
    )
    .returning({ ...returning, dueAt: tickets.firstResponseDueAt });
  const resolution = await tx
    .update(tickets)
    .set({ resolutionBreachedAt: now })
    .where(
      and(
        only,
        isNull(tickets.resolutionBreachedAt),
        isNull(tickets.resolvedAt),
        isNull(tickets.pendingSince),
        lt(tickets.resolutionDueAt, now),
      ),
    )
    .returning({ ...returning, dueAt: tickets.resolutionDueAt });

  // The clock breached the ticket, whoever's request noticed it.
  const system: TenantContext = { ...ctx, actor: { type: 'system', id: null } };
  const breaches: SlaBreach[] = [];
  for (const [kind, rows] of [
    ['first_response', firstResponse],
    ['resolution', resolution],
  ] as const) {
    for (const row of rows) {
      const dueAt = row.dueAt.toISOString();
      await recordDomainEvent(
        tx,
        {
          type: 'ticket.sla_breached',
          subjectType: 'ticket',
          subjectId: row.id,
          payload: { number: row.number, kind, priority: row.priority, due_at: dueAt },
        },
        now,
      );
      await appendAuditEvent(tx, system, {
        action: 'ticket.sla_breached',
        resource: 'ticket',
        resourceId: row.id,
        changes: { kind, due_at: dueAt },
      });
      breaches.push({ ticket_id: row.id, number: row.number, kind, due_at: dueAt });
    }
  }
  return breaches;
}

/** What a scheduler (or an administrator) runs: marks every breach due by `now`, in one transaction. */
export async function sweepTicketSlas({ ctx, now }: { ctx: TenantContext; now: number }) {
  const breaches = await ctx.db.transaction((tx) => markSlaBreaches(tx, ctx, new Date(now)));
  return { breached: breaches };
}
