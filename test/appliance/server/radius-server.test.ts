// The RADIUS server end to end: a started appliance (2 worker threads, real sockets,
// spool and replica) and a NAS-side UDP client built on the protocol layer.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getInteger,
  getOctets,
  getString,
  getValue,
  ntPasswordHash,
  PacketCode,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput } from '../../../appliance/radius/index.ts';
import { generateNtResponse } from '../../../appliance/radius/auth/mschapv2.ts';
import { dictionary, metricValue, openNasSocket, SECRET, startTestAppliance } from './helpers.ts';
import type { NasClientSocket, TestAppliance } from './helpers.ts';

let server: TestAppliance;
let nas: NasClientSocket;
let auth: number;
let acct: number;
const attr = (name: string) => dictionary.requireAttribute(name);

beforeAll(async () => {
  // Written before the start: every worker has it from its first request.
  server = await startTestAppliance({
    threads: 2,
    bind: ['127.0.0.1', '::1'],
    seed: async (replica) => {
      await replica.applyChanges([
        {
          op: 'upsert-nas-client',
          value: { address: '127.0.0.1/32', secret: SECRET, vendor: 'mikrotik', name: 'bng-1', ipoe: true },
        },
        { op: 'upsert-nas-client', value: { address: '::1', secret: SECRET, vendor: 'cisco', name: 'bng-v6' } },
        {
          op: 'upsert-profile',
          value: {
            name: 'home-50',
            rateLimit: { upKbps: 10_000, downKbps: 50_000 },
            framedPool: 'pool-home',
            sessionTimeout: 86_400,
            idleTimeout: 600,
            interimInterval: 120,
            vlan: 210,
            addressList: 'customers',
          },
        },
        {
          op: 'upsert-profile',
          value: {
            name: 'captive',
            rateLimit: { upKbps: 1_000, downKbps: 1_000 },
            framedPool: 'pool-captive',
            addressList: 'unpaid',
          },
        },
        {
          op: 'upsert-subscriber',
          value: {
            username: 'alice',
            password: 'alice-pw',
            profile: 'home-50',
            framedIp: '100.64.0.10',
            framedIpv6Prefix: '2001:db8:1::/64',
            delegatedIpv6Prefix: '2001:db8:100::/56',
          },
        },
        {
          op: 'upsert-subscriber',
          value: { username: 'bob', password: 'bob-pw', profile: 'home-50', simultaneousUse: 1 },
        },
        {
          op: 'upsert-subscriber',
          value: { username: 'carol', password: 'carol-pw', profile: 'home-50', status: 'suspended' },
        },
        { op: 'upsert-subscriber', value: { username: 'dave', password: 'dave-pw', status: 'disabled' } },
        { op: 'upsert-subscriber', value: { username: 'ipoe-mac', profile: 'home-50', mac: 'AA-BB-CC-00-11-22' } },
        {
          op: 'upsert-subscriber',
          value: { username: 'ipoe-82', profile: 'home-50', circuitId: 'eth 0/1/1:100', remoteId: 'olt-7' },
        },
        {
          op: 'upsert-subscriber',
          value: { username: 'ipoe-one', profile: 'home-50', circuitId: 'eth 0/1/1:200', simultaneousUse: 1 },
        },
      ]);
    },
  });
  ({ auth, acct } = server.radius.ports);
  nas = await openNasSocket();
});

afterAll(async () => {
  nas.close();
  await server.stop();
});

// buildRequest hides User-Password with the request authenticator it draws (RFC 2865 §5.2).
function papRequest(
  client: NasClientSocket,
  user: string,
  password: string,
  extra: AttributeInput[] = [],
  options: { messageAuthenticator?: boolean } = {},
) {
  const attributes: AttributeInput[] = [
    { attribute: 'User-Name', value: user },
    { attribute: 'User-Password', value: password },
    { attribute: 'Framed-Protocol', value: 'PPP' },
    ...extra,
  ];
  return client.request(auth, PacketCode.accessRequest, attributes, options);
}

async function accounting(status: string, sessionId: string, user: string, extra: AttributeInput[] = [], client = nas) {
  return client.request(acct, PacketCode.accountingRequest, [
    { attribute: 'Acct-Status-Type', value: status },
    { attribute: 'Acct-Session-Id', value: sessionId },
    { attribute: 'User-Name', value: user },
    ...extra,
  ]);
}

describe('Access-Request', () => {
  it('accepts PAP with the profile rendered for a MikroTik NAS, Message-Authenticator first', async () => {
    const result = await papRequest(nas, 'alice', 'alice-pw');
    expect(result?.reply.code).toBe(PacketCode.accessAccept);
    const reply = result!.reply;
    expect(reply.data[20]).toBe(80);
    expect(getString(reply, attr('Mikrotik-Rate-Limit'))).toBe('10M/50M');
    expect(getValue(reply, attr('Framed-IP-Address'))).toBe('100.64.0.10');
    expect(getValue(reply, attr('Framed-IPv6-Prefix'))).toBe('2001:db8:1::/64');
    expect(getValue(reply, attr('Delegated-IPv6-Prefix'))).toBe('2001:db8:100::/56');
    expect(getOctets(reply, attr('Framed-Pool'))).toBeUndefined();
    expect(getInteger(reply, attr('Session-Timeout'))).toBe(86_400);
    expect(getInteger(reply, attr('Idle-Timeout'))).toBe(600);
    expect(getInteger(reply, attr('Acct-Interim-Interval'))).toBe(120);
    expect(getInteger(reply, attr('Framed-Protocol'))).toBe(1);
    expect(getInteger(reply, attr('Tunnel-Type'))).toBe(13);
    expect(getInteger(reply, attr('Tunnel-Medium-Type'))).toBe(6);
    expect(getString(reply, attr('Tunnel-Private-Group-Id'))).toBe('210');
    expect(getString(reply, attr('Mikrotik-Address-List'))).toBe('customers');
  });

  it(
    'puts the profile VLAN in the Access-Accept as RFC 3580 §3.31 tunnel attributes, ' + 'tagged per RFC 2868',
    async () => {
      const result = await papRequest(nas, 'alice', 'alice-pw');
      expect(result?.reply.code).toBe(PacketCode.accessAccept);
      // Walk the raw attributes (not our decoder): type, length, value.
      const raw = result!.raw;
      const found = new Map<number, Buffer[]>();
      for (let at = 20; at < raw.length; at += raw[at + 1] ?? raw.length) {
        const type = raw[at] ?? 0;
        found.set(type, [...(found.get(type) ?? []), raw.subarray(at + 2, at + (raw[at + 1] ?? 2))]);
      }
      // Tunnel-Type (64) = VLAN (13), Tunnel-Medium-Type (65) = IEEE-802 (6): one tag octet (0) + 3 value octets.
      expect(found.get(64)).toEqual([Buffer.from([0, 0, 0, 13])]);
      expect(found.get(65)).toEqual([Buffer.from([0, 0, 0, 6])]);
      // Tunnel-Private-Group-Id (81): the VLAN id as text, after an optional tag octet (0x00–0x1F).
      const group = found.get(81);
      expect(group).toHaveLength(1);
      const value = group![0]!;
      expect(((value[0] ?? 0) <= 0x1f ? value.subarray(1) : value).toString('latin1')).toBe('210');
    },
  );

  it('renders the rate limit for the NAS vendor of the source address (Cisco over IPv6)', async () => {
    const v6 = await openNasSocket('::1');
    try {
      const result = await papRequest(v6, 'alice', 'alice-pw');
      expect(result?.reply.code).toBe(PacketCode.accessAccept);
      expect(getOctets(result!.reply, attr('Mikrotik-Rate-Limit'))).toBeUndefined();
      expect(String(getValue(result!.reply, attr('Cisco-AVPair')))).toMatch(/rate-limit|sub-qos/);
    } finally {
      v6.close();
    }
  });

  it('accepts CHAP and MS-CHAPv2 (with MS-CHAP2-Success and MPPE keys)', async () => {
    const challenge = randomBytes(16);
    const chapId = 7;
    const chapHash = createHash('md5')
      .update(Buffer.from([chapId]))
      .update('alice-pw')
      .update(challenge)
      .digest();
    const chap = await nas.request(auth, PacketCode.accessRequest, [
      { attribute: 'User-Name', value: 'alice' },
      { attribute: 'CHAP-Password', value: Buffer.concat([Buffer.from([chapId]), chapHash]) },
      { attribute: 'CHAP-Challenge', value: challenge },
    ]);
    expect(chap?.reply.code).toBe(PacketCode.accessAccept);

    const authenticatorChallenge = randomBytes(16);
    const peerChallenge = randomBytes(16);
    const ntResponse = generateNtResponse(authenticatorChallenge, peerChallenge, 'alice', ntPasswordHash('alice-pw'));
    const response = Buffer.concat([Buffer.from([1, 0]), peerChallenge, Buffer.alloc(8), ntResponse]);
    const ms = await nas.request(auth, PacketCode.accessRequest, [
      { attribute: 'User-Name', value: 'alice' },
      { attribute: 'MS-CHAP-Challenge', value: authenticatorChallenge },
      { attribute: 'MS-CHAP2-Response', value: response },
    ]);
    expect(ms?.reply.code).toBe(PacketCode.accessAccept);
    expect(getOctets(ms!.reply, attr('MS-CHAP2-Success'))?.toString('latin1')).toMatch(/^\x01S=[0-9A-F]{40}$/);
    expect(getOctets(ms!.reply, attr('MS-MPPE-Send-Key'))?.length).toBeGreaterThan(16);
    expect(getOctets(ms!.reply, attr('MS-MPPE-Recv-Key'))?.length).toBeGreaterThan(16);
  });

  it('rejects wrong passwords, unknown, disabled and suspended users, and counts each reason', async () => {
    const before = await server.metrics();
    const outcomes = await Promise.all([
      papRequest(nas, 'alice', 'not-it'),
      papRequest(nas, 'nobody', 'x'),
      papRequest(nas, 'dave', 'dave-pw'),
      papRequest(nas, 'carol', 'carol-pw'),
    ]);
    expect(outcomes.map((outcome) => outcome?.reply.code)).toEqual(Array(4).fill(PacketCode.accessReject));
    // A reject carries no profile attributes.
    expect(getOctets(outcomes[3]!.reply, attr('Mikrotik-Rate-Limit'))).toBeUndefined();
    const after = await server.metrics();
    for (const reason of ['wrong_password', 'unknown_user', 'disabled', 'suspended']) {
      const series = `appliance_radius_rejects_total{reason="${reason}"}`;
      expect(metricValue(after, series) - metricValue(before, series)).toBe(1);
    }
  });

  it('gives a suspended subscriber the captive profile when the tenant policy says so', async () => {
    const replica = server.appliance.context.replica;
    await replica.setTenantPolicy({ suspendedPolicy: 'captive', captiveProfile: 'captive' });
    try {
      // The worker behind `nas` learns of the policy from the replica's notice: asked
      // until it has (a bound, not a timing).
      await expect
        .poll(async () => (await papRequest(nas, 'carol', 'carol-pw'))?.reply.code, { timeout: 30_000 })
        .toBe(PacketCode.accessAccept);
      const result = await papRequest(nas, 'carol', 'carol-pw');
      expect(result?.reply.code).toBe(PacketCode.accessAccept);
      expect(getString(result!.reply, attr('Mikrotik-Rate-Limit'))).toBe('1M/1M');
      expect(getString(result!.reply, attr('Framed-Pool'))).toBe('pool-captive');
      expect(getString(result!.reply, attr('Mikrotik-Address-List'))).toBe('unpaid');
      // The captive profile's attributes are shared; the identity is still carol's.
      expect(getString(result!.reply, attr('User-Name'))).toBe('carol');
      expect(getOctets(result!.reply, attr('Class'))?.toString()).toBe('line:carol');
      // The captive password check still applies.
      expect((await papRequest(nas, 'carol', 'wrong'))?.reply.code).toBe(PacketCode.accessReject);
    } finally {
      await replica.setTenantPolicy({ suspendedPolicy: 'reject' });
    }
    await expect
      .poll(async () => (await papRequest(nas, 'carol', 'carol-pw'))?.reply.code, { timeout: 30_000 })
      .toBe(PacketCode.accessReject);
  });

  it('accepts IPoE by MAC (Calling-Station-Id) and by DHCP Option 82, without a password', async () => {
    const byMac = await nas.request(auth, PacketCode.accessRequest, [
      { attribute: 'User-Name', value: 'aa:bb:cc:00:11:22' },
      { attribute: 'Calling-Station-Id', value: 'aa:bb:cc:00:11:22' },
      { attribute: 'NAS-Port-Type', value: 'Ethernet' },
    ]);
    expect(byMac?.reply.code).toBe(PacketCode.accessAccept);
    expect(getString(byMac!.reply, attr('Framed-Pool'))).toBe('pool-home');
    // RFC 2865 §5.1, §5.25: the NAS accounts under the subscriber's name and echoes the service line.
    expect(getString(byMac!.reply, attr('User-Name'))).toBe('ipoe-mac');
    expect(getOctets(byMac!.reply, attr('Class'))?.toString()).toBe('line:ipoe-mac');
    const by82 = await nas.request(auth, PacketCode.accessRequest, [
      { attribute: 'User-Name', value: 'dhcp-client' },
      { attribute: 'ADSL-Agent-Circuit-Id', value: Buffer.from('eth 0/1/1:100') },
      { attribute: 'ADSL-Agent-Remote-Id', value: Buffer.from('olt-7') },
    ]);
    expect(by82?.reply.code).toBe(PacketCode.accessAccept);
    const unbound = await nas.request(auth, PacketCode.accessRequest, [
      { attribute: 'Calling-Station-Id', value: 'aa:bb:cc:99:99:99' },
    ]);
    expect(unbound?.reply.code).toBe(PacketCode.accessReject);
    const metrics = await server.metrics();
    expect(metricValue(metrics, 'appliance_radius_accepts_total{method="mac"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'appliance_radius_accepts_total{method="option82"}')).toBeGreaterThanOrEqual(1);
  });

  it('matches IPoE only for NAS clients marked for it', async () => {
    const v6 = await openNasSocket('::1');
    try {
      const fromPppNas = await v6.request(auth, PacketCode.accessRequest, [
        { attribute: 'User-Name', value: 'aa:bb:cc:00:11:22' },
        { attribute: 'Calling-Station-Id', value: 'aa:bb:cc:00:11:22' },
      ]);
      expect(fromPppNas?.reply.code).toBe(PacketCode.accessReject);
      expect(getString(fromPppNas!.reply, attr('User-Name'))).toBeUndefined();
    } finally {
      v6.close();
    }
  });

  it('refuses EAP and MS-CHAPv1 with their own counted reasons, and a CHAP with a bound MAC', async () => {
    const before = await server.metrics();
    const station = { attribute: 'Calling-Station-Id', value: 'aa:bb:cc:00:11:22' };
    const outcomes = await Promise.all([
      nas.request(auth, PacketCode.accessRequest, [
        { attribute: 'User-Name', value: 'alice' },
        { attribute: 'EAP-Message', value: Buffer.from([2, 1, 0, 10, 1, 0x61, 0x6c, 0x69, 0x63, 0x65]) },
      ]),
      nas.request(auth, PacketCode.accessRequest, [
        { attribute: 'User-Name', value: 'alice' },
        { attribute: 'MS-CHAP-Challenge', value: randomBytes(8) },
        { attribute: 'MS-CHAP-Response', value: Buffer.concat([Buffer.from([0, 1]), randomBytes(48)]) },
        station,
      ]),
      nas.request(auth, PacketCode.accessRequest, [
        { attribute: 'User-Name', value: 'someone-else' },
        { attribute: 'CHAP-Password', value: randomBytes(17) },
        station,
      ]),
      // An MS-CHAP2-Response of 49 octets is kept raw by the decoder: still a credential.
      nas.request(auth, PacketCode.accessRequest, [
        { attribute: 'User-Name', value: 'aa:bb:cc:00:11:22' },
        { attribute: 'Vendor-Specific', value: Buffer.concat([Buffer.from('000001371933', 'hex'), randomBytes(49)]) },
        station,
      ]),
    ]);
    expect(outcomes.map((outcome) => outcome?.reply.code)).toEqual(Array(4).fill(PacketCode.accessReject));
    const after = await server.metrics();
    for (const reason of ['unsupported_eap', 'unsupported_mschapv1', 'unknown_user', 'malformed_attribute']) {
      const series = `appliance_radius_rejects_total{reason="${reason}"}`;
      expect(metricValue(after, series) - metricValue(before, series)).toBe(1);
    }
  });

  it('enforces Simultaneous-Use against live sessions from accounting', async () => {
    expect((await papRequest(nas, 'bob', 'bob-pw'))?.reply.code).toBe(PacketCode.accessAccept);
    expect((await accounting('Start', 'bob-1', 'bob'))?.reply.code).toBe(PacketCode.accountingResponse);
    expect((await papRequest(nas, 'bob', 'bob-pw'))?.reply.code).toBe(PacketCode.accessReject);
    expect(
      (await accounting('Stop', 'bob-1', 'bob', [{ attribute: 'Acct-Terminate-Cause', value: 'User-Request' }]))?.reply
        .code,
    ).toBe(PacketCode.accountingResponse);
    expect((await papRequest(nas, 'bob', 'bob-pw'))?.reply.code).toBe(PacketCode.accessAccept);
  });

  it('counts an IPoE session by the Class its Accept gave, whatever User-Name the NAS accounts under', async () => {
    const dhcp = () =>
      nas.request(auth, PacketCode.accessRequest, [
        { attribute: 'User-Name', value: 'dhcp-client' },
        { attribute: 'ADSL-Agent-Circuit-Id', value: Buffer.from('eth 0/1/1:200') },
      ]);
    const first = await dhcp();
    expect(first?.reply.code).toBe(PacketCode.accessAccept);
    const serviceLine = getOctets(first!.reply, attr('Class'));
    expect(serviceLine?.toString()).toBe('line:ipoe-one');
    // RFC 2865 §5.25: the NAS echoes Class unmodified in the session's accounting.
    const start = await accounting('Start', 'ipoe-one-1', 'dhcp-client', [{ attribute: 'Class', value: serviceLine! }]);
    expect(start?.reply.code).toBe(PacketCode.accountingResponse);
    expect(await server.appliance.context.spool.countLiveSessions('ipoe-one')).toBe(1);
    const second = await dhcp();
    expect(second?.reply.code).toBe(PacketCode.accessReject);
    await accounting('Stop', 'ipoe-one-1', 'dhcp-client', [{ attribute: 'Class', value: serviceLine! }]);
    expect((await dhcp())?.reply.code).toBe(PacketCode.accessAccept);
  });
});

describe('drops', () => {
  it('drops an Access-Request without Message-Authenticator and counts it', async () => {
    const before = metricValue(
      await server.metrics(),
      'appliance_radius_drops_total{reason="missing_message_authenticator"}',
    );
    expect(await papRequest(nas, 'alice', 'alice-pw', [], { messageAuthenticator: false })).toBeNull();
    expect(
      metricValue(await server.metrics(), 'appliance_radius_drops_total{reason="missing_message_authenticator"}'),
    ).toBe(before + 1);
  });

  it('drops datagrams from unknown clients and counts them, before decoding their attributes', async () => {
    const unknown = 'appliance_radius_drops_total{reason="unknown_client"}';
    const truncated = 'appliance_radius_drops_total{reason="truncated_attribute"}';
    const before = await server.metrics();
    const stranger = await openNasSocket('127.0.0.2', '127.0.0.1');
    try {
      expect(await papRequest(stranger, 'alice', 'alice-pw')).toBeNull();
      // A valid header over broken attributes: the source decides, the attributes are never read.
      const brokenAttributes = Buffer.from([1, 7, 0, 24, ...randomBytes(16), 1, 9, 0x41, 0x42]);
      expect(await stranger.exchange(brokenAttributes, auth, 300)).toBeNull();
    } finally {
      stranger.close();
    }
    const after = await server.metrics();
    expect(metricValue(after, unknown) - metricValue(before, unknown)).toBe(2);
    expect(metricValue(after, truncated) - metricValue(before, truncated)).toBe(0);
  });

  // Issue 12 item 10: FreeRADIUS keeps such a VSA as a raw attribute; so does the appliance.
  it("answers a request whose known vendor's VSA has a value that does not fit its type", async () => {
    // Mikrotik-Recv-Limit (14988:1) is an integer: 3 octets do not fit.
    const odd = { attribute: 'Vendor-Specific', value: Buffer.from('00003a8c0105000001', 'hex') };
    const result = await papRequest(nas, 'alice', 'alice-pw', [odd]);
    expect(result?.reply.code).toBe(PacketCode.accessAccept);
    // A broken framing inside the VSA is still the packet's structure: dropped.
    const broken = { attribute: 'Vendor-Specific', value: Buffer.from('00003a8c01094142', 'hex') };
    expect(await papRequest(nas, 'alice', 'alice-pw', [broken])).toBeNull();
  });

  it('drops malformed and wrongly signed packets without harm to the workers', async () => {
    const garbage = [
      randomBytes(10),
      Buffer.from([1, 0, 0, 30, ...randomBytes(26)]),
      Buffer.from([1, 1, 0, 24, ...randomBytes(16), 1, 1, 0, 0]),
    ];
    for (const datagram of garbage) expect(await nas.exchange(datagram, auth, 300)).toBeNull();
    expect(await papRequest(nas, 'alice', 'alice-pw', [], {})).not.toBeNull();
    const forged = await nas.request(
      acct,
      PacketCode.accountingRequest,
      [
        { attribute: 'Acct-Status-Type', value: 'Start' },
        { attribute: 'Acct-Session-Id', value: 'x' },
      ],
      { secret: 'not-the-secret' },
    );
    expect(forged).toBeNull();
    const metrics = await server.metrics();
    expect(metricValue(metrics, 'appliance_radius_drops_total{reason="short_packet"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'appliance_radius_drops_total{reason="bad_authenticator"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'appliance_radius_workers_alive')).toBe(2);
  });
});

describe('accounting and duplicates', () => {
  it('answers a retransmitted Access-Request with the same reply bytes (RFC 5080)', async () => {
    const first = await papRequest(nas, 'alice', 'alice-pw');
    const before = metricValue(await server.metrics(), 'appliance_radius_duplicates_total{outcome="cached"}');
    const again = await nas.exchange(first!.sent, auth);
    expect(again).toEqual(first!.raw);
    expect(metricValue(await server.metrics(), 'appliance_radius_duplicates_total{outcome="cached"}')).toBe(before + 1);
  });

  it('stores a retransmitted Accounting-Request once and answers both', async () => {
    const appended = server.appliance.context.spool.stats().appended;
    const first = await accounting('Start', 'dup-1', 'alice');
    const second = await nas.exchange(first!.sent, acct);
    expect(second).toEqual(first!.raw);
    expect(server.appliance.context.spool.stats().appended).toBe(appended + 1);
  });

  it('combines gigawords and closes every session of the NAS on Accounting-On', async () => {
    const spool = server.appliance.context.spool;
    await accounting('Start', 'gw-1', 'alice');
    await accounting('Start', 'gw-2', 'alice');
    const interim = await accounting('Interim-Update', 'gw-1', 'alice', [
      { attribute: 'Acct-Input-Octets', value: 5 },
      { attribute: 'Acct-Input-Gigawords', value: 2 },
      { attribute: 'Acct-Session-Time', value: 30 },
    ]);
    expect(interim?.reply.code).toBe(PacketCode.accountingResponse);
    const sessions = await spool.listLiveSessions('alice');
    expect(sessions.find((session) => session.sessionId === 'gw-1')?.inputOctets).toBe(2 * 2 ** 32 + 5);
    expect(await spool.countLiveSessions('alice')).toBeGreaterThanOrEqual(2);
    await sleep(1_100);
    const on = await nas.request(acct, PacketCode.accountingRequest, [
      { attribute: 'Acct-Status-Type', value: 'Accounting-On' },
    ]);
    expect(on?.reply.code).toBe(PacketCode.accountingResponse);
    expect(await spool.countLiveSessions('alice')).toBe(0);
  });

  it(
    'records where CoA reaches the session: ' + 'NAS-IP-Address inside the client prefix, else the source address',
    async () => {
      await server.appliance.context.replica.applyChanges([
        {
          op: 'upsert-nas-client',
          value: { address: '127.0.0.8/29', secret: SECRET, vendor: 'mikrotik', name: 'fleet' },
        },
      ]);
      const fleet = await openNasSocket('127.0.0.9', '127.0.0.1');
      try {
        const start = (sessionId: string, nasIp: string) =>
          accounting('Start', sessionId, 'erin', [{ attribute: 'NAS-IP-Address', value: nasIp }], fleet);
        // Until the worker behind `fleet` knows the new client it drops the request; a
        // resent Start is the same record (its key), stored once.
        await expect
          .poll(async () => (await start('fleet-1', '127.0.0.13'))?.reply.code, { timeout: 30_000 })
          .toBe(PacketCode.accountingResponse);
        // Outside 127.0.0.8/29: the fleet's secret must not go there.
        expect((await start('fleet-2', '192.0.2.9'))?.reply.code).toBe(PacketCode.accountingResponse);
        // Inside the prefix of another client (127.0.0.1/32): not this NAS.
        expect((await start('fleet-3', '127.0.0.1'))?.reply.code).toBe(PacketCode.accountingResponse);
        const sessions = await server.appliance.context.spool.listLiveSessions('erin');
        expect(Object.fromEntries(sessions.map((row) => [row.sessionId, row.nasAddress]))).toEqual({
          'fleet-1': '127.0.0.13',
          'fleet-2': '127.0.0.9',
          'fleet-3': '127.0.0.9',
        });
      } finally {
        fleet.close();
      }
    },
  );

  it('drops accounting without Acct-Session-Id', async () => {
    const result = await nas.request(
      acct,
      PacketCode.accountingRequest,
      [{ attribute: 'Acct-Status-Type', value: 'Start' }],
      {},
    );
    expect(result).toBeNull();
    expect(
      metricValue(await server.metrics(), 'appliance_radius_drops_total{reason="invalid_accounting"}'),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('Status-Server (RFC 5997)', () => {
  it('answers Access-Accept on the auth port and Accounting-Response on the acct port', async () => {
    const onAuth = await nas.request(auth, PacketCode.statusServer, [], { messageAuthenticator: true });
    const onAcct = await nas.request(acct, PacketCode.statusServer, [], { messageAuthenticator: true });
    expect(onAuth?.reply.code).toBe(PacketCode.accessAccept);
    expect(onAcct?.reply.code).toBe(PacketCode.accountingResponse);
    const health = await server.health();
    expect(health.status).toBe(200);
    expect(health.body.radius).toMatchObject({ healthy: true, workersAlive: 2 });
  });
});
