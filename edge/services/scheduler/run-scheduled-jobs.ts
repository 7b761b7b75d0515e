import type { Platform } from '../../env.ts';
import { billAllTenants } from '../billing-runs/bill-all-tenants.ts';
import { runAllTenantOutboxes } from '../outbox/run-outbox.ts';
import { sweepAllTenantSlas } from '../tickets/sweep-all-tenants.ts';

// The minute of each hour the money job runs (UTC): away from :00, when other systems' crons pile up.
export const billingMinute = 7;
const hourMs = 3_600_000;

/**
 * A scheduler tick: the time it stands for is (from, to]. Consecutive ticks join up (each
 * `from` is the previous `to`), so whatever a tick's jobs cost, no instant falls between two.
 */
export type Tick = { from: number; to: number };

/** Whether an hourly billing slot (HH:07:00 UTC) lies in the tick. */
export function billingSlotIn(tick: Tick): boolean {
  const offset = billingMinute * 60_000;
  const lastSlot = Math.floor((tick.to - offset) / hourMs) * hourMs + offset;
  return lastSlot > tick.from;
}

/**
 * What runs each minute (a timer on Node, the cron trigger on Workers): the SLA sweep,
 * billing and collections for every tenant when the tick holds the hour's slot, then the
 * outbox (webhooks), last so that what the jobs recorded goes out in the same tick. The tick
 * is decided by the caller (the trigger's scheduled time), never by reading the clock
 * after a sweep that may have run past the minute.
 */
export async function runScheduledJobs(platform: Platform, tick: Tick): Promise<void> {
  const bill = platform.config.billingSchedule === 'hourly' && billingSlotIn(tick);
  await sweepAllTenantSlas(platform);
  if (bill) await billAllTenants(platform);
  await runAllTenantOutboxes(platform);
}
