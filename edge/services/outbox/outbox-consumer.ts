import type { domainEvents } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';

export type OutboxEvent = typeof domainEvents.$inferSelect;

/**
 * One reader of a tenant's domain_events outbox (webhooks now; the appliance sync, notifications
 * later). The dispatcher hands it the events after its cursor in seq order, in batches, inside
 * the write transaction that then moves its cursor past them: what `consume` writes and the
 * cursor commit together, so each event is taken in exactly once. A consumer that talks to
 * the network enqueues here and sends afterwards (as webhooks do), so a slow peer never holds
 * the transaction. A consumer that throws keeps its cursor and is retried on the next run;
 * the others go on.
 */
export type OutboxConsumer = Readonly<{
  /** Names its cursor: renaming a consumer that has run starts it over. */
  name: string;
  /** Where a consumer without a cursor starts: only events after now, or the whole outbox. */
  startAt: 'latest' | 'beginning';
  consume: (input: { ctx: TenantContext; tx: TenantTx; events: readonly OutboxEvent[] }) => Promise<void>;
}>;
