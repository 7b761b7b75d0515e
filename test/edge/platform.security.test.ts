import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../edge/lib/tokens.ts';
import { expectProblem, startEdge } from '../support/edge-app.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('platform routes refuse tenant credentials', () => {
  it('answers a staff token (any role, even owner) and an API key with 403 on every platform route', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'owner');
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/platform/tenants'],
      [
        'POST',
        '/api/v1/platform/tenants',
        {
          slug: 'sneaky',
          name: 'x',
          currency: 'USD',
          timezone: 'UTC',
          admin_email: 'a@b.test',
          admin_password: 'password-long-1',
        },
      ],
      ['GET', `/api/v1/platform/tenants/${tenant.slug}`],
      ['PATCH', `/api/v1/platform/tenants/${tenant.slug}`, { status: 'suspended' }],
    ];
    for (const token of [tenant.owner.token, key.secret]) {
      for (const [method, path, body] of calls)
        expectProblem(await edge.call(method, path, { token, body }), 403, 'forbidden');
    }
    const root = await edge.rootToken();
    expect(
      edge.ok(await edge.call('GET', `/api/v1/platform/tenants/${tenant.slug}`, { token: root }), 200).body.status,
    ).toBe('active');
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants/sneaky', { token: root }), 404);
  });

  it('answers a platform token on tenant routes with 403', async () => {
    const edge = await startEdge();
    await edge.createTenant();
    const root = await edge.rootToken();
    expectProblem(await edge.call('GET', '/api/v1/me', { token: root }), 403, 'forbidden');
    expectProblem(await edge.call('GET', '/api/v1/users', { token: root }), 403, 'forbidden');
    expectProblem(
      await edge.call('POST', '/api/v1/api-keys', { token: root, body: { name: 'k', role: 'owner' } }),
      403,
      'forbidden',
    );
  });
});

describe('forged and stale platform tokens', () => {
  it('refuses a token signed with another secret', async () => {
    const edge = await startEdge();
    const real = claimsOf(await edge.platformToken());
    const forged = await signAccessToken(
      { typ: 'platform', sub: String(real.sub), iat: Number(real.iat), exp: Number(real.exp) },
      'y'.repeat(40),
    );
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants', { token: forged }), 401, 'unauthenticated');
  });

  it('refuses an unsigned (alg none) token and a token whose payload was edited', async () => {
    const edge = await startEdge();
    const token = await edge.platformToken();
    const [, payload, signature] = token.split('.');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants', { token: none }), 401, 'unauthenticated');
    const claims = claimsOf(token);
    const extended =
      `${token.split('.')[0]}.${b64({ ...claims, exp: Number(claims.exp) + 86_400 * 365 })}` + `.${signature}`;
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants', { token: extended }), 401, 'unauthenticated');
  });

  it('turns a staff token into nothing by relabelling it as a platform token', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const [head, , signature] = tenant.owner.token.split('.');
    const relabelled = `${head}.${b64({ ...claimsOf(tenant.owner.token), typ: 'platform' })}.${signature}`;
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants', { token: relabelled }), 401, 'unauthenticated');
  });

  it('refuses a validly signed platform token whose user no longer exists', async () => {
    const edge = await startEdge();
    const now = Math.floor(edge.clock.now / 1000);
    const ghost = await signAccessToken(
      { typ: 'platform', sub: '01900000-0000-7000-8000-000000000000', iat: now, exp: now + 600 },
      edge.platform.config.authSecret,
    );
    expectProblem(await edge.call('GET', '/api/v1/platform/tenants', { token: ghost }), 401, 'unauthenticated');
  });
});

describe('suspension', () => {
  it('blocks API keys and every tenant route of a suspended tenant, not just reads', async () => {
    const edge = await startEdge();
    const tenant = await edge.createTenant();
    const key = await edge.createApiKey(tenant.owner.token, 'admin');
    edge.ok(
      await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
        token: await edge.rootToken(),
        body: { status: 'suspended' },
      }),
      200,
    );
    for (const [method, path, body] of [
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/api-keys', { name: 'late', role: 'read_only' }],
      ['DELETE', `/api/v1/api-keys/${key.id}`],
      ['GET', '/api/v1/audit-events'],
    ] as [string, string, unknown?][]) {
      expectProblem(await edge.call(method, path, { token: key.secret, body }), 403, 'tenant_suspended');
    }
    // The suspended tenant's data was not changed by those attempts.
    edge.ok(
      await edge.call('PATCH', `/api/v1/platform/tenants/${tenant.slug}`, {
        token: await edge.rootToken(),
        body: { status: 'active' },
      }),
      200,
    );
    const keys = edge.ok(await edge.call('GET', '/api/v1/api-keys', { token: tenant.owner.token }), 200);
    expect(keys.body.data!.map((k) => k.id)).toEqual([key.id]);
  });
});
