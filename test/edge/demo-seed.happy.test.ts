// `npm start` seeds a demo tenant (DEMO=true by default): its logins work and every list has records.
import { describe, expect, it } from 'vitest';
import { demoLogins, demoTenant, seedDemoTenant } from '../../edge/services/demo/seed-demo-tenant.ts';
import { startEdge } from '../support/edge-app.ts';

describe('demo tenant', () => {
  it(
    'is seeded once, with working logins, subscribers, ' + 'billing, a lead and a ticket linked to a subscriber',
    async () => {
      const edge = await startEdge();
      expect(await seedDemoTenant(edge.platform)).toBe(true);
      expect(await seedDemoTenant(edge.platform)).toBe(false);

      const tokens = await Promise.all(
        demoLogins.map((login) => edge.login(demoTenant.slug, login.email, login.password)),
      );
      const [owner] = tokens;
      const subscribers = edge.ok(await edge.call('GET', '/api/v1/subscribers', { token: owner }), 200).body.data!;
      expect(subscribers.map((s) => s.subscriber_number).toSorted()).toEqual([
        'SUB-000001',
        'SUB-000002',
        'SUB-000003',
        'SUB-000004',
      ]);
      // Status is derived: three subscribers with active subscriptions, one with none yet.
      expect(subscribers.map((s) => s.status)).toEqual(['active', 'active', 'active', 'active']);
      const found = edge.ok(await edge.call('GET', '/api/v1/subscribers?q=harbor', { token: owner }), 200).body.data!;
      expect(found.map((s) => s.display_name)).toEqual(['Harbor Coffee Co.']);

      const leads = edge.ok(await edge.call('GET', '/api/v1/leads', { token: owner }), 200).body.data!;
      expect(leads.map((l) => [l.number, l.status])).toEqual([['LEAD-000001', 'new']]);
      const tickets = edge.ok(await edge.call('GET', '/api/v1/tickets', { token: owner }), 200).body.data!;
      expect(tickets).toHaveLength(1);
      expect(subscribers.some((s) => s.id === tickets[0]!.subscriber_id)).toBe(true);

      // Billing: three subscriptions billed once, Ada's invoice paid, the books level.
      const invoices = edge.ok(await edge.call('GET', '/api/v1/invoices', { token: owner }), 200).body.data!;
      expect(invoices.map((i) => i.number).toSorted()).toEqual(['INV-000001', 'INV-000002', 'INV-000003']);
      expect(invoices.filter((i) => i.status === 'paid')).toHaveLength(1);
      const business = invoices.find((i) => Number(i.tax_total) > 0)!;
      expect(business.subtotal).toBeLessThanOrEqual(19_900);
      expect(invoices.find((i) => (i.lines as { kind: string }[]).some((l) => l.kind === 'setup_fee'))).toBeDefined();
      const trial = edge.ok(await edge.call('GET', '/api/v1/reports/trial-balance', { token: owner }), 200).body;
      expect(trial.currencies).toEqual([expect.objectContaining({ currency: 'USD', balanced: true })]);
    },
  );
});
