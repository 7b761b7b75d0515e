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
      [
        { subject: 'ok', assignee_id: 'not-a-uuid', subscriber_id: 42, subscription_id: 'x', device_id: '' },
        ['assignee_id', 'device_id', 'subscriber_id', 'subscription_id'],
      ],
      [{ subject: 'ok', status: 'open' }, ['(body)']],
      [{ subject: 7, priority: null }, ['priority', 'subject']],
    ];
    for (const [body, fields] of bad) {
      const problem = expectProblem(
        await edge.call('POST', '/api/v1/tickets', { token, body }),
        400,
        'validation_failed',
      );
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
        const problem = expectProblem(
          await edge.call(method, url, { token, body: { ...(method === 'POST' ? { subject: 'x' } : {}), ...links } }),
          400,
          'validation_failed',
        );
        expect(problem.errors).toEqual([{ path: field, message: expect.stringMatching(message) }]);
      }
    }
  });

  // Issue 13 D11: a random subscription id, or another tenant's, used to be stored as given.
  it(
    'refuses a subscription that does not exist, is another ' + "tenant's, or is not the ticket's subscriber's",
    async () => {
      const { edge, tenant, token, path } = await setup();
      const subscription = async (owner: string) => {
        const offer = edge.ok(
          await edge.call('POST', '/api/v1/offers', {
            token: owner,
            body: {
              code: `O-${crypto.randomUUID().slice(0, 8)}`,
              name: 'Fiber',
              service_type: 'residential',
              access_type: 'fiber',
              billing_cycle: 'monthly',
              billing_mode: 'postpaid',
              prices: [{ currency: 'USD', amount: 1000 }],
              download_mbps: 100,
              upload_mbps: 20,
            },
          }),
          201,
        ).body;
        const subscriber = edge.ok(
          await edge.call('POST', '/api/v1/subscribers', { token: owner, body: { last_name: 'Owner' } }),
          201,
        ).body;
        const sub = edge.ok(
          await edge.call('POST', '/api/v1/subscriptions', {
            token: owner,
            body: { subscriber_id: subscriber.id, offer_id: offer.id, start_at: '2031-01-15T00:00:00Z' },
          }),
          201,
        ).body;
        return { subscriberId: String(subscriber.id), id: String(sub.id) };
      };
      const mine = await subscription(token);
      const other = await edge.createTenant();
      const foreign = await subscription(other.owner.token);
      const stranger = edge.ok(
        await edge.call('POST', '/api/v1/subscribers', { token, body: { last_name: 'Stranger' } }),
        201,
      ).body;
      const cases: Json[] = [
        { subscription_id: crypto.randomUUID() },
        { subscription_id: foreign.id },
        { subscription_id: mine.id, subscriber_id: stranger.id },
      ];
      for (const links of cases) {
        for (const [method, url] of [
          ['POST', '/api/v1/tickets'],
          ['PATCH', path],
        ] as const) {
          const problem = expectProblem(
            await edge.call(method, url, { token, body: { ...(method === 'POST' ? { subject: 'x' } : {}), ...links } }),
            400,
            'validation_failed',
          );
          expect(problem.errors).toEqual([
            {
              path: 'subscription_id',
              message: expect.stringMatching(/no subscription|belongs to another subscriber/),
            },
          ]);
        }
      }
      expect(
        (await edge.tenantSql(tenant.slug, 'SELECT count(*) AS n FROM tickets WHERE subscription_id IS NOT NULL'))
          .rows[0]!.n,
      ).toBe(0);
      // Its own subscriber's subscription is fine; alone, the ticket takes that subscriber.
      edge.ok(
        await edge.call('POST', '/api/v1/tickets', {
          token,
          body: { subject: 'ok', subscriber_id: mine.subscriberId, subscription_id: mine.id },
        }),
        201,
      );
      const alone = edge.ok(await edge.call('PATCH', path, { token, body: { subscription_id: mine.id } }), 200).body;
      expect(alone).toMatchObject({ subscription_id: mine.id, subscriber_id: mine.subscriberId });
    },
  );

  it('lists each bad field of a change and of a comment', async () => {
    const { edge, token, path } = await setup();
    const bad: [Json, string[]][] = [
      [{ subject: '' }, ['subject']],
      [{ status: 'reopened' }, ['status']],
      [{ priority: 'soon', assignee_id: 'x' }, ['assignee_id', 'priority']],
      [{ number: 'TKT-999999' }, ['(body)']],
    ];
    for (const [body, fields] of bad)
      expect(
        fieldsOf(expectProblem(await edge.call('PATCH', path, { token, body }), 400, 'validation_failed')),
        JSON.stringify(body),
      ).toEqual(fields);
    for (const [body, fields] of [
      [{}, ['body']],
      [{ body: ' ' }, ['body']],
      [{ body: 'x'.repeat(20_001) }, ['body']],
      [{ body: 'ok', internal: 'yes' }, ['internal']],
    ] as [Json, string[]][]) {
      expect(
        fieldsOf(expectProblem(await edge.call('POST', `${path}/comments`, { token, body }), 400, 'validation_failed')),
        JSON.stringify(body),
      ).toEqual(fields);
    }
    for (const query of [
      'status=done',
      'priority=x',
      'assignee_id=nope',
      'subscriber_id=1',
      'breached=yes',
      'format=xml',
      'limit=0',
      'limit=201',
    ]) {
      expectProblem(await edge.call('GET', `/api/v1/tickets?${query}`, { token }), 400, 'validation_failed');
    }
    expectProblem(await edge.call('GET', '/api/v1/tickets/not-a-uuid', { token }), 400, 'validation_failed');
    expectProblem(await edge.call('GET', `/api/v1/tickets/${crypto.randomUUID()}`, { token }), 404, 'not_found');
    expectProblem(
      await edge.call('PATCH', `/api/v1/tickets/${crypto.randomUUID()}`, { token, body: { subject: 'x' } }),
      404,
      'not_found',
    );
    expectProblem(
      await edge.call('POST', `/api/v1/tickets/${crypto.randomUUID()}/comments`, { token, body: { body: 'x' } }),
      404,
      'not_found',
    );
  });

  it('answers illegal status transitions with 409 and keeps closed tickets read-only', async () => {
    const { edge, token, path, ticket } = await setup();
    const patch = (body: Json) => edge.call('PATCH', path, { token, body });
    edge.ok(await patch({ status: 'resolved' }), 200);
    expect(expectProblem(await patch({ status: 'pending' }), 409, 'invalid_state').detail).toBe(
      'a resolved ticket cannot become pending',
    );
    edge.ok(await patch({ status: 'closed' }), 200);
    for (const body of [{ status: 'open' }, { status: 'resolved' }, { subject: 'edited' }, { priority: 'urgent' }]) {
      expect(expectProblem(await patch(body), 409, 'invalid_state').detail).toMatch(/closed ticket cannot be changed/);
    }
    expectProblem(await edge.call('POST', `${path}/comments`, { token, body: { body: 'late' } }), 409, 'invalid_state');
    expectProblem(
      await edge.call('POST', `${path}/attachments`, {
        token,
        body: 'late',
        headers: { 'content-type': 'text/plain' },
      }),
      409,
      'invalid_state',
    );
    const read = edge.ok(await edge.call('GET', path, { token }), 200).body;
    expect(read).toMatchObject({ status: 'closed', subject: ticket.subject });
    const actions = edge
      .ok(await edge.call('GET', `/api/v1/audit-events?resource_id=${String(ticket.id)}`, { token }), 200)
      .body.data!.map((e) => e.action);
    expect(actions).toEqual(['ticket.updated', 'ticket.updated', 'ticket.created']);
  });
});
