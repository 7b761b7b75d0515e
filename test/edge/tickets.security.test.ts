import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, startTime, type Json, type TestEdge } from '../support/edge-app.ts';

const hour = 3_600_000;

const breachEvents = async (edge: TestEdge, slug: string) =>
  (
    await edge.tenantSql(
      slug,
      "SELECT subject_id, payload, occurred_at FROM domain_events WHERE type = 'ticket.sla_breached' ORDER BY seq",
    )
  ).rows.map((r) => ({
    ticket: String(r.subject_id),
    ...(JSON.parse(String(r.payload)) as { number: string; kind: string; priority: string; due_at: string }),
    at: Number(r.occurred_at),
  }));

describe('ticket permissions', () => {
  it('lets billing and read_only staff read tickets but not write; support and field techs write', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const ticket = edge.ok(
      await edge.call('POST', '/api/v1/tickets', { token: tenant.owner.token, body: { subject: 'Seen by all' } }),
      201,
    ).body;
    const path = `/api/v1/tickets/${String(ticket.id)}`;
    const writes = (token: string) => [
      edge.call('POST', '/api/v1/tickets', { token, body: { subject: 'x' } }),
      edge.call('PATCH', path, { token, body: { subject: 'changed' } }),
      edge.call('POST', `${path}/comments`, { token, body: { body: 'hi' } }),
      edge.call('POST', `${path}/attachments`, { token, body: 'file', headers: { 'content-type': 'text/plain' } }),
      edge.call('POST', '/api/v1/tickets/sla-sweep', { token }),
    ];
    for (const role of ['billing', 'read_only'] as const) {
      const staff = await edge.createStaff(tenant, role);
      edge.ok(await edge.call('GET', '/api/v1/tickets', { token: staff.token }), 200);
      edge.ok(await edge.call('GET', path, { token: staff.token }), 200);
      edge.ok(await edge.call('GET', `${path}/comments`, { token: staff.token }), 200);
      edge.ok(await edge.call('GET', `${path}/attachments`, { token: staff.token }), 200);
      for (const res of await Promise.all(writes(staff.token)))
        expect(expectProblem(res, 403, 'forbidden').detail).toBe('this action needs the tickets:write permission');
    }
    for (const role of ['support', 'field_tech'] as const) {
      const staff = await edge.createStaff(tenant, role);
      const [created, patched, commented, attached, swept] = await Promise.all(writes(staff.token));
      expect([created!.status, patched!.status, commented!.status, attached!.status, swept!.status]).toEqual([
        201, 200, 201, 201, 200,
      ]);
    }
    const key = await edge.createApiKey(tenant.owner.token, 'read_only');
    expectProblem(await edge.call('PATCH', path, { token: key.secret, body: { subject: 'by key' } }), 403, 'forbidden');
    expectProblem(await edge.call('GET', '/api/v1/tickets'), 401, 'unauthenticated');
    expect(edge.ok(await edge.call('GET', path, { token: tenant.owner.token }), 200).body.subject).toBe('changed');
  });

  it("never links another tenant's staff or subscribers, and never shows another tenant's tickets", async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const aTech = await edge.createStaff(a, 'field_tech');
    const aSubscriber = edge.ok(
      await edge.call('POST', '/api/v1/subscribers', {
        token: a.owner.token,
        body: { first_name: 'Alice', email: 'alice@a.test' },
      }),
      201,
    ).body;
    const aTicket = edge.ok(
      await edge.call('POST', '/api/v1/tickets', {
        token: a.owner.token,
        body: { subject: 'A private', assignee_id: aTech.id, subscriber_id: aSubscriber.id },
      }),
      201,
    ).body;
    expect(aTicket).toMatchObject({ assignee_id: aTech.id, subscriber_id: aSubscriber.id });

    for (const body of [
      { subject: 'x', assignee_id: aTech.id },
      { subject: 'x', subscriber_id: String(aSubscriber.id) },
    ]) {
      expectProblem(
        await edge.call('POST', '/api/v1/tickets', { token: b.owner.token, body }),
        400,
        'validation_failed',
      );
    }
    const list = edge.ok(
      await edge.call('GET', `/api/v1/tickets?assignee_id=${aTech.id}`, { token: b.owner.token }),
      200,
    );
    expect(list.body.data).toEqual([]);
    const csv = await edge.call('GET', `/api/v1/tickets?format=csv&subscriber_id=${String(aSubscriber.id)}`, {
      token: b.owner.token,
    });
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(1);
    expectProblem(
      await edge.call('GET', `/api/v1/tickets/${String(aTicket.id)}`, { token: b.owner.token }),
      404,
      'not_found',
    );
    expect(
      edge.ok(await edge.call('GET', `/api/v1/tickets/${String(aTicket.id)}`, { token: a.owner.token }), 200).body
        .subject,
    ).toBe('A private');
  });
});

describe('SLA breaches', () => {
  it(
    'records each clock breach exactly once, from the sweep or from a read, and never while pending or after it was ' +
      'met',
    async () => {
      const edge = await startEdge();
      const tenant = await edge.createTenant();
      const key = (await edge.createApiKey(tenant.owner.token, 'owner')).secret; // API keys outlive the clock jumps
      // One millisecond apart, so newest-first lists have a defined order.
      const create = async (subject: string, priority: string) =>
        edge.ok(await edge.call('POST', '/api/v1/tickets', { token: key, body: { subject, priority } }), 201).body;
      const urgent = await create('urgent', 'urgent'); // first response 1 h, resolution 4 h
      edge.clock.now++;
      const answered = await create('answered', 'urgent');
      edge.clock.now++;
      const waiting = await create('waiting', 'urgent');
      edge.clock.now++;
      const normal = await create('normal', 'normal'); // 4 h, 24 h
      edge.clock.now = startTime + 30 * 60_000;
      edge.ok(
        await edge.call('POST', `/api/v1/tickets/${String(answered.id)}/comments`, {
          token: key,
          body: { body: 'On it' },
        }),
        201,
      );
      edge.ok(
        await edge.call('POST', `/api/v1/tickets/${String(waiting.id)}/comments`, {
          token: key,
          body: { body: 'Need your router model' },
        }),
        201,
      );
      edge.ok(
        await edge.call('PATCH', `/api/v1/tickets/${String(waiting.id)}`, { token: key, body: { status: 'pending' } }),
        200,
      );
      const sweep = async () =>
        edge.ok(await edge.call('POST', '/api/v1/tickets/sla-sweep', { token: key }), 200).body.breached as Json[];

      // Exactly at the due time is not yet a breach.
      edge.clock.now = startTime + hour;
      expect(await sweep()).toEqual([]);
      edge.clock.now = startTime + hour + 1;
      expect(await sweep()).toEqual([
        {
          ticket_id: urgent.id,
          number: urgent.number,
          kind: 'first_response',
          due_at: new Date(startTime + hour).toISOString(),
        },
      ]);
      expect(await sweep()).toEqual([]);

      edge.clock.now = startTime + 5 * hour;
      const flagged = edge
        .ok(await edge.call('GET', '/api/v1/tickets?breached=true', { token: key }), 200)
        .body.data!.map((t) => t.subject);
      expect(flagged).toEqual(['normal', 'answered', 'urgent']); // not yet swept, already shown
      expect(
        edge
          .ok(await edge.call('GET', '/api/v1/tickets?breached=false', { token: key }), 200)
          .body.data!.map((t) => t.subject),
      ).toEqual(['waiting']);
      // Reading one ticket records its breach at once.
      const read = edge.ok(await edge.call('GET', `/api/v1/tickets/${String(normal.id)}`, { token: key }), 200).body;
      expect(read.sla).toMatchObject({ first_response: { breached: true }, resolution: { breached: false } });
      edge.ok(await edge.call('GET', `/api/v1/tickets/${String(normal.id)}`, { token: key }), 200);
      const swept = await sweep();
      expect(swept.map((b) => [b.number, b.kind]).sort()).toEqual([
        [urgent.number, 'resolution'],
        [answered.number, 'resolution'],
      ]);
      expect(await sweep()).toEqual([]);

      // Resolving after the breach does not undo it; reopening restarts the clock but never breaches that kind again.
      edge.ok(
        await edge.call('PATCH', `/api/v1/tickets/${String(urgent.id)}`, { token: key, body: { status: 'resolved' } }),
        200,
      );
      edge.ok(
        await edge.call('PATCH', `/api/v1/tickets/${String(urgent.id)}`, { token: key, body: { status: 'open' } }),
        200,
      );
      edge.clock.now = startTime + 100 * hour;
      const late = await sweep();
      expect(late.map((b) => [b.number, b.kind])).toEqual([[normal.number, 'resolution']]);

      const events = await breachEvents(edge, tenant.slug);
      expect(events.map((e) => [e.number, e.kind])).toEqual([
        [urgent.number, 'first_response'],
        [normal.number, 'first_response'],
        [urgent.number, 'resolution'],
        [answered.number, 'resolution'],
        [normal.number, 'resolution'],
      ]);
      expect(events[0]).toMatchObject({
        ticket: urgent.id,
        priority: 'urgent',
        due_at: new Date(startTime + hour).toISOString(),
        at: startTime + hour + 1,
      });
      // The pending ticket's resolution clock stood still: 3.5 h of it remain.
      expect(events.some((e) => e.ticket === waiting.id)).toBe(false);
      const audit = edge.ok(
        await edge.call('GET', '/api/v1/audit-events?action=ticket.sla_breached', { token: key }),
        200,
      ).body.data!;
      expect(audit).toHaveLength(5);
      expect(audit.every((e) => e.actor_type === 'system' && e.actor_id === null)).toBe(true);
    },
  );

  it('records a breach once under concurrent sweeps and reads', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = (await edge.createApiKey(tenant.owner.token, 'owner')).secret;
    const ticket = edge.ok(
      await edge.call('POST', '/api/v1/tickets', { token: key, body: { subject: 'race', priority: 'urgent' } }),
      201,
    ).body;
    edge.clock.now = startTime + 10 * hour;
    const calls = Array.from({ length: 6 }, (_, i) =>
      i % 2
        ? edge.call('POST', '/api/v1/tickets/sla-sweep', { token: key })
        : edge.call('GET', `/api/v1/tickets/${String(ticket.id)}`, { token: key }),
    );
    for (const res of await Promise.all(calls)) expect(res.status).toBe(200);
    expect((await breachEvents(edge, tenant.slug)).map((e) => e.kind).sort()).toEqual(['first_response', 'resolution']);
  });
});
