// `npm start` seeds a demo tenant (DEMO=true by default): its logins work and every list has records.
import { describe, expect, it } from 'vitest';
import { demoLogins, demoTenant, seedDemoTenant } from '../../edge/services/demo/seed-demo-tenant.ts';
import { startEdge } from '../support/edge-app.ts';

describe('demo tenant', () => {
  it('is seeded once, with working logins, subscribers, a lead and a ticket linked to a subscriber', async () => {
    const edge = await startEdge();
    expect(await seedDemoTenant(edge.platform)).toBe(true);
    expect(await seedDemoTenant(edge.platform)).toBe(false);

    const tokens = await Promise.all(demoLogins.map((login) => edge.login(demoTenant.slug, login.email, login.password)));
    const [owner] = tokens;
    const subscribers = edge.ok(await edge.call('GET', '/api/v1/subscribers', { token: owner }), 200).body.data!;
    expect(subscribers.map((s) => s.subscriber_number).toSorted()).toEqual(['SUB-000001', 'SUB-000002', 'SUB-000003', 'SUB-000004']);
    expect(subscribers.filter((s) => s.status === 'suspended')).toHaveLength(1);
    const found = edge.ok(await edge.call('GET', '/api/v1/subscribers?q=harbor', { token: owner }), 200).body.data!;
    expect(found.map((s) => s.display_name)).toEqual(['Harbor Coffee Co.']);

    const leads = edge.ok(await edge.call('GET', '/api/v1/leads', { token: owner }), 200).body.data!;
    expect(leads.map((l) => [l.number, l.status])).toEqual([['LEAD-000001', 'new']]);
    const tickets = edge.ok(await edge.call('GET', '/api/v1/tickets', { token: owner }), 200).body.data!;
    expect(tickets).toHaveLength(1);
    expect(subscribers.some((s) => s.id === tickets[0]!.subscriber_id)).toBe(true);
  });
});
