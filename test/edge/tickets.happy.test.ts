import { describe, expect, it } from 'vitest';
import { startEdge, startTime, type Json, type TestEdge } from '../support/edge-app.ts';

const hour = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  // API keys do not expire, so tests that move the clock by hours use one.
  const key = (await edge.createApiKey(tenant.owner.token, 'owner')).secret;
  const token = tenant.owner.token;
  const create = async (body: Json) => edge.ok(await edge.call('POST', '/api/v1/tickets', { token, body }), 201).body;
  return { edge, tenant, token, key, create };
}

const events = async (edge: TestEdge, slug: string, type: string) =>
  (
    await edge.tenantSql(slug, 'SELECT subject_id, payload FROM domain_events WHERE type = ? ORDER BY seq', [type])
  ).rows.map((r) => ({ subject: String(r.subject_id), payload: JSON.parse(String(r.payload)) as Json }));

describe('tickets', () => {
  it(
    'creates numbered tickets with SLA due times from priority, ' + 'a ticket.created event and an audit entry',
    async () => {
      const { edge, tenant, token, create } = await setup();
      const tech = await edge.createStaff(tenant, 'field_tech');
      const first = await create({
        subject: 'No internet',
        description: 'Since this morning',
        priority: 'urgent',
        assignee_id: tech.id,
      });
      expect(first).toMatchObject({
        number: 'TKT-000001',
        subject: 'No internet',
        description: 'Since this morning',
        priority: 'urgent',
        status: 'open',
        assignee_id: tech.id,
        subscriber_id: null,
        created_by: tenant.owner.id,
        sla: {
          first_response: { due_at: iso(startTime + 1 * hour), met_at: null, breached: false },
          resolution: { due_at: iso(startTime + 4 * hour), met_at: null, breached: false, paused: false },
        },
      });
      // Subscriptions must exist (tickets.error.test.ts); devices have no table yet and are kept as given.
      const second = await create({ subject: 'Slow', device_id: '0192f0c0-0000-7000-8000-000000000002' });
      expect(second).toMatchObject({
        number: 'TKT-000002',
        priority: 'normal',
        description: '',
        subscription_id: null,
        device_id: '0192f0c0-0000-7000-8000-000000000002',
      });
      expect(second.sla).toMatchObject({
        first_response: { due_at: iso(startTime + 4 * hour) },
        resolution: { due_at: iso(startTime + 24 * hour) },
      });
      for (const [priority, fr, res] of [
        ['high', 2, 8],
        ['low', 8, 72],
      ] as const) {
        expect((await create({ subject: priority, priority })).sla).toMatchObject({
          first_response: { due_at: iso(startTime + fr * hour) },
          resolution: { due_at: iso(startTime + res * hour) },
        });
      }

      expect(await events(edge, tenant.slug, 'ticket.created')).toEqual([
        {
          subject: first.id,
          payload: {
            number: 'TKT-000001',
            subject: 'No internet',
            priority: 'urgent',
            assignee_id: tech.id,
            subscriber_id: null,
          },
        },
        expect.objectContaining({ subject: second.id }),
        expect.anything(),
        expect.anything(),
      ]);
      const audit = edge.ok(await edge.call('GET', `/api/v1/audit-events?resource_id=${first.id}`, { token }), 200).body
        .data!;
      expect(audit.map((e) => e.action)).toEqual(['ticket.created']);
      expect(edge.ok(await edge.call('GET', `/api/v1/tickets/${first.id}`, { token }), 200).body).toEqual(first);
    },
  );

  it(
    'moves through statuses: pending pauses the resolution clock, resolving meets both clocks, reopening restarts ' +
      'resolution, closing is final',
    async () => {
      const { edge, key: token, create } = await setup();
      const ticket = await create({ subject: 'Router reboots', priority: 'high' });
      const patch = async (body: Json) =>
        edge.ok(await edge.call('PATCH', `/api/v1/tickets/${ticket.id}`, { token, body }), 200).body;

      edge.clock.now = startTime + 1 * hour;
      expect(await patch({ status: 'pending' })).toMatchObject({
        status: 'pending',
        sla: { resolution: { paused: true, due_at: iso(startTime + 8 * hour) } },
      });
      edge.clock.now = startTime + 10 * hour; // 9 h waiting on the customer: not counted, not breached
      expect((await patch({})).sla).toMatchObject({ resolution: { breached: false, paused: true } });
      const resumed = await patch({ status: 'open' });
      expect(resumed.sla).toMatchObject({
        resolution: { paused: false, breached: false, due_at: iso(startTime + 17 * hour) },
      });

      edge.clock.now = startTime + 11 * hour;
      const resolved = await patch({ status: 'resolved' });
      expect(resolved.sla).toMatchObject({
        first_response: { met_at: iso(startTime + 11 * hour) },
        resolution: { met_at: iso(startTime + 11 * hour), breached: false },
      });

      edge.clock.now = startTime + 30 * hour;
      const reopened = await patch({ status: 'open' });
      expect(reopened).toMatchObject({
        status: 'open',
        sla: { resolution: { met_at: null, due_at: iso(startTime + 38 * hour), breached: false } },
      });

      const closed = await patch({ status: 'closed' });
      expect(closed).toMatchObject({
        status: 'closed',
        closed_at: iso(startTime + 30 * hour),
        sla: { resolution: { met_at: iso(startTime + 30 * hour) } },
      });

      const audit = edge.ok(
        await edge.call('GET', `/api/v1/audit-events?resource_id=${ticket.id}&action=ticket.updated`, { token }),
        200,
      ).body.data!;
      expect(audit.map((e) => (e.changes as Json).status)).toEqual([
        { from: 'open', to: 'closed' },
        { from: 'resolved', to: 'open' },
        { from: 'open', to: 'resolved' },
        { from: 'pending', to: 'open' },
        { from: 'open', to: 'pending' },
      ]);
    },
  );

  it('edits fields, re-targets SLAs on a priority change, and unassigns with null', async () => {
    const { edge, tenant, key: token, create } = await setup();
    const support = await edge.createStaff(tenant, 'support');
    const ticket = await create({ subject: 'Billing question', priority: 'low', assignee_id: support.id });
    edge.clock.now = startTime + hour;
    const updated = edge.ok(
      await edge.call('PATCH', `/api/v1/tickets/${ticket.id}`, {
        token,
        body: {
          subject: 'Billing question (urgent)',
          description: 'Card declined',
          priority: 'urgent',
          assignee_id: null,
        },
      }),
      200,
    ).body;
    expect(updated).toMatchObject({
      subject: 'Billing question (urgent)',
      description: 'Card declined',
      priority: 'urgent',
      assignee_id: null,
      updated_at: iso(startTime + hour),
      sla: { first_response: { due_at: iso(startTime + 1 * hour) }, resolution: { due_at: iso(startTime + 4 * hour) } },
    });
    const [entry] = edge.ok(
      await edge.call('GET', `/api/v1/audit-events?resource_id=${ticket.id}&action=ticket.updated`, { token }),
      200,
    ).body.data!;
    expect(entry!.changes).toEqual({
      subject: 'Billing question (urgent)',
      description: 'Card declined',
      priority: 'urgent',
      assignee_id: null,
    });
  });

  it('keeps public and internal comments; the first public one meets the first-response SLA', async () => {
    const { edge, token, create } = await setup();
    const ticket = await create({ subject: 'Outage', priority: 'normal' });
    const comment = async (body: Json) =>
      edge.ok(await edge.call('POST', `/api/v1/tickets/${ticket.id}/comments`, { token, body }), 201).body;
    edge.clock.now = startTime + 60_000;
    const note = await comment({ body: 'Checked the OLT, looks fine', internal: true });
    expect(note).toMatchObject({
      ticket_id: ticket.id,
      internal: true,
      author_type: 'user',
      body: 'Checked the OLT, looks fine',
    });
    expect(edge.ok(await edge.call('GET', `/api/v1/tickets/${ticket.id}`, { token }), 200).body.sla).toMatchObject({
      first_response: { met_at: null },
    });
    edge.clock.now = startTime + 120_000;
    const reply = await comment({ body: 'We are on it' });
    expect(reply.internal).toBe(false);
    edge.clock.now = startTime + 180_000;
    await comment({ body: 'Fixed now' });
    const read = edge.ok(await edge.call('GET', `/api/v1/tickets/${ticket.id}`, { token }), 200).body;
    expect(read.sla).toMatchObject({ first_response: { met_at: iso(startTime + 120_000) } });
    expect(read.updated_at).toBe(iso(startTime + 180_000));

    const page1 = edge.ok(await edge.call('GET', `/api/v1/tickets/${ticket.id}/comments?limit=2`, { token }), 200).body;
    expect(page1.data!.map((c) => c.body)).toEqual(['Checked the OLT, looks fine', 'We are on it']);
    const page2 = edge.ok(
      await edge.call('GET', `/api/v1/tickets/${ticket.id}/comments?limit=2&cursor=${String(page1.next_cursor)}`, {
        token,
      }),
      200,
    ).body;
    expect(page2).toMatchObject({ data: [{ body: 'Fixed now' }], next_cursor: null });
  });

  it('lists newest first with filters and a cursor, and exports the same filters as CSV', async () => {
    const { edge, tenant, token, create } = await setup();
    const tech = await edge.createStaff(tenant, 'field_tech');
    const created: Json[] = [];
    // Ids are UUIDv7: newest first means by creation millisecond.
    for (let i = 0; i < 5; i++, edge.clock.now++)
      created.push(
        await create({
          subject: `T${i}`,
          priority: i % 2 ? 'high' : 'low',
          ...(i < 3 ? { assignee_id: tech.id } : {}),
        }),
      );
    edge.ok(
      await edge.call('PATCH', `/api/v1/tickets/${String(created[0]!.id)}`, { token, body: { status: 'pending' } }),
      200,
    );
    const list = async (query: string) =>
      edge.ok(await edge.call('GET', `/api/v1/tickets?${query}`, { token }), 200).body;

    expect((await list('')).data!.map((t) => t.subject)).toEqual(['T4', 'T3', 'T2', 'T1', 'T0']);
    expect((await list('priority=high')).data!.map((t) => t.subject)).toEqual(['T3', 'T1']);
    expect((await list(`assignee_id=${tech.id}&priority=low`)).data!.map((t) => t.subject)).toEqual(['T2', 'T0']);
    expect((await list('status=pending')).data!.map((t) => t.subject)).toEqual(['T0']);
    const first = await list('limit=2');
    expect(first.data!.map((t) => t.subject)).toEqual(['T4', 'T3']);
    const second = await list(`limit=2&cursor=${String(first.next_cursor)}`);
    expect(second.data!.map((t) => t.subject)).toEqual(['T2', 'T1']);
    expect((await list(`limit=2&cursor=${String(second.next_cursor)}`)).next_cursor).toBeNull();

    const csv = await edge.call('GET', `/api/v1/tickets?format=csv&assignee_id=${tech.id}&priority=low`, { token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="tickets.csv"');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'number,id,subject,description,status,priority,assignee_id,subscriber_id,subscription_id,device_id,' +
        'first_response_due_at,first_responded_at,first_response_breached,resolution_due_at,resolved_at,' +
        'resolution_breached,created_at,updated_at,closed_at',
    );
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 6).join(','))).toEqual([
      `"TKT-000003","${String(created[2]!.id)}","T2","","open","low"`,
      `"TKT-000001","${String(created[0]!.id)}","T0","","pending","low"`,
    ]);
    // The export is every matching ticket: limit and cursor do not apply.
    for (let i = 0; i < 3; i++) await create({ subject: `bulk ${i}`, priority: 'urgent' });
    const all = await edge.call(
      'GET',
      `/api/v1/tickets?format=csv&priority=urgent&limit=1&cursor=${String(first.next_cursor)}`,
      { token },
    );
    expect(all.text.trimEnd().split('\r\n')).toHaveLength(4);
  });

  it('honours Idempotency-Key: a retried creation returns the same ticket and takes no second number', async () => {
    const { edge, tenant, token } = await setup();
    const send = () =>
      edge.call('POST', '/api/v1/tickets', {
        token,
        body: { subject: 'Retried' },
        headers: { 'idempotency-key': 'create-ticket-1' },
      });
    const first = edge.ok(await send(), 201);
    const again = edge.ok(await send(), 201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(
      edge.ok(await edge.call('POST', '/api/v1/tickets', { token, body: { subject: 'Next' } }), 201).body.number,
    ).toBe('TKT-000002');
    expect(
      (await edge.tenantSql(tenant.slug, "SELECT count(*) AS n FROM domain_events WHERE type = 'ticket.created'"))
        .rows[0]!.n,
    ).toBe(2);
  });
});
