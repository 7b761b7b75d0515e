import { describe, expect, it } from 'vitest';
import { expectProblem, startTime } from '../support/edge-app.ts';
import { billingWorld, startCollectionsEdge } from '../support/billing.ts';

describe('collections: bad requests', () => {
  it('refuses a missing, malformed or future as_of and unknown fields, storing no run', async () => {
    const edge = await startCollectionsEdge();
    const w = await billingWorld(edge, {}, { role: 'owner' });
    const run = (body: unknown) => edge.call('POST', '/api/v1/collections/runs', { token: w.token, body });
    expect(expectProblem(await run({}), 400, 'validation_failed').errors?.map((e) => e.path)).toEqual(['as_of']);
    expect(
      expectProblem(await run({ as_of: 'yesterday' }), 400, 'validation_failed').errors?.map((e) => e.path),
    ).toEqual(['as_of']);
    expectProblem(await run({ as_of: new Date(startTime).toISOString(), dry_run: true }), 400, 'validation_failed');
    const future = expectProblem(
      await run({ as_of: new Date(startTime + 60_000).toISOString() }),
      422,
      'unprocessable',
    );
    expect(future.errors).toEqual([{ path: 'as_of', message: 'is in the future' }]);
    expect((await w.get('collections/runs')).data).toEqual([]);
    // The present instant is fine.
    expect((await w.post('collections/runs', { as_of: new Date(startTime).toISOString() })).actions).toEqual([]);
  });

  it('answers 404 for an unknown run and 400 for a malformed id or filter', async () => {
    const edge = await startCollectionsEdge();
    const w = await billingWorld(edge, {}, { role: 'owner' });
    expectProblem(
      await edge.call('GET', `/api/v1/collections/runs/${crypto.randomUUID()}`, { token: w.token }),
      404,
      'not_found',
    );
    expectProblem(
      await edge.call('GET', '/api/v1/collections/runs/not-a-uuid', { token: w.token }),
      400,
      'validation_failed',
    );
    expectProblem(
      await edge.call('GET', '/api/v1/collections/cases?status=pending', { token: w.token }),
      400,
      'validation_failed',
    );
    expectProblem(
      await edge.call('GET', '/api/v1/collections/cases?subscriber_id=42', { token: w.token }),
      400,
      'validation_failed',
    );
    expectProblem(
      await edge.call('GET', '/api/v1/collections/runs?limit=0', { token: w.token }),
      400,
      'validation_failed',
    );
  });
});
