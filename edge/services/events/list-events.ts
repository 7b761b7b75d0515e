import { and, asc, eq, gt } from 'drizzle-orm';
import { domainEvents } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { pageOf } from '../page-of.ts';
import { presentEvent } from './present-event.ts';

/** Events after `after` (a seq), oldest first: poll with the seq of the last event handled. */
type EventQuery = { after: number; limit: number; type?: string | undefined };

export async function listEvents({ ctx, input }: { ctx: TenantContext; input: EventQuery }) {
  const rows = await ctx.db
    .select()
    .from(domainEvents)
    .where(and(gt(domainEvents.seq, input.after), input.type ? eq(domainEvents.type, input.type) : undefined))
    .orderBy(asc(domainEvents.seq))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentEvent, (row) => String(row.seq));
}
