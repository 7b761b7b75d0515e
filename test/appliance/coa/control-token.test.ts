// Issue 12 item 8: a started appliance makes <dataDir>/control.token (0600) on first
// start and keeps it; POST /coa/* needs it as a bearer token, /health and /metrics do
// not.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadControlToken } from '../../../appliance/control-token.ts';
import { createSilentLogger } from '../../../appliance/log.ts';
import { startTestAppliance } from '../server/helpers.ts';
import type { TestAppliance } from '../server/helpers.ts';

let server: TestAppliance;

beforeAll(async () => {
  server = await startTestAppliance({ threads: 1 });
});

afterAll(() => server.stop());

const tokenPath = () => join(server.dir, 'control.token');
const disconnect = (authorization?: string) =>
  fetch(`http://127.0.0.1:${server.appliance.httpPort}/coa/disconnect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    body: JSON.stringify({ username: 'nobody-online' }),
  });

it('creates control.token with mode 0600 on first start', () => {
  expect(statSync(tokenPath()).mode & 0o777).toBe(0o600);
  expect(readFileSync(tokenPath(), 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
});

it('refuses /coa/* without the token or with a wrong one, and serves it with the right one', async () => {
  expect((await disconnect()).status).toBe(401);
  expect((await disconnect('Bearer not-the-token')).status).toBe(401);
  const right = await disconnect(`Bearer ${readFileSync(tokenPath(), 'utf8').trim()}`);
  expect(right.status).toBe(200);
  expect(await right.json()).toEqual({ username: 'nobody-online', sessions: [] });
});

it('keeps /health and /metrics open on loopback', async () => {
  expect((await server.health()).status).toBe(200);
  expect(await server.metrics()).toContain('appliance_up_seconds');
});

it('keeps the token across starts, tightens a loosened mode, and refuses a file that holds no token', () => {
  const token = readFileSync(tokenPath(), 'utf8');
  chmodSync(tokenPath(), 0o644);
  const again = loadControlToken(server.dir, createSilentLogger());
  expect(readFileSync(tokenPath(), 'utf8')).toBe(token);
  expect(statSync(tokenPath()).mode & 0o777).toBe(0o600);
  expect(again.verify(`Bearer ${token.trim()}`)).toBe(true);
  writeFileSync(tokenPath(), 'short\n');
  expect(() => loadControlToken(server.dir, createSilentLogger())).toThrow(/does not hold a control token/);
  writeFileSync(tokenPath(), token);
});
