// Issue 13, defect 1: login attempts are limited per source address (LOGIN_RATE_LIMIT a
// minute, staff and platform logins together), so one address cannot spray guesses across
// many accounts below each account's lockout. On Node the address is the socket's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { createLogger } from '../../edge/lib/logger.ts';
import { loadNodeConfig } from '../../edge/node/config.ts';
import { createNodePlatform } from '../../edge/node/platform.ts';
import { expectProblem, platformAdmin, startEdge, type TestEdge } from '../support/edge-app.ts';

const staffLogin = (edge: TestEdge, peer: string, email: string) =>
  edge.call('POST', '/api/v1/auth/login', {
    headers: { 'x-test-peer': peer },
    body: { tenant: 'no-such-isp', email, password: 'some-password' },
  });
const platformLogin = (edge: TestEdge, peer: string) =>
  edge.call('POST', '/api/v1/platform/auth/login', { headers: { 'x-test-peer': peer }, body: platformAdmin });

describe('per-source-address login rate limit', () => {
  it('answers attempts past LOGIN_RATE_LIMIT a minute with 429 and Retry-After, for that address only', async () => {
    const edge = await startEdge({ LOGIN_RATE_LIMIT: 4 });
    // Different accounts each time: the limit is on the address, not the account.
    for (let i = 0; i < 4; i++) {
      expectProblem(await staffLogin(edge, '203.0.113.7', `user${i}@x.test`), 401, 'invalid_credentials');
    }
    const limited = expectProblem(await staffLogin(edge, '203.0.113.7', 'user9@x.test'), 429, 'rate_limited');
    expect(limited.detail).toMatch(/address/);
    const retryAfter = Number((await staffLogin(edge, '203.0.113.7', 'user9@x.test')).headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Platform logins from that address share its budget; another address has its own.
    expectProblem(await platformLogin(edge, '203.0.113.7'), 429, 'rate_limited');
    edge.ok(await platformLogin(edge, '203.0.113.8'), 200);
    // The window passes.
    edge.clock.now += retryAfter * 1000;
    expectProblem(await staffLogin(edge, '203.0.113.7', 'user0@x.test'), 401, 'invalid_credentials');
  });

  it('counts an IPv6 /64 as one source (a host owns the whole prefix), IPv4-mapped addresses as IPv4', async () => {
    const edge = await startEdge({ LOGIN_RATE_LIMIT: 2 });
    expect((await staffLogin(edge, '2001:db8:1:2::1', 'a@x.test')).status).toBe(401);
    expect((await staffLogin(edge, '2001:db8:1:2:ffff:ffff:ffff:fffe', 'a@x.test')).status).toBe(401);
    expectProblem(await staffLogin(edge, '2001:0db8:0001:0002::9', 'a@x.test'), 429, 'rate_limited');
    expect((await staffLogin(edge, '2001:db8:1:3::1', 'a@x.test')).status).toBe(401);
    expect((await staffLogin(edge, '198.51.100.4', 'a@x.test')).status).toBe(401);
    expect((await staffLogin(edge, '::ffff:198.51.100.4', 'a@x.test')).status).toBe(401);
    expectProblem(await staffLogin(edge, '198.51.100.4', 'a@x.test'), 429, 'rate_limited');
  });

  it('on Node takes the address from the socket, ignoring X-Forwarded-For and CF-Connecting-IP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-node-'));
    const config = loadNodeConfig({ DATA_DIR: dir, DEMO: '0', LOGIN_RATE_LIMIT: '3', LOG_LEVEL: 'error' });
    const platform = createNodePlatform(config, createLogger({ level: 'error', write: () => {} }));
    const server = serve({ fetch: createApp(platform).fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    onTestFinished(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      platform.databases.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const attempt = (i: number) =>
      fetch(`http://127.0.0.1:${address.port}/api/v1/platform/auth/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `192.0.2.${i}`,
          'cf-connecting-ip': `192.0.2.${i}`,
        },
        body: JSON.stringify({ email: 'nobody@platform.test', password: 'some-password' }),
      });
    for (let i = 1; i <= 3; i++) expect((await attempt(i)).status).toBe(401);
    const limited = await attempt(4);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
