// SUB- numbers are gap-free: taken inside the creating transaction, returned on rollback.
import { drizzle } from 'drizzle-orm/libsql/web';
import { describe, expect, it } from 'vitest';
import * as tenantSchema from '../../db/tenant/index.ts';
import type { TenantContext } from '../../edge/context.ts';
import { insertSubscriber, SubscriberCreate } from '../../edge/services/subscribers/manage-subscribers.ts';
import { startEdge } from '../support/edge-app.ts';

describe('subscriber numbering', () => {
  it(
    '30 concurrent creates (3 of them failing) leave numbers 1..27 without gaps or duplicates',
    { timeout: 120_000 },
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const token = tenant.owner.token;
      edge.ok(
        await edge.call('POST', '/api/v1/subscribers', {
          token,
          body: { last_name: 'First', email: 'taken@example.com' },
        }),
        201,
      );
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          edge.call('POST', '/api/v1/subscribers', {
            token,
            body: { last_name: `Racer ${i}`, email: i % 10 === 9 ? 'TAKEN@example.com' : `r${i}@example.com` },
          }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([...Array(27).fill(201), ...Array(3).fill(409)]);
      const numbers = results
        .filter((r) => r.status === 201)
        .map((r) => String(r.body.subscriber_number))
        .sort();
      expect(numbers).toEqual(Array.from({ length: 27 }, (_, i) => `SUB-${String(i + 2).padStart(6, '0')}`));
      expect(
        edge.ok(await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Last' } }), 201).body
          .subscriber_number,
      ).toBe('SUB-000029');
    },
  );

  it("insertSubscriber inside a caller's transaction that fails later gives its number back", async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const lease = await edge.platform.databases.leaseTenant(tenant.slug);
    try {
      const db = drizzle(lease.client, { schema: tenantSchema });
      const ctx: TenantContext = {
        db,
        platform: edge.platform,
        actor: { type: 'system', id: null },
        requestId: 'test',
        ip: null,
        log: edge.platform.log,
        tenant: {
          id: tenant.id,
          slug: tenant.slug,
          name: tenant.slug,
          currency: 'USD',
          timezone: 'UTC',
          status: 'active',
          maxSubscribers: null,
        },
        principal: null,
      };
      const input = SubscriberCreate.parse({ last_name: 'Converted', email: 'lead@example.com' });
      // A lead conversion whose own write fails after the subscriber was inserted.
      await expect(
        db.transaction(async (tx) => {
          const { row } = await insertSubscriber(tx, ctx, input);
          expect(row.number).toBe('SUB-000001');
          throw new Error('the caller failed after creating the subscriber');
        }),
      ).rejects.toThrow('the caller failed');
      const { row: created } = await db.transaction((tx) => insertSubscriber(tx, ctx, input));
      expect(created.number).toBe('SUB-000001');
      expect((await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM subscribers')).rows[0]!.n).toBe(1);
      expect(
        (
          await edge.tenantSql(
            tenant.slug,
            "SELECT count(*) AS n FROM audit_events WHERE action = 'subscriber.created'",
          )
        ).rows[0]!.n,
      ).toBe(1);
    } finally {
      lease.release();
    }
  });
});
