import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  const ticket = edge.ok(await edge.call('POST', '/api/v1/tickets', { token, body: { subject: 'Base' } }), 201).body;
  return { edge, tenant, token, ticket, path: `/api/v1/tickets/${String(ticket.id)}` };
}

const fieldsOf = (problem: { errors?: { path: string }[] }) => (problem.errors ?? []).map((e) => e.path).sort();

describe('ticket input errors', () => {
  it('lists each bad field of a new ticket', async () => {
    const { edge, token } = await setup();
    const bad: [Json, string[]][] = [
      [{}, ['subject']],
      [{ subject: '   ' }, ['subject']],
      [{ subject: 'x'.repeat(201) }, ['subject']],
      [{ subject: 'ok', description: 'x'.repeat(20_001) }, ['description']],
      [{ subject: 'ok', priority: 'critical' }, ['priority']],
      [{ subject: 'ok', assignee_id: 'not-a-uuid', subscriber_id: 42, subscription_id: 'x', device_id: '' }, ['assignee_id', 'device_id', 'subscriber_id', 'subscription_id']],
      [{ subject: 'ok', status: 'open' }, ['(body)']],
      [{ subject: 7, priority: null }, ['priority', 'subject']],
    ];
    for (const [body, fields] of bad) {
      const problem = expectProblem(await edge.call('POST', '/api/v1/tickets', { token, body }), 400, 'validation_failed');
      expect(fieldsOf(problem), JSON.stringify(body)).toEqual(fields);
    }
    expect(edge.ok(await edge.call('GET', '/api/v1/tickets', { token }), 200).body.data).toHaveLength(1);
  });

  it('refuses assignees that are not active ticket staff and subscribers that do not exist', async () => {
    const { edge, tenant, token, path } = await setup();
    const billing = await edge.createStaff(tenant, 'billing');
    const gone = await edge.createStaff(tenant, 'support');
    edge.ok(await edge.call('DELETE', `/api/v1/users/${gone.id}`, { token }), 204);
    const cases: [Json, string, RegExp][] = [
      [{ assignee_id: crypto.randomUUID() }, 'assignee_id', /no active staff user/],
      [{ assignee_id: gone.id }, 'assignee_id', /no active staff user/],
      [{ assignee_id: billing.id }, 'assignee_id', /billing role cannot work tickets/],
      [{ subscriber_id: crypto.randomUUID() }, 'subscriber_id', /no subscriber/],
    ];
    for (const [links, field, message] of cases) {
      for (const [method, url] of [
        ['POST', '/api/v1/tickets'],
        ['PATCH', path],
      ] as const) {
        const problem = expectProblem(await edge.call(method, url, { token, body: { ...(method === 'POST' ? { subject: 'x' } : {}), ...links } }), 400, 'validation_failed');
        expect(problem.errors).toEqual([{ path: field, message: expect.stringMatching(message) }]);
      }
    }
  });

  it('lists each bad field of a change and of a comment', async () => {
    const { edge, token, path } = await setup();
    const bad: [Json, string[]][] = [
      [{ subject: '' }, ['subject']],
      [{ status: 'reopened' }, ['status']],
      [{ priority: 'soon', assignee_id: 'x' }, ['assignee_id', 'priority']],
      [{ number: 'TKT-999999' }, ['(body)']],
    ];
    for (const [body, fields] of bad) expect(fieldsOf(expectProblem(await edge.call('PATCH', path, { token, body }), 400, 'validation_failed')), JSON.stringify(body)).toEqual(fields);
    for (const [body, fields] of [
      [{}, ['body']],
      [{ body: ' ' }, ['body']],
      [{ body: 'x'.repeat(20_001) }, ['body']],
      [{ body: 'ok', internal: 'yes' }, ['internal']],
    ] as [Json, string[]][]) {
      expect(fieldsOf(expectProblem(await edge.call('POST', `${path}/comments`, { token, body }), 400, 'validation_failed')), JSON.stringify(body)).toEqual(fields);
    }
    for (const query of ['status=done', 'priority=x', 'assignee_id=nope', 'subscriber_id=1', 'breached=yes', 'format=xml', 'limit=0', 'limit=201']) {
      expectProblem(await edge.call('GET', `/api/v1/tickets?${query}`, { token }), 400, 'validation_failed');
    }
    expectProblem(await edge.call('GET', '/api/v1/tickets/not-a-uuid', { token }), 400, 'validation_failed');
    expectProblem(await edge.call('GET', `/api/v1/tickets/${crypto.randomUUID()}`, { token }), 404, 'not_found');
    expectProblem(await edge.call('PATCH', `/api/v1/tickets/${crypto.randomUUID()}`, { token, body: { subject: 'x' } }), 404, 'not_found');
    expectProblem(await edge.call('POST', `/api/v1/tickets/${crypto.randomUUID()}/comments`, { token, body: { body: 'x' } }), 404, 'not_found');
  });

  it('answers illegal status transitions with 409 and keeps closed tickets read-only', async () => {
    const { edge, token, path, ticket } = await setup();
    const patch = (body: Json) => edge.call('PATCH', path, { token, body });
    edge.ok(await patch({ status: 'resolved' }), 200);
    expect(expectProblem(await patch({ status: 'pending' }), 409, 'invalid_state').detail).toBe('a resolved ticket cannot become pending');
    edge.ok(await patch({ status: 'closed' }), 200);
    for (const body of [{ status: 'open' }, { status: 'resolved' }, { subject: 'edited' }, { priority: 'urgent' }]) {
      expect(expectProblem(await patch(body), 409, 'invalid_state').detail).toMatch(/closed ticket cannot be changed/);
    }
    expectProblem(await edge.call('POST', `${path}/comments`, { token, body: { body: 'late' } }), 409, 'invalid_state');
    expectProblem(await edge.call('POST', `${path}/attachments`, { token, body: 'late', headers: { 'content-type': 'text/plain' } }), 409, 'invalid_state');
    const read = edge.ok(await edge.call('GET', path, { token }), 200).body;
    expect(read).toMatchObject({ status: 'closed', subject: ticket.subject });
    const actions = edge.ok(await edge.call('GET', `/api/v1/audit-events?resource_id=${String(ticket.id)}`, { token }), 200).body.data!.map((e) => e.action);
    expect(actions).toEqual(['ticket.updated', 'ticket.updated', 'ticket.created']);
  });
});
