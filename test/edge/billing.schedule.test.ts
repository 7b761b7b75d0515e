// The scheduler's money job: hourly billing and collections for every tenant.
import { describe, expect, it } from 'vitest';
import { startMinuteScheduler } from '../../edge/node/scheduler.ts';
import {
  billingMinute,
  billingSlotIn,
  runScheduledJobs,
  type Tick,
} from '../../edge/services/scheduler/run-scheduled-jobs.ts';
import { billingWorld, type BillingWorld } from '../support/billing.ts';
import { startEdge, startTime, type TestEdge } from '../support/edge-app.ts';

const atMinute = (minute: number) => startTime - (new Date(startTime).getUTCMinutes() - minute) * 60_000 + 3_600_000;
/** The tick of the minute starting at `at`, as the Worker's cron trigger gives it. */
const minuteTick = (at: number): Tick => ({ from: at - 60_000, to: at });

async function billedTenants(edge: TestEdge, count: number) {
  const worlds: BillingWorld[] = [];
  for (let i = 0; i < count; i++) worlds.push(await billingWorld(edge));
  for (const w of worlds) await w.subscribe((await w.subscriber()).id, (await w.offer()).id, startTime);
  const invoices = async () =>
    Promise.all(
      worlds.map(async (w) =>
        Number((await edge.tenantSql(w.tenant.slug, 'SELECT count(*) AS n FROM invoices')).rows[0]!.n),
      ),
    );
  return { worlds, invoices };
}

describe('scheduled billing', () => {
  it('bills every tenant at the hourly tick, once, and not between ticks', async () => {
    const edge = await startEdge();
    const { worlds, invoices } = await billedTenants(edge, 2);
    edge.clock.now = atMinute(billingMinute + 1);
    await runScheduledJobs(edge.platform, minuteTick(edge.clock.now));
    expect(await invoices()).toEqual([0, 0]);
    edge.clock.now = atMinute(billingMinute);
    await runScheduledJobs(edge.platform, minuteTick(edge.clock.now));
    expect(await invoices()).toEqual([1, 1]);
    await runScheduledJobs(edge.platform, minuteTick(edge.clock.now));
    expect(await invoices()).toEqual([1, 1]);
    const audit = (
      await edge.tenantSql(
        worlds[0]!.tenant.slug,
        "SELECT actor_type, request_id FROM audit_events WHERE action = 'billing_run.completed' ORDER BY seq",
      )
    ).rows;
    expect(audit.map((r) => [r.actor_type, String(r.request_id).startsWith('billing-schedule-')])).toEqual([
      ['system', true],
      ['system', true],
    ]);
    for (const w of worlds) await w.checkBooks();
  });

  // Issue 13, defect 9: the minute was read after the SLA sweep, so a sweep running past
  // :07 skipped the hour.
  it('bills on the tick of :07 even when the SLA sweep before it runs past the minute', async () => {
    const edge = await startEdge();
    const { invoices } = await billedTenants(edge, 1);
    edge.clock.now = atMinute(billingMinute);
    const tick = minuteTick(edge.clock.now);
    // Every read of the clock costs ten seconds: the sweep ends minutes later.
    let now = edge.clock.now;
    Object.defineProperty(edge.clock, 'now', {
      configurable: true,
      get: () => (now += 10_000),
      set: (at: number) => (now = at),
    });
    await runScheduledJobs(edge.platform, tick);
    expect(now).toBeGreaterThan(atMinute(billingMinute + 1));
    expect(await invoices()).toEqual([1]);
  });

  // Issue 13, defect 9: Node ran a tick every 60 s whether or not the last had finished.
  it('runs Node ticks one at a time, each covering the time since the last, so a long tick skips no hour', async () => {
    const edge = await startEdge();
    edge.clock.now = atMinute(billingMinute - 1) + 30_000;
    const ticks: Tick[] = [];
    let finish: () => void = () => undefined;
    const scheduler = startMinuteScheduler(edge.platform, async (tick) => {
      ticks.push(tick);
      if (ticks.length === 1) await new Promise<void>((resolve) => (finish = resolve));
    });
    const first = scheduler.tick();
    // The timer fires again while the first tick (a long billing run) is still going: no second run.
    edge.clock.now = atMinute(billingMinute) + 30_000;
    expect(scheduler.tick()).toBe(first);
    edge.clock.now = atMinute(billingMinute + 1) + 10_000;
    finish();
    await first;
    await scheduler.tick();
    await scheduler.stop();
    expect(ticks).toEqual([
      { from: atMinute(billingMinute - 1) + 30_000, to: atMinute(billingMinute - 1) + 30_000 },
      { from: atMinute(billingMinute - 1) + 30_000, to: atMinute(billingMinute + 1) + 10_000 },
    ]);
    // The second tick holds :07, which passed while the first one ran.
    expect(ticks.map((t) => billingSlotIn(t))).toEqual([false, true]);
  });

  it('leaves billing to the API when BILLING_SCHEDULE is off', async () => {
    const edge = await startEdge({ BILLING_SCHEDULE: 'off' });
    const w = await billingWorld(edge);
    await w.subscribe((await w.subscriber()).id, (await w.offer()).id, startTime);
    edge.clock.now = atMinute(billingMinute);
    await runScheduledJobs(edge.platform, minuteTick(edge.clock.now));
    expect((await edge.tenantSql(w.tenant.slug, 'SELECT count(*) AS n FROM invoices')).rows[0]!.n).toBe(0);
  });
});
