import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';

describe('GET /api/v1/events', () => {
  it('pages the outbox in commit order from a position, filters by type, checks permission and tenant', async () => {
    const edge = await startEdge();
    const a = await edge.createTenant();
    const b = await edge.createTenant();
    const token = a.owner.token;
    const tickets: Json[] = [];
    for (const subject of ['one', 'two', 'three', 'four', 'five']) {
      tickets.push(edge.ok(await edge.call('POST', '/api/v1/tickets', { token, body: { subject } }), 201).body);
    }
    const seen: Json[] = [];
    let next = 'after=0';
    for (let page = 0; page < 10; page++) {
      const path = `/api/v1/events?${next}&limit=2&type=ticket.created`;
      const res = edge.ok(await edge.call('GET', path, { token }), 200).body;
      seen.push(...(res.data as Json[]));
      if (res.next_cursor === null) break;
      next = `cursor=${String(res.next_cursor)}`;
    }
    expect(seen.map((e) => e.subject_id)).toEqual(tickets.map((t) => t.id));
    expect(seen[0]).toMatchObject({ type: 'ticket.created', subject_type: 'ticket', data: expect.any(Object) });
    expect(seen[0]!.occurred_at).toEqual(expect.any(String));
    const seqs = seen.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const rest = edge.ok(await edge.call('GET', `/api/v1/events?after=${seqs[2]}`, { token }), 200).body.data as Json[];
    expect(rest.map((e) => e.subject_id)).toEqual(tickets.slice(3).map((t) => t.id));

    expect(edge.ok(await edge.call('GET', '/api/v1/events', { token: b.owner.token }), 200).body.data).toEqual([]);
    for (const role of ['support', 'billing', 'operations', 'field_tech'] as const) {
      const staff = await edge.createStaff(a, role);
      expectProblem(await edge.call('GET', '/api/v1/events', { token: staff.token }), 403, 'forbidden');
    }
    const readOnly = await edge.createStaff(a, 'read_only');
    edge.ok(await edge.call('GET', '/api/v1/events', { token: readOnly.token }), 200);
    expectProblem(await edge.call('GET', '/api/v1/events?after=-1', { token }), 400, 'validation_failed');
    expectProblem(await edge.call('GET', '/api/v1/events'), 401, 'unauthenticated');
  });
});
