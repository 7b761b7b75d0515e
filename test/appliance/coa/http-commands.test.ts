// POST /coa/disconnect and /coa/change on the local HTTP server, behind the control
// token, next to the open /health and /metrics, against the NAS simulator.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCoaRoutes } from '../../../appliance/coa-routes.ts';
import { loadControlToken } from '../../../appliance/control-token.ts';
import type { ControlToken } from '../../../appliance/control-token.ts';
import { createSilentLogger } from '../../../appliance/log.ts';
import { startHttpServer } from '../../../appliance/http-server.ts';
import type { RunningHttpServer } from '../../../appliance/http-server.ts';
import { PacketCode } from '../../../appliance/radius/index.ts';
import { openCoaFixture } from './fixture.ts';
import type { CoaFixture } from './fixture.ts';
import { ack, nak, startNasSimulator } from './nas-simulator.ts';
import type { NasSimulator } from './nas-simulator.ts';

const SECRET = Buffer.from('http-coa-secret');

let nas: NasSimulator;
let fixture: CoaFixture;
let http: RunningHttpServer;
let tokenDir: string;
let token: ControlToken;
let bearer: string;

beforeEach(async () => {
  tokenDir = mkdtempSync(join(tmpdir(), 'control-token-'));
  token = loadControlToken(tokenDir, createSilentLogger());
  bearer = `Bearer ${readFileSync(token.path, 'utf8').trim()}`;
  nas = await startNasSimulator(SECRET, (request) => [ack(request, SECRET)]);
  fixture = await openCoaFixture({
    port: nas.port,
    retries: 1,
    nasClients: [{ id: 'nas-1', address: '127.0.0.1', secret: SECRET.toString(), vendor: 'cisco' }],
  });
  http = await startHttp();
});

const startHttp = () =>
  startHttpServer({
    host: '127.0.0.1',
    port: 0,
    registry: fixture.metrics,
    log: createSilentLogger(),
    health: () => ({ healthy: true, probe: 1 }),
    commands: { routes: createCoaRoutes(fixture.client), token },
  });

afterEach(async () => {
  await http.close();
  await fixture.close();
  await nas.close();
  rmSync(tokenDir, { recursive: true, force: true });
});

const url = (path: string) => `http://127.0.0.1:${http.port}${path}`;
const post = (path: string, body: unknown, authorization: string | null = bearer) =>
  fetch(url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
    body: JSON.stringify(body),
  });

describe('the control token', () => {
  it('answers 401 problem+json with a Bearer challenge without a token or with a wrong one', async () => {
    const wrongToken = `Bearer ${'A'.repeat(43)}`;
    for (const authorization of [null, wrongToken, bearer.replace('Bearer ', 'Basic '), `${bearer}x`, 'Bearer']) {
      const response = await post('/coa/disconnect', { nasId: 'nas-1', session: { userName: 'a' } }, authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="isp-appliance"');
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 401 });
    }
    expect(nas.received).toHaveLength(0);
  });

  it('lets the right token through (scheme case-insensitive, RFC 6750 §2.1)', async () => {
    const body = { nasId: 'nas-1', session: { userName: 'a' } };
    expect((await post('/coa/disconnect', body)).status).toBe(200);
    expect((await post('/coa/disconnect', body, bearer.replace('Bearer', 'bearer'))).status).toBe(200);
    expect(nas.received).toHaveLength(2);
  });
});

describe('POST /coa/throttle', () => {
  it('throttles by username, falling back to Disconnect on a CoA-NAK', async () => {
    await fixture.spool.append([
      { nasId: 'nas-1', receivedAt: Date.now(), status: 'start', sessionId: 't-1', username: 'tom' },
    ]);
    nas.behaviour = (request) => [
      request.code === PacketCode.coaRequest ? nak(request, SECRET, [503]) : ack(request, SECRET),
    ];
    const response = await post('/coa/throttle', {
      username: 'tom',
      change: { rateLimit: { uploadKbps: 1_000, downloadKbps: 1_000 } },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      username: 'tom',
      sessions: [
        {
          sessionId: 't-1',
          result: { request: 'coa', status: 'nak' },
          fallback: { request: 'disconnect', status: 'ack', sessionClosed: true },
        },
      ],
    });
  });

  it('refuses a body without a change', async () => {
    const response = await post('/coa/throttle', { username: 'tom' });
    expect(response.status).toBe(400);
    expect(nas.received).toHaveLength(0);
  });
});

describe('POST /coa/disconnect', () => {
  it('disconnects a session given by NAS and identification attributes', async () => {
    const response = await post('/coa/disconnect', {
      nasId: 'nas-1',
      session: { userName: 'alice', acctSessionId: 'x1' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ status: 'ack', request: 'disconnect', nasId: 'nas-1', attempts: 1 });
    expect(nas.received[0]?.attributes.slice(2)).toEqual([
      ['User-Name', 'alice'],
      ['Acct-Session-Id', 'x1'],
    ]);
  });

  it('disconnects a subscriber by username through the spool', async () => {
    await fixture.spool.append([
      { nasId: 'nas-1', receivedAt: Date.now(), status: 'start', sessionId: 'd-1', username: 'dave' },
    ]);
    const response = await post('/coa/disconnect', { username: 'dave' });
    expect(await response.json()).toMatchObject({
      username: 'dave',
      sessions: [{ nasId: 'nas-1', sessionId: 'd-1', result: { status: 'ack', sessionClosed: true } }],
    });
  });

  it('reports a NAK and a timeout as results', async () => {
    nas.behaviour = (request) => [nak(request, SECRET, [503])];
    expect(
      await (await post('/coa/disconnect', { nasAddress: '127.0.0.1', session: { userName: 'a' } })).json(),
    ).toMatchObject({
      status: 'nak',
      errorCauses: [{ code: 503, name: 'Session-Context-Not-Found' }],
    });
    await fixture.setTimeoutMs(100);
    await http.close();
    http = await startHttp();
    nas.behaviour = () => [];
    expect(await (await post('/coa/disconnect', { nasId: 'nas-1', session: { userName: 'a' } })).json()).toMatchObject({
      status: 'timeout',
      attempts: 2,
    });
  });

  it.each([
    ['no NAS', { session: { userName: 'a' } }],
    ['no session attribute', { nasId: 'nas-1', session: {} }],
    ['an unknown field', { nasId: 'nas-1', session: { userName: 'a' }, secret: 'x' }],
    ['a bad IPv4 address', { nasId: 'nas-1', session: { framedIpAddress: '300.1.1.1' } }],
    ['a change attribute', { nasId: 'nas-1', session: { userName: 'a' }, change: { idleTimeout: 5 } }],
  ])('answers 400 problem+json for %s', async (_name, body) => {
    const response = await post('/coa/disconnect', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 400, title: 'Invalid request body' });
    expect(nas.received).toHaveLength(0);
  });
});

describe('POST /coa/change', () => {
  it('sends the change rendered for the NAS vendor', async () => {
    const response = await post('/coa/change', {
      nasId: 'nas-1',
      session: { acctSessionId: 'c-9' },
      change: { rateLimit: { uploadKbps: 2_000, downloadKbps: 10_000 }, sessionTimeout: 600 },
    });
    expect(await response.json()).toMatchObject({ status: 'ack', request: 'coa' });
    const attributes = nas.received[0]?.attributes.slice(2);
    expect(attributes?.[0]).toEqual(['Acct-Session-Id', 'c-9']);
    expect(attributes?.filter(([name]) => name === 'Cisco-AVPair').length).toBeGreaterThan(0);
    expect(attributes).toContainEqual(['Session-Timeout', 600]);
  });

  it('changes a subscriber by username', async () => {
    await fixture.spool.append([
      { nasId: 'nas-1', receivedAt: Date.now(), status: 'start', sessionId: 'e-1', username: 'erin' },
    ]);
    const response = await post('/coa/change', { username: 'erin', change: { filterId: 'captive' } });
    expect(await response.json()).toMatchObject({
      username: 'erin',
      sessions: [{ sessionId: 'e-1', result: { status: 'ack' } }],
    });
    expect(nas.received[0]?.attributes).toContainEqual(['Filter-Id', 'captive']);
  });

  it('answers 400 for an empty change', async () => {
    expect((await post('/coa/change', { username: 'erin', change: {} })).status).toBe(400);
    expect((await post('/coa/change', { username: 'erin' })).status).toBe(400);
  });
});

describe('the local HTTP port', () => {
  it('refuses non-JSON bodies, foreign Host names, GET on a command, and oversized bodies', async () => {
    const text = await fetch(url('/coa/disconnect'), {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: bearer },
      body: '{}',
    });
    expect(text.status).toBe(415);
    expect((await fetch(url('/coa/disconnect'))).status).toBe(405);
    expect((await fetch(url('/coa/disconnect'))).headers.get('allow')).toBe('POST');
    const json = { 'content-type': 'application/json', authorization: bearer };
    const broken = await fetch(url('/coa/disconnect'), { method: 'POST', headers: json, body: '{' });
    expect(broken.status).toBe(400);
    const pad = JSON.stringify({ pad: 'x'.repeat(70_000) });
    const large = await fetch(url('/coa/disconnect'), { method: 'POST', headers: json, body: pad });
    expect(large.status).toBe(413);
    // fetch does not let a page set Host; node:http does, as a DNS-rebound browser would send it.
    const rebound = await new Promise<number>((resolve, reject) => {
      const headers = { host: 'evil.example', ...json };
      const request = httpRequest(url('/coa/disconnect'), { method: 'POST', headers }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end('{"username":"alice"}');
    });
    expect(rebound).toBe(421);
    expect(nas.received).toHaveLength(0);
  });

  it('keeps /health and /metrics, and /metrics shows the CoA counters', async () => {
    await post('/coa/disconnect', { nasId: 'nas-1', session: { userName: 'a' } });
    const health = await fetch(url('/health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', healthy: true, probe: 1 });
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toContain('appliance_coa_requests_total{request="disconnect"} 1');
    expect(metrics).toContain('appliance_coa_acks_total{request="disconnect"} 1');
    expect((await fetch(url('/metrics'), { method: 'POST' })).status).toBe(405);
    expect((await fetch(url('/nope'))).status).toBe(404);
  });
});
