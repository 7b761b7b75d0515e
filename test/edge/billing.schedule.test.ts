// The scheduler's money job: hourly billing and collections for every tenant.
import { describe, expect, it } from 'vitest';
import { billingMinute, runScheduledJobs } from '../../edge/services/scheduler/run-scheduled-jobs.ts';
import { billingWorld } from '../support/billing.ts';
import { startEdge, startTime } from '../support/edge-app.ts';

const atMinute = (minute: number) => startTime - (new Date(startTime).getUTCMinutes() - minute) * 60_000 + 3_600_000;

describe('scheduled billing', () => {
  it('bills every tenant at the hourly tick, once, and not between ticks', async () => {
    const edge = await startEdge();
    const worlds = [await billingWorld(edge), await billingWorld(edge)];
    for (const w of worlds) await w.subscribe((await w.subscriber()).id, (await w.offer()).id, startTime);
    const invoices = async () => Promise.all(worlds.map(async (w) => Number((await edge.tenantSql(w.tenant.slug, 'SELECT count(*) AS n FROM invoices')).rows[0]!.n)));

    edge.clock.now = atMinute(billingMinute + 1);
    await runScheduledJobs(edge.platform);
    expect(await invoices()).toEqual([0, 0]);
    edge.clock.now = atMinute(billingMinute);
    await runScheduledJobs(edge.platform);
    expect(await invoices()).toEqual([1, 1]);
    await runScheduledJobs(edge.platform);
    expect(await invoices()).toEqual([1, 1]);
    const audit = (await edge.tenantSql(worlds[0]!.tenant.slug, "SELECT actor_type, request_id FROM audit_events WHERE action = 'billing_run.completed' ORDER BY seq")).rows;
    expect(audit.map((r) => [r.actor_type, String(r.request_id).startsWith('billing-schedule-')])).toEqual([
      ['system', true],
      ['system', true],
    ]);
    for (const w of worlds) await w.checkBooks();
  });

  it('leaves billing to the API when BILLING_SCHEDULE is off', async () => {
    const edge = await startEdge({ BILLING_SCHEDULE: 'off' });
    const w = await billingWorld(edge);
    await w.subscribe((await w.subscriber()).id, (await w.offer()).id, startTime);
    edge.clock.now = atMinute(billingMinute);
    await runScheduledJobs(edge.platform);
    expect((await edge.tenantSql(w.tenant.slug, 'SELECT count(*) AS n FROM invoices')).rows[0]!.n).toBe(0);
  });
});
