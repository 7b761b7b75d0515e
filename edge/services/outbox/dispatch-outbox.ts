import { asc, eq, gt, sql } from 'drizzle-orm';
import { domainEvents, outboxCursors } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import type { OutboxConsumer } from './outbox-consumer.ts';

const batchSize = 200;
// Bounds one run's work per consumer; the next run (or nudge) continues from the cursor.
const maxBatches = 50;

/**
 * Moves every consumer's cursor through the tenant's outbox. SQLite commits one writer at a
 * time and `seq` only grows, so a row with a lower seq can never commit after a reader has
 * passed it: reading `seq > cursor` in order misses nothing. Returns events taken in.
 */
export async function dispatchOutbox(ctx: TenantContext, consumers: readonly OutboxConsumer[]): Promise<number> {
  let taken = 0;
  for (const consumer of consumers) {
    try {
      for (let batch = 0; batch < maxBatches; batch++) {
        const count = await consumeBatch(ctx, consumer);
        taken += count;
        if (count < batchSize) break;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ctx.log.error('outbox consumer failed', { consumer: consumer.name, error: message });
    }
  }
  return taken;
}

/**
 * Gives a consumer that starts at `latest` its cursor now, if it has none: webhooks anchor it
 * when the first endpoint is made, in that transaction, so events after that are all taken in.
 */
export async function anchorOutboxCursor(tx: TenantTx, consumer: OutboxConsumer, at: Date): Promise<void> {
  const [latest] = await tx.select({ seq: sql<number | null>`max(${domainEvents.seq})` }).from(domainEvents);
  const cursor = { consumer: consumer.name, lastSeq: latest?.seq ?? 0, updatedAt: at };
  await tx.insert(outboxCursors).values(cursor).onConflictDoNothing();
}

async function consumeBatch(ctx: TenantContext, consumer: OutboxConsumer): Promise<number> {
  // Most runs find nothing new: say so from one read, without taking the write lock.
  const latest = sql<number | null>`(select max(${domainEvents.seq}) from ${domainEvents})`;
  const [position] = await ctx.db
    .select({ cursor: outboxCursors.lastSeq, latest })
    .from(outboxCursors)
    .where(eq(outboxCursors.consumer, consumer.name));
  if (position && position.cursor >= (position.latest ?? 0)) return 0;
  return ctx.db.transaction(
    async (tx) => {
      const [cursor] = await tx.select().from(outboxCursors).where(eq(outboxCursors.consumer, consumer.name));
      let after = cursor?.lastSeq;
      if (after === undefined) {
        const [latest] = await tx.select({ seq: sql<number | null>`max(${domainEvents.seq})` }).from(domainEvents);
        after = consumer.startAt === 'latest' ? (latest?.seq ?? 0) : 0;
      }
      const events = await tx
        .select()
        .from(domainEvents)
        .where(gt(domainEvents.seq, after))
        .orderBy(asc(domainEvents.seq))
        .limit(batchSize);
      if (events.length > 0) await consumer.consume({ ctx, tx, events });
      const lastSeq = events.at(-1)?.seq ?? after;
      if (!cursor || lastSeq !== cursor.lastSeq) {
        const updatedAt = new Date(ctx.platform.now());
        await tx
          .insert(outboxCursors)
          .values({ consumer: consumer.name, lastSeq, updatedAt })
          .onConflictDoUpdate({ target: outboxCursors.consumer, set: { lastSeq, updatedAt } });
      }
      return events.length;
    },
    { behavior: 'immediate' },
  );
}
