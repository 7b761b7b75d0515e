// The scheduler's SLA job over every tenant (what the Node timer and the Workers cron run).
import { describe, expect, it } from 'vitest';
import { sweepAllTenantSlas } from '../../edge/services/tickets/sweep-all-tenants.ts';
import { startEdge, startTime, type TestEdge } from '../support/edge-app.ts';

const breaches = async (edge: TestEdge, slug: string) =>
  (await edge.tenantSql(slug, "SELECT subject_id FROM domain_events WHERE type = 'ticket.sla_breached'")).rows.length;

describe('SLA sweep over all tenants', () => {
  it('records breaches in every active tenant, skips suspended ones, and survives a failing tenant', async () => {
    const edge = await startEdge();
    const tenants = [
      await edge.createTenant(),
      await edge.createTenant(),
      await edge.createTenant(),
      await edge.createTenant(),
    ];
    for (const tenant of tenants)
      edge.ok(
        await edge.call('POST', '/api/v1/tickets', {
          token: tenant.owner.token,
          body: { subject: 'Down', priority: 'urgent' },
        }),
        201,
      );
    const [a, b, suspended, broken] = tenants as [
      (typeof tenants)[0],
      (typeof tenants)[0],
      (typeof tenants)[0],
      (typeof tenants)[0],
    ];
    edge.ok(
      await edge.call('PATCH', `/api/v1/platform/tenants/${suspended.slug}`, {
        token: await edge.rootToken(),
        body: { status: 'suspended' },
      }),
      200,
    );
    await edge.tenantSql(broken.slug, 'ALTER TABLE tickets RENAME TO tickets_gone');

    edge.clock.now = startTime + 2 * 3_600_000; // past the 1 h first response, within the 4 h resolution
    expect(await sweepAllTenantSlas(edge.platform)).toEqual({ tenants: 3, breached: 2, failed: 1 });
    expect([await breaches(edge, a.slug), await breaches(edge, b.slug), await breaches(edge, suspended.slug)]).toEqual([
      1, 1, 0,
    ]);
    expect(edge.logs.some((line) => line.includes('sla-sweep failed') && line.includes(broken.slug))).toBe(true);

    expect(await sweepAllTenantSlas(edge.platform)).toEqual({ tenants: 3, breached: 0, failed: 1 });
    edge.clock.now = startTime + 5 * 3_600_000;
    expect(await sweepAllTenantSlas(edge.platform)).toEqual({ tenants: 3, breached: 2, failed: 1 });
    const audit = (
      await edge.tenantSql(
        a.slug,
        "SELECT actor_type, request_id FROM audit_events WHERE action = 'ticket.sla_breached' ORDER BY seq",
      )
    ).rows;
    expect(audit.map((r) => [r.actor_type, String(r.request_id).startsWith('sla-sweep-')])).toEqual([
      ['system', true],
      ['system', true],
    ]);
  });
});
