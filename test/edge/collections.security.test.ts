import { describe, expect, it } from 'vitest';
import { expectProblem, startTime } from '../support/edge-app.ts';
import { billingWorld, day, hour, startCollectionsEdge } from '../support/billing.ts';

describe('collections permissions and isolation', () => {
  it('lets billing staff run collections and support only read runs and cases', async () => {
    const edge = await startCollectionsEdge();
    const w = await billingWorld(edge, {}, { role: 'owner' });
    const asOf = { as_of: new Date(startTime).toISOString() };
    for (const role of ['support', 'read_only', 'operations'] as const) {
      const key = await edge.createApiKey(w.tenant.owner.token, role);
      const res = await edge.call('POST', '/api/v1/collections/runs', { token: key.secret, body: asOf });
      expect(expectProblem(res, 403, 'forbidden').detail, role).toBe('this action needs the billing:write permission');
      edge.ok(await edge.call('GET', '/api/v1/collections/runs', { token: key.secret }), 200);
      edge.ok(await edge.call('GET', '/api/v1/collections/cases', { token: key.secret }), 200);
    }
    const fieldTech = await edge.createApiKey(w.tenant.owner.token, 'field_tech');
    expectProblem(await edge.call('GET', '/api/v1/collections/cases', { token: fieldTech.secret }), 403, 'forbidden');
    const billing = await edge.createApiKey(w.tenant.owner.token, 'billing');
    const run = edge.ok(
      await edge.call('POST', '/api/v1/collections/runs', { token: billing.secret, body: asOf }),
      201,
    ).body;
    expect(run.created_by).toBe(billing.id);
    const audit = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource_id=${String(run.id)}`, { token: w.tenant.owner.token }),
      200,
    ).body.data!;
    expect(audit.map((e) => e.action)).toEqual(['collection_run.completed']);
    expectProblem(await edge.call('POST', '/api/v1/collections/runs', { body: asOf }), 401);
  });

  it("never shows another tenant's runs or cases, and a run of one tenant never acts on another", async () => {
    const edge = await startCollectionsEdge();
    const a = await billingWorld(edge, {}, { role: 'owner' });
    const b = await billingWorld(edge, {}, { role: 'owner' });
    const offer = await a.offer();
    const subscriber = await a.subscriber();
    const subscription = await a.subscribe(subscriber.id, offer.id, startTime);
    await a.billAt(startTime);
    const due = Date.parse(String((await a.invoices(subscriber.id))[0]!.due_at));
    // B's runs first: A's invoice is past due, but B's run sees only B's database.
    expect((await b.collect(due + 25 * day)).actions).toEqual([]);
    expect((await a.subscription(subscription.id)).status).toBe('active');
    await a.collect(due + 25 * day + hour);
    const aRun = await a.collect(due + 26 * day);
    expect(await a.cases()).toHaveLength(1);

    expectProblem(await edge.call('GET', `/api/v1/collections/runs/${aRun.id}`, { token: b.token }), 404, 'not_found');
    expect(await b.cases(`&subscriber_id=${String(subscriber.id)}`)).toEqual([]);
    expect((await b.get('collections/runs?limit=200')).data!.map((r) => r.id)).not.toContain(aRun.id);
    expect((await a.get(`collections/runs/${aRun.id}`)).id).toBe(aRun.id);
  });
});
