import { describe, expect, it } from 'vitest';
import { expectProblem, startEdge, type Json } from '../support/edge-app.ts';

async function setup() {
  const edge = await startEdge();
  const tenant = await edge.createTenant();
  const token = tenant.owner.token;
  const create = async (body: Json) => edge.ok(await edge.call('POST', '/api/v1/leads', { token, body }), 201).body;
  return { edge, tenant, token, create };
}

const fieldsOf = (problem: { errors?: { path: string }[] }) => (problem.errors ?? []).map((e) => e.path).sort();
const valid = { first_name: 'Ada', email: 'ada@example.com', source: 'web' };

describe('lead input errors', () => {
  it('lists each bad field of a new lead', async () => {
    const { edge, token } = await setup();
    const bad: [Json, string[]][] = [
      [{ ...valid, first_name: '' }, ['first_name']],
      [{ ...valid, last_name: 'x'.repeat(201) }, ['last_name']],
      [{ ...valid, organization_name: 5 }, ['organization_name']],
      [{ ...valid, email: 'not-an-email' }, ['email']],
      [{ ...valid, phone: '555-1234' }, ['phone']],
      [{ ...valid, address: { line1: '1 Way', city: 'Town', country: 'XX' } }, ['address.country']],
      [{ ...valid, address: { line1: '', country: 'US' } }, ['address.city', 'address.line1']],
      [{ ...valid, source: 'billboard' }, ['source']],
      [{ first_name: 'Ada', email: 'ada@example.com' }, ['source']],
      [{ ...valid, partner_id: 'partner-7' }, ['partner_id']],
      [{ ...valid, interested_offer: 'x'.repeat(201) }, ['interested_offer']],
      [{ ...valid, notes: 'x'.repeat(10_001) }, ['notes']],
      [{ ...valid, status: 'qualified' }, ['(body)']],
      // Nobody to address, no way to reach them.
      [{ source: 'web', notes: 'walk-in, left no details' }, ['email', 'last_name']],
    ];
    for (const [body, fields] of bad)
      expect(
        fieldsOf(expectProblem(await edge.call('POST', '/api/v1/leads', { token, body }), 400, 'validation_failed')),
        JSON.stringify(body),
      ).toEqual(fields);
    expect(edge.ok(await edge.call('GET', '/api/v1/leads', { token }), 200).body.data).toEqual([]);
  });

  it('lists each bad field of a change and of a disqualification', async () => {
    const { edge, token, create } = await setup();
    const lead = await create(valid);
    const path = `/api/v1/leads/${String(lead.id)}`;
    for (const [body, fields] of [
      [{ status: 'converted' }, ['status']],
      [{ status: 'qualified' }, ['status']],
      [{ phone: '12' }, ['phone']],
      [{ email: null }, ['email']], // the lead would have no way to reach them
      [{ status_reason: 'x'.repeat(501) }, ['status_reason']],
    ] as [Json, string[]][]) {
      expect(
        fieldsOf(expectProblem(await edge.call('PATCH', path, { token, body }), 400, 'validation_failed')),
        JSON.stringify(body),
      ).toEqual(fields);
    }
    expect(
      fieldsOf(
        expectProblem(await edge.call('POST', `${path}/disqualify`, { token, body: {} }), 400, 'validation_failed'),
      ),
    ).toEqual(['reason']);
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('POST', `${path}/disqualify`, { token, body: { reason: ' ' } }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['reason']);
    expect(
      fieldsOf(
        expectProblem(
          await edge.call('POST', `${path}/convert`, { token, body: { billing_day: 31, kind: 'robot' } }),
          400,
          'validation_failed',
        ),
      ),
    ).toEqual(['billing_day', 'kind']);
    for (const query of ['status=won', 'source=tv', 'partner_id=p', 'format=pdf'])
      expectProblem(await edge.call('GET', `/api/v1/leads?${query}`, { token }), 400, 'validation_failed');
    expect(edge.ok(await edge.call('GET', path, { token }), 200).body).toEqual(lead);
  });

  it('answers illegal transitions with 409, a second conversion too, and keeps converted leads read-only', async () => {
    const { edge, token, create } = await setup();
    const lead = await create(valid);
    const path = `/api/v1/leads/${String(lead.id)}`;
    edge.ok(await edge.call('POST', `${path}/disqualify`, { token, body: { reason: 'No coverage' } }), 200);
    expect(expectProblem(await edge.call('POST', `${path}/convert`, { token }), 409, 'invalid_state').detail).toBe(
      'a unqualified lead cannot become converted',
    );
    expectProblem(await edge.call('PATCH', path, { token, body: { status: 'contacted' } }), 409, 'invalid_state');
    edge.ok(await edge.call('PATCH', path, { token, body: { status: 'lost' } }), 200);
    expectProblem(await edge.call('POST', `${path}/qualify`, { token }), 409, 'invalid_state');
    edge.ok(await edge.call('PATCH', path, { token, body: { status: 'contacted' } }), 200);
    const converted = edge.ok(await edge.call('POST', `${path}/convert`, { token }), 201).body;
    const again = expectProblem(await edge.call('POST', `${path}/convert`, { token }), 409, 'conflict');
    expect(again.detail).toContain(String((converted.subscriber as Json).id));
    for (const [method, url, body] of [
      ['PATCH', path, { notes: 'late' }],
      ['POST', `${path}/qualify`, undefined],
      ['POST', `${path}/disqualify`, { reason: 'x' }],
    ] as const) {
      expectProblem(await edge.call(method, url, { token, ...(body ? { body } : {}) }), 409, 'invalid_state');
    }
    expect((await edge.call('GET', '/api/v1/subscribers', { token })).body.data).toHaveLength(1);
  });
});
