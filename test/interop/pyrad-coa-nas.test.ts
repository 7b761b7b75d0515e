// Interop: Debian's python3-pyrad as the NAS (pyrad.server.Server on its CoA port,
// test/interop/coa-nas.py). pyrad verifies our Disconnect/CoA-Requests with the shared
// secret and answers; we check our client's results and what pyrad decoded.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PacketCode } from '../../appliance/radius/index.ts';
import { openCoaFixture } from '../appliance/coa/fixture.ts';
import type { CoaFixture } from '../appliance/coa/fixture.ts';

const SCRIPT = fileURLToPath(new URL('./coa-nas.py', import.meta.url));
const SECRET = 'pyrad-coa-secret';

type Seen = {
  code: number;
  id: number;
  authenticatorOk: boolean;
  messageAuthenticatorOk: boolean | null;
  firstAttribute: number | null;
  attributes: Record<string, string[]>;
};

type PyradNas = { port: number; seen: Seen[]; dropped: string[]; process: ChildProcessWithoutNullStreams };

/** Starts coa-nas.py under /usr/bin/python3 (Debian's, where python3-pyrad lives). */
async function startPyradNas(secret: string): Promise<PyradNas> {
  const child = spawn('/usr/bin/python3', [SCRIPT, JSON.stringify({ secret })], { stdio: ['pipe', 'pipe', 'pipe'] });
  const nas: PyradNas = { port: 0, seen: [], dropped: [], process: child };
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pyrad NAS did not start: ${stderr}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`pyrad NAS exited (${code}): ${stderr}`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { port?: number; dropped?: string } & Seen;
      if (message.port !== undefined) {
        nas.port = message.port;
        clearTimeout(timer);
        resolve();
      } else if (message.dropped !== undefined) nas.dropped.push(message.dropped);
      else nas.seen.push(message);
    });
  });
  return nas;
}

async function stopPyradNas(nas: PyradNas): Promise<void> {
  if (nas.process.exitCode !== null) return;
  const exited = new Promise((resolve) => nas.process.once('exit', resolve));
  // Closing stdin ends its loop; the kill is for a helper that hangs anyway.
  nas.process.stdin.end();
  const timer = setTimeout(() => nas.process.kill(), 5_000);
  await exited;
  clearTimeout(timer);
}

let nas: PyradNas;
let fixture: CoaFixture;

/**
 * pyrad prints what it saw before answering, but its stdout and its UDP reply race
 * to us: wait for `count` lines so none spills into the next test.
 */
async function seen(count: number): Promise<Seen[]> {
  await expect.poll(() => nas.seen.length, { timeout: 30_000 }).toBe(count);
  return nas.seen;
}

beforeAll(async () => {
  nas = await startPyradNas(SECRET);
  fixture = await openCoaFixture({
    port: nas.port,
    retries: 2,
    nasClients: [{ id: 'mikrotik-1', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' }],
  });
});

afterAll(async () => {
  await fixture.close();
  await stopPyradNas(nas);
});

beforeEach(() => {
  nas.seen.length = 0;
});

describe('pyrad as the NAS', () => {
  it('verifies our Disconnect-Request (with Event-Timestamp) and its signed ACK maps to ack', async () => {
    const session = { userName: 'ackma-alice', acctSessionId: '81000001', framedIpAddress: '100.64.1.2' };
    const result = await fixture.client.disconnect({ nasId: 'mikrotik-1', session });
    expect(result).toMatchObject({ status: 'ack', request: 'disconnect', attempts: 1 });
    const [request] = await seen(1);
    expect(request).toMatchObject({
      code: PacketCode.disconnectRequest,
      id: result.identifier,
      authenticatorOk: true,
      messageAuthenticatorOk: true,
      firstAttribute: 80,
    });
    expect(request?.attributes).toMatchObject({
      'User-Name': ['ackma-alice'],
      'Acct-Session-Id': ['81000001'],
      'Framed-IP-Address': ['100.64.1.2'],
    });
    // pyrad decodes Event-Timestamp (RFC 2869 date) as seconds since the epoch.
    const sentAt = Number(request?.attributes['Event-Timestamp']?.[0]);
    expect(Math.abs(sentAt - Date.now() / 1000)).toBeLessThan(60);
  });

  it("maps pyrad's Disconnect-NAK with Error-Cause Session-Context-Not-Found", async () => {
    const result = await fixture.client.disconnect({
      nasId: 'mikrotik-1',
      session: { userName: 'nak-bob', acctSessionId: '81000002' },
    });
    expect(result).toMatchObject({ status: 'nak', errorCauses: [{ code: 503, name: 'Session-Context-Not-Found' }] });
    expect((await seen(1))[0]?.authenticatorOk).toBe(true);
  });

  it('sends a CoA-Request pyrad decodes (Mikrotik-Rate-Limit upload first) and takes a signed CoA-ACK', async () => {
    const result = await fixture.client.changeAuthorization(
      { nasId: 'mikrotik-1', session: { userName: 'ackma-carol', acctSessionId: '81000003' } },
      { rateLimit: { uploadKbps: 10_000, downloadKbps: 50_000 }, sessionTimeout: 1_800, filterId: 'fup' },
    );
    expect(result).toMatchObject({ status: 'ack', request: 'coa' });
    const [request] = await seen(1);
    expect(request).toMatchObject({ code: PacketCode.coaRequest, authenticatorOk: true, messageAuthenticatorOk: true });
    expect(request?.attributes).toMatchObject({
      'User-Name': ['ackma-carol'],
      'Mikrotik-Rate-Limit': ['10M/50M'],
      'Session-Timeout': ['1800'],
      'Filter-Id': ['fup'],
    });
  });

  it("maps pyrad's CoA-NAK", async () => {
    const result = await fixture.client.changeAuthorization(
      { nasId: 'mikrotik-1', session: { userName: 'nak-dave' } },
      { idleTimeout: 300 },
    );
    expect(result).toMatchObject({ status: 'nak', request: 'coa', errorCauses: [{ code: 503 }] });
    expect((await seen(1))[0]).toMatchObject({ code: PacketCode.coaRequest, attributes: { 'Idle-Timeout': ['300'] } });
  });

  it('throttles: pyrad NAKs the CoA, so the session is disconnected instead (business rules)', async () => {
    await fixture.spool.append([
      { nasId: 'mikrotik-1', receivedAt: Date.now(), status: 'start', sessionId: '81000009', username: 'coanak-gus' },
    ]);
    const outcome = await fixture.client.throttleSubscriber('coanak-gus', {
      rateLimit: { uploadKbps: 1_000, downloadKbps: 1_000 },
    });
    expect(outcome.sessions).toMatchObject([
      {
        sessionId: '81000009',
        result: { request: 'coa', status: 'nak', errorCauses: [{ code: 401, name: 'Unsupported-Attribute' }] },
        fallback: { request: 'disconnect', status: 'ack', sessionClosed: true },
      },
    ]);
    const requests = await seen(2);
    expect(
      requests.map((request) => [request.code, request.authenticatorOk, request.attributes['Acct-Session-Id']]),
    ).toEqual([
      [PacketCode.coaRequest, true, ['81000009']],
      [PacketCode.disconnectRequest, true, ['81000009']],
    ]);
    expect(requests[0]?.attributes['Mikrotik-Rate-Limit']).toEqual(['1M/1M']);
    expect(await fixture.spool.countLiveSessions('coanak-gus')).toBe(0);
  });

  it('retransmits the same request to a silent NAS, then times out', async () => {
    await fixture.setTimeoutMs(300);
    const result = await fixture.client.disconnect({ nasId: 'mikrotik-1', session: { userName: 'silent-erin' } });
    expect(result).toMatchObject({ status: 'timeout', attempts: 3 });
    const requests = await seen(3);
    expect(new Set(requests.map((request) => request.id))).toEqual(new Set([result.identifier]));
    expect(requests.every((request) => request.authenticatorOk)).toBe(true);
  });

  it('is refused by pyrad when signed with the wrong secret', async () => {
    await fixture.setTimeoutMs(300);
    // The same address under another NAS client id whose secret pyrad does not share.
    await fixture.replica.applyChanges([
      { op: 'delete-nas-client', id: 'mikrotik-1' },
      { op: 'upsert-nas-client', value: { id: 'wrong-secret', address: '127.0.0.1', secret: 'not-the-nas-secret' } },
    ]);
    try {
      const result = await fixture.client.disconnect({ nasId: 'wrong-secret', session: { userName: 'ack-frank' } });
      expect(result.status).toBe('timeout');
      const requests = await seen(3);
      expect(requests.every((request) => !request.authenticatorOk && request.messageAuthenticatorOk === false)).toBe(
        true,
      );
      // pyrad's server dispatched every datagram of this file to a handler (none was malformed or from an unknown
      // host).
      expect(nas.dropped).toEqual([]);
    } finally {
      await fixture.replica.applyChanges([
        { op: 'delete-nas-client', id: 'wrong-secret' },
        {
          op: 'upsert-nas-client',
          value: { id: 'mikrotik-1', address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' },
        },
      ]);
    }
  });

  it("drops pyrad's ACK without Message-Authenticator (our request had one) and times out", async () => {
    await fixture.setTimeoutMs(300);
    const result = await fixture.client.disconnect({ nasId: 'mikrotik-1', session: { userName: 'ack-old-nas' } });
    expect(result).toMatchObject({ status: 'timeout', attempts: 3 });
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="missing_message_authenticator"}')).toBe(3);
    expect((await seen(3)).every((request) => request.authenticatorOk && request.messageAuthenticatorOk)).toBe(true);
  });
});
