// The CoA/Disconnect client against a UDP NAS simulator on 127.0.0.1 (real sockets,
// real replica and spool).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PacketCode } from '../../../appliance/radius/index.ts';
import { openCoaFixture } from './fixture.ts';
import type { CoaFixture } from './fixture.ts';
import { ack, nak, replyWithForeignMessageAuthenticator, startNasSimulator } from './nas-simulator.ts';
import type { NasSimulator } from './nas-simulator.ts';

const SECRET = Buffer.from('coa-secret-1');

let nas: NasSimulator;
let fixture: CoaFixture;

beforeEach(async () => {
  nas = await startNasSimulator(SECRET, (request) => [ack(request, SECRET)]);
  fixture = await openCoaFixture({
    port: nas.port,
    nasClients: [
      { id: 'nas-1', address: '127.0.0.1', secret: SECRET.toString(), vendor: 'mikrotik' },
      { id: 'pop-2', address: '10.20.0.0/16', secret: 'other-secret', vendor: 'cisco' },
    ],
  });
});

afterEach(async () => {
  await fixture.close();
  await nas.close();
});

const target = { nasId: 'nas-1', session: { userName: 'alice', acctSessionId: '81a00001' } };

describe('Disconnect-Request', () => {
  it('is signed, identifies the session per RFC 5176 §3 and maps a Disconnect-ACK', async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await fixture.client.disconnect(target);
    expect(result).toMatchObject({
      status: 'ack',
      request: 'disconnect',
      nasId: 'nas-1',
      address: '127.0.0.1',
      port: nas.port,
      attempts: 1,
      errorCauses: [],
    });
    expect(nas.received).toHaveLength(1);
    const [request] = nas.received;
    expect(request?.code).toBe(PacketCode.disconnectRequest);
    expect(request?.identifier).toBe(result.identifier);
    expect(request?.verify).toBe('ok');
    // Message-Authenticator first (BlastRADIUS hardening), Event-Timestamp (RFC 5176 §6.4), then the identification.
    const names = request?.attributes.map(([name]) => name);
    expect(names).toEqual(['Message-Authenticator', 'Event-Timestamp', 'User-Name', 'Acct-Session-Id']);
    const sentAt = Number(request?.attributes[1]?.[1]);
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(sentAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(request?.attributes.slice(2)).toEqual([
      ['User-Name', 'alice'],
      ['Acct-Session-Id', '81a00001'],
    ]);
    expect(fixture.metric('appliance_coa_requests_total{request="disconnect"}')).toBe(1);
    expect(fixture.metric('appliance_coa_acks_total{request="disconnect"}')).toBe(1);
  });

  it('sends NAS identification and every session attribute given', async () => {
    const result = await fixture.client.disconnect({
      nasAddress: '127.0.0.1',
      nas: { nasIpAddress: '192.0.2.1', nasIdentifier: 'bng-1' },
      session: {
        framedIpAddress: '100.64.0.7',
        callingStationId: 'aa:bb:cc:dd:ee:ff',
        nasPort: 15,
        framedIpv6Prefix: '2001:db8:1::/64',
      },
    });
    expect(result.status).toBe('ack');
    expect(nas.received[0]?.attributes.slice(2)).toEqual([
      ['NAS-IP-Address', '192.0.2.1'],
      ['NAS-Identifier', 'bng-1'],
      ['Framed-IP-Address', '100.64.0.7'],
      ['Framed-IPv6-Prefix', '2001:db8:1::/64'],
      ['Calling-Station-Id', 'aa:bb:cc:dd:ee:ff'],
      ['NAS-Port', 15],
    ]);
  });

  it('maps a Disconnect-NAK with its Error-Causes by RFC 5176 §3.5 name', async () => {
    nas.behaviour = (request) => [nak(request, SECRET, [503, 599])];
    const result = await fixture.client.disconnect(target);
    expect(result).toMatchObject({
      status: 'nak',
      errorCauses: [
        { code: 503, name: 'Session-Context-Not-Found' },
        { code: 599, name: 'Error-Cause-599' },
      ],
    });
    expect(fixture.metric('appliance_coa_naks_total{request="disconnect",cause="Session-Context-Not-Found"}')).toBe(1);
    expect(fixture.metric('appliance_coa_acks_total{request="disconnect"}')).toBe(0);
  });

  it('retransmits the same datagram (Identifier and authenticator) on timeout, then gives up', async () => {
    await fixture.setTimeoutMs(150);
    nas.behaviour = () => [];
    const started = Date.now();
    const result = await fixture.client.disconnect(target);
    expect(result).toMatchObject({ status: 'timeout', attempts: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 150 - 5);
    expect(nas.received).toHaveLength(3);
    const [first, ...rest] = nas.received;
    for (const retry of rest) expect(retry.data.equals(first?.data ?? Buffer.alloc(0))).toBe(true);
    expect(fixture.metric('appliance_coa_retries_total{request="disconnect"}')).toBe(2);
    expect(fixture.metric('appliance_coa_timeouts_total{request="disconnect"}')).toBe(1);
  });

  it('takes an ACK that answers a retransmission', async () => {
    await fixture.setTimeoutMs(300);
    nas.behaviour = (request, self) => (self.received.length < 2 ? [] : [ack(request, SECRET)]);
    const result = await fixture.client.disconnect(target);
    expect(result).toMatchObject({ status: 'ack', attempts: 2 });
    expect(fixture.metric('appliance_coa_retries_total{request="disconnect"}')).toBe(1);
  });

  it('closes the spool session on a Disconnect-ACK', async () => {
    await fixture.spool.append([
      { nasId: 'nas-1', receivedAt: Date.now(), status: 'start', sessionId: '81a00001', username: 'alice' },
    ]);
    expect(await fixture.spool.countLiveSessions('alice')).toBe(1);
    const result = await fixture.client.disconnect(target);
    expect(result).toMatchObject({ status: 'ack', sessionClosed: true });
    expect(await fixture.spool.countLiveSessions('alice')).toBe(0);
  });
});

describe('a subscriber in one call', () => {
  it('disconnects every live spool session of the subscriber at its NAS and closes them', async () => {
    const now = Date.now();
    await fixture.spool.append([
      {
        nasId: 'nas-1',
        receivedAt: now,
        status: 'start',
        sessionId: 'alice-1',
        username: 'alice',
        framedIp: '100.64.0.1',
      },
      { nasId: 'nas-1', receivedAt: now, status: 'start', sessionId: 'alice-2', username: 'alice' },
      { nasId: 'nas-1', receivedAt: now, status: 'start', sessionId: 'bob-1', username: 'bob' },
    ]);
    nas.behaviour = (request) => {
      const sessionId = nas.received.at(-1)?.attributes.find(([name]) => name === 'Acct-Session-Id')?.[1];
      return [sessionId === 'alice-2' ? nak(request, SECRET, [504]) : ack(request, SECRET)];
    };
    const outcome = await fixture.client.disconnectSubscriber('alice');
    expect(outcome.username).toBe('alice');
    const bySession = new Map(outcome.sessions.map((entry) => [entry.sessionId, entry]));
    expect(bySession.get('alice-1')).toMatchObject({ nasId: 'nas-1', result: { status: 'ack', sessionClosed: true } });
    expect(bySession.get('alice-2')).toMatchObject({
      nasId: 'nas-1',
      result: { status: 'nak', errorCauses: [{ code: 504, name: 'Session-Context-Not-Removable' }] },
    });
    expect(nas.received.map((request) => request.attributes.slice(2)).sort()).toEqual([
      [
        ['User-Name', 'alice'],
        ['Acct-Session-Id', 'alice-1'],
      ],
      [
        ['User-Name', 'alice'],
        ['Acct-Session-Id', 'alice-2'],
      ],
    ]);
    // The NAKed session is still live; bob was never touched.
    expect((await fixture.spool.listLiveSessions('alice')).map((row) => row.sessionId)).toEqual(['alice-2']);
    expect(await fixture.spool.countLiveSessions('bob')).toBe(1);
  });

  it('sends a change to every live session and reports none for an offline subscriber', async () => {
    await fixture.spool.append([
      { nasId: 'nas-1', receivedAt: Date.now(), status: 'start', sessionId: 'carol-1', username: 'carol' },
    ]);
    const outcome = await fixture.client.changeSubscriber('carol', {
      rateLimit: { uploadKbps: 512, downloadKbps: 1_024 },
    });
    expect(outcome.sessions).toMatchObject([{ sessionId: 'carol-1', result: { status: 'ack', request: 'coa' } }]);
    expect(nas.received[0]?.attributes).toContainEqual(['Mikrotik-Rate-Limit', '512k/1024k']);
    expect(await fixture.client.changeSubscriber('nobody', { idleTimeout: 60 })).toEqual({
      username: 'nobody',
      sessions: [],
    });
    // A CoA-ACK changes the session, it does not end it.
    expect(await fixture.spool.countLiveSessions('carol')).toBe(1);
  });
});

describe('a NAS client that is a whole prefix (one secret for a fleet)', () => {
  it('reaches each session at the NAS address its accounting recorded, and only inside the prefix', async () => {
    const fleet = await openCoaFixture({
      port: nas.port,
      nasClients: [{ id: 'fleet', address: '127.0.0.0/24', secret: SECRET.toString(), vendor: 'mikrotik' }],
    });
    try {
      const now = Date.now();
      await fleet.spool.append([
        {
          nasId: 'fleet',
          nasAddress: '127.0.0.1',
          receivedAt: now,
          status: 'start',
          sessionId: 'dan-1',
          username: 'dan',
        },
        // Recorded before the NAS client was narrowed, or by a spool older than schema 2.
        {
          nasId: 'fleet',
          nasAddress: '10.9.9.9',
          receivedAt: now,
          status: 'start',
          sessionId: 'dan-2',
          username: 'dan',
        },
        { nasId: 'fleet', receivedAt: now, status: 'start', sessionId: 'dan-3', username: 'dan' },
      ]);
      const outcome = await fleet.client.disconnectSubscriber('dan');
      const bySession = new Map(outcome.sessions.map((entry) => [entry.sessionId, entry.result]));
      expect(bySession.get('dan-1')).toMatchObject({ status: 'ack', address: '127.0.0.1', sessionClosed: true });
      expect(bySession.get('dan-2')).toMatchObject({ status: 'error', reason: 'address_outside_nas' });
      expect(bySession.get('dan-3')).toMatchObject({ status: 'error', reason: 'no_nas_address' });
      const sent = nas.received.map((request) => request.attributes.slice(2));
      expect(sent).toEqual([
        [
          ['User-Name', 'dan'],
          ['Acct-Session-Id', 'dan-1'],
        ],
      ]);
    } finally {
      await fleet.close();
    }
  });
});

describe('throttle: CoA, and Disconnect when the CoA is NAKed or times out (business rules)', () => {
  const throttled = { rateLimit: { uploadKbps: 1_000, downloadKbps: 1_000 } };
  const codes = () =>
    nas.received.map((request) => [request.code, request.attributes.find(([name]) => name === 'Acct-Session-Id')?.[1]]);

  it('disconnects a session whose NAS NAKs the CoA, and leaves one that ACKs it alone', async () => {
    const now = Date.now();
    await fixture.spool.append([
      { nasId: 'nas-1', receivedAt: now, status: 'start', sessionId: 'refuses', username: 'gina' },
      { nasId: 'nas-1', receivedAt: now, status: 'start', sessionId: 'accepts', username: 'gina' },
    ]);
    nas.behaviour = (request, self) => {
      const sessionId = self.received.at(-1)?.attributes.find(([name]) => name === 'Acct-Session-Id')?.[1];
      return [
        request.code === PacketCode.coaRequest && sessionId === 'refuses'
          ? nak(request, SECRET, [401])
          : ack(request, SECRET),
      ];
    };
    const outcome = await fixture.client.throttleSubscriber('gina', throttled);
    const bySession = new Map(outcome.sessions.map((entry) => [entry.sessionId, entry]));
    expect(bySession.get('refuses')).toMatchObject({
      result: { request: 'coa', status: 'nak', errorCauses: [{ code: 401, name: 'Unsupported-Attribute' }] },
      fallback: { request: 'disconnect', status: 'ack', sessionClosed: true },
    });
    expect(bySession.get('accepts')).toMatchObject({ result: { request: 'coa', status: 'ack' }, fallback: null });
    expect(codes().sort()).toEqual(
      [
        [PacketCode.coaRequest, 'refuses'],
        [PacketCode.coaRequest, 'accepts'],
        [PacketCode.disconnectRequest, 'refuses'],
      ].sort(),
    );
    expect((await fixture.spool.listLiveSessions('gina')).map((row) => row.sessionId)).toEqual(['accepts']);
    expect(fixture.metric('appliance_coa_throttle_fallbacks_total{cause="nak"}')).toBe(1);
  });

  it('disconnects when the CoA times out', async () => {
    await fixture.setTimeoutMs(150);
    await fixture.spool.append([
      { nasId: 'nas-1', receivedAt: Date.now(), status: 'start', sessionId: 'quiet', username: 'hank' },
    ]);
    nas.behaviour = (request) => (request.code === PacketCode.coaRequest ? [] : [ack(request, SECRET)]);
    const outcome = await fixture.client.throttleSubscriber('hank', throttled);
    expect(outcome.sessions).toMatchObject([
      {
        sessionId: 'quiet',
        result: { status: 'timeout', attempts: 3 },
        fallback: { status: 'ack', sessionClosed: true },
      },
    ]);
    // Three CoA attempts, then the Disconnect (retransmitted too, should the machine be slow).
    expect(codes().slice(0, 4)).toEqual([
      ...Array.from({ length: 3 }, () => [PacketCode.coaRequest, 'quiet']),
      [PacketCode.disconnectRequest, 'quiet'],
    ]);
    expect(
      codes()
        .slice(4)
        .every(([code]) => code === PacketCode.disconnectRequest),
    ).toBe(true);
    expect(fixture.metric('appliance_coa_throttle_fallbacks_total{cause="timeout"}')).toBe(1);
  });

  it('sends no Disconnect when the CoA could not be sent at all', async () => {
    await fixture.spool.append([
      { nasId: 'gone', receivedAt: Date.now(), status: 'start', sessionId: 'orphan', username: 'ivy' },
    ]);
    const outcome = await fixture.client.throttleSubscriber('ivy', throttled);
    expect(outcome.sessions).toMatchObject([{ result: { status: 'error', reason: 'unknown_nas' }, fallback: null }]);
    expect(nas.received).toHaveLength(0);
  });
});

describe('the CoA port', () => {
  it("is the NAS client's coaPort when it has one (Cisco ISG: 1700), unless the target names a port", async () => {
    const elsewhere = await startNasSimulator(SECRET, (request) => [ack(request, SECRET)]);
    const isg = await openCoaFixture({
      port: elsewhere.port,
      nasClients: [{ id: 'isg', address: '127.0.0.1', secret: SECRET.toString(), vendor: 'cisco', coaPort: nas.port }],
    });
    try {
      const byClient = await isg.client.changeAuthorization(
        { nasId: 'isg', session: { acctSessionId: 's-1' } },
        { sessionTimeout: 600 },
      );
      expect(byClient).toMatchObject({ status: 'ack', port: nas.port });
      expect(nas.received).toHaveLength(1);
      expect(elsewhere.received).toHaveLength(0);
      const byTarget = await isg.client.disconnect({
        nasAddress: '127.0.0.1',
        port: elsewhere.port,
        session: { acctSessionId: 's-1' },
      });
      expect(byTarget).toMatchObject({ status: 'ack', port: elsewhere.port });
      expect(elsewhere.received).toHaveLength(1);
    } finally {
      await isg.close();
      await elsewhere.close();
    }
  });
});

describe('reply verification', () => {
  it('drops replies signed with another secret and keeps waiting for a valid one', async () => {
    nas.behaviour = (request) => [ack(request, Buffer.from('wrong-secret')), ack(request, SECRET)];
    const result = await fixture.client.disconnect(target);
    expect(result).toMatchObject({ status: 'ack', attempts: 1 });
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="bad_authenticator"}')).toBe(1);
  });

  it('times out when every reply has a bad authenticator', async () => {
    await fixture.setTimeoutMs(150);
    nas.behaviour = (request) => [ack(request, Buffer.from('wrong-secret'))];
    const result = await fixture.client.disconnect(target);
    expect(result.status).toBe('timeout');
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="bad_authenticator"}')).toBe(3);
  });

  it('checks a Message-Authenticator when the NAS sends one (RFC 3579 §3.2)', async () => {
    nas.behaviour = (request) => [
      replyWithForeignMessageAuthenticator(request, SECRET, Buffer.from('wrong-secret')),
      ack(request, SECRET, { messageAuthenticator: true }),
    ];
    const result = await fixture.client.disconnect(target);
    expect(result.status).toBe('ack');
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="bad_message_authenticator"}')).toBe(1);
  });

  it('drops an ACK without Message-Authenticator (the request had one) and waits for a signed one', async () => {
    nas.behaviour = (request) => [ack(request, SECRET, { messageAuthenticator: false }), ack(request, SECRET)];
    expect((await fixture.client.disconnect(target)).status).toBe('ack');
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="missing_message_authenticator"}')).toBe(1);
  });

  it('times out when the NAS never signs its replies', async () => {
    await fixture.setTimeoutMs(150);
    nas.behaviour = (request) => [nak(request, SECRET, [503], { messageAuthenticator: false })];
    expect((await fixture.client.disconnect(target)).status).toBe('timeout');
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="missing_message_authenticator"}')).toBe(3);
  });

  it('drops a reply with the wrong code, another Identifier, or garbage', async () => {
    nas.behaviour = (request) => {
      const otherId = ack(request, SECRET);
      otherId[1] = (request.identifier + 1) % 256;
      const coaAck = Buffer.from(ack(request, SECRET));
      coaAck[0] = PacketCode.coaAck;
      // Right code and Identifier, but a Length field past the datagram's end.
      const truncated = Buffer.from(ack(request, SECRET));
      truncated.writeUInt16BE(4_000, 2);
      return [otherId, coaAck, truncated, ack(request, SECRET)];
    };
    const result = await fixture.client.disconnect(target);
    expect(result.status).toBe('ack');
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="unsolicited"}')).toBe(1);
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="unexpected_code"}')).toBe(1);
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="malformed"}')).toBe(1);
  });

  it('drops a reply that arrives after the request was answered', async () => {
    let first: Buffer | undefined;
    nas.behaviour = (request) => {
      first = ack(request, SECRET);
      return [first];
    };
    expect((await fixture.client.disconnect(target)).status).toBe('ack');
    const client = nas.received[0]?.from;
    if (first === undefined || client === undefined) throw new Error('no request seen');
    await nas.send(first, client);
    await expect
      .poll(() => fixture.metric('appliance_coa_replies_dropped_total{reason="unsolicited"}'), { timeout: 30_000 })
      .toBe(1);
  });
});

describe('CoA-Request', () => {
  it('carries the change rendered for the NAS vendor and maps a CoA-ACK', async () => {
    const result = await fixture.client.changeAuthorization(target, {
      rateLimit: { uploadKbps: 1_000, downloadKbps: 2_000 },
      sessionTimeout: 3_600,
      filterId: 'throttled',
      attributes: [{ attribute: 'Mikrotik-Address-List', value: 'overdue' }],
    });
    expect(result).toMatchObject({ status: 'ack', request: 'coa', sessionClosed: null });
    const [request] = nas.received;
    expect(request?.code).toBe(PacketCode.coaRequest);
    expect(request?.verify).toBe('ok');
    // Mikrotik-Rate-Limit is rx/tx from the router's side: upload first.
    expect(request?.attributes.slice(2)).toEqual([
      ['User-Name', 'alice'],
      ['Acct-Session-Id', '81a00001'],
      ['Mikrotik-Rate-Limit', '1M/2M'],
      ['Session-Timeout', 3_600],
      ['Filter-Id', 'throttled'],
      ['Mikrotik-Address-List', 'overdue'],
    ]);
    expect(fixture.metric('appliance_coa_acks_total{request="coa"}')).toBe(1);
  });

  it('maps a CoA-NAK', async () => {
    nas.behaviour = (request) => [nak(request, SECRET, [401])];
    const result = await fixture.client.changeAuthorization(target, { idleTimeout: 600 });
    expect(result).toMatchObject({ status: 'nak', errorCauses: [{ code: 401, name: 'Unsupported-Attribute' }] });
    expect(fixture.metric('appliance_coa_naks_total{request="coa",cause="Unsupported-Attribute"}')).toBe(1);
  });

  it('does not take a Disconnect-ACK as the answer to a CoA-Request', async () => {
    await fixture.setTimeoutMs(150);
    nas.behaviour = (request) => {
      const wrong = Buffer.from(ack(request, SECRET));
      wrong[0] = PacketCode.disconnectAck;
      return [wrong];
    };
    const result = await fixture.client.changeAuthorization(target, { idleTimeout: 600 });
    expect(result.status).toBe('timeout');
    expect(fixture.metric('appliance_coa_replies_dropped_total{reason="unexpected_code"}')).toBe(3);
  });
});

describe('refusals before sending', () => {
  it.each([
    ['an unknown NAS id', { nasId: 'nope', session: { userName: 'a' } }, 'unknown_nas'],
    ['an address no NAS client covers', { nasAddress: '192.0.2.99', session: { userName: 'a' } }, 'unknown_nas'],
    ['a NAS client that is a whole prefix', { nasId: 'pop-2', session: { userName: 'a' } }, 'no_nas_address'],
    [
      'an address outside the NAS client',
      { nasId: 'nas-1', nasAddress: '10.20.1.1', session: { userName: 'a' } },
      'address_outside_nas',
    ],
    ['no session identification', { nasId: 'nas-1', session: {} }, 'invalid_request'],
  ] as const)('refuses %s', async (_name, badTarget, reason) => {
    const result = await fixture.client.disconnect(badTarget);
    expect(result).toMatchObject({ status: 'error', reason, attempts: 0 });
    expect(nas.received).toHaveLength(0);
    expect(fixture.metric(`appliance_coa_failures_total{reason="${reason}"}`)).toBe(1);
  });

  it('refuses an unknown attribute or an empty change', async () => {
    expect(
      await fixture.client.changeAuthorization(target, { attributes: [{ attribute: 'No-Such-Attribute', value: 1 }] }),
    ).toMatchObject({ status: 'error', reason: 'invalid_request' });
    expect(await fixture.client.changeAuthorization(target, {})).toMatchObject({
      status: 'error',
      reason: 'invalid_request',
    });
    expect(nas.received).toHaveLength(0);
  });

  it('sends to a NAS client given as a prefix when the address is inside it', async () => {
    await fixture.replica.upsertNasClient({ id: 'lo-net', address: '127.0.0.0/8', secret: SECRET.toString() });
    await fixture.replica.deleteNasClient('nas-1');
    const result = await fixture.client.disconnect({
      nasId: 'lo-net',
      nasAddress: '127.0.0.1',
      session: { userName: 'alice' },
    });
    expect(result).toMatchObject({ status: 'ack', nasId: 'lo-net', address: '127.0.0.1' });
  });
});

describe('identifiers', () => {
  it('gives concurrent requests to one NAS distinct identifiers and matches each reply to its request', async () => {
    const held: Array<() => Buffer> = [];
    nas.behaviour = (request) => {
      // Answer in reverse order once all are in; NAK odd session numbers.
      const sessionNumber = Number(/(\d+)$/.exec(request.data.toString('latin1'))?.[1] ?? '0');
      held.push(() => (sessionNumber % 2 === 1 ? nak(request, SECRET, [503]) : ack(request, SECRET)));
      if (held.length < 40) return [];
      return held.reverse().map((build) => build());
    };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        fixture.client.disconnect({ nasId: 'nas-1', session: { acctSessionId: `s-${index}` } }),
      ),
    );
    expect(new Set(results.map((result) => result.identifier)).size).toBe(40);
    expect(new Set(nas.received.map((request) => request.identifier)).size).toBe(40);
    results.forEach((result, index) => expect(result.status).toBe(index % 2 === 1 ? 'nak' : 'ack'));
  });

  it('does not hand out the identifier of the request that just finished to the next one', async () => {
    const first = await fixture.client.disconnect(target);
    const second = await fixture.client.disconnect(target);
    expect(second.identifier).not.toBe(first.identifier);
  });
});

describe('close', () => {
  it('answers requests in flight with "closed" and refuses new ones', async () => {
    nas.behaviour = () => [];
    const inFlight = fixture.client.disconnect(target);
    await expect.poll(() => nas.received.length, { timeout: 30_000 }).toBe(1);
    await fixture.client.close();
    expect(await inFlight).toMatchObject({ status: 'error', reason: 'closed', attempts: 1 });
    expect(await fixture.client.disconnect(target)).toMatchObject({ status: 'error', reason: 'closed', attempts: 0 });
  });
});
