// What the load generator sends: 10,000 subscribers with deterministic passwords and
// static addresses, and requests shaped like a MikroTik RouterOS 7 PPPoE server's
// (hAP / CCR): PAP Access-Request with Message-Authenticator, Accounting
// Start / Interim-Update / Stop. Both servers under test get the same users from
// here (users-file.ts writes them out), so a reply can be checked per user.
import { createHash, randomFillSync } from 'node:crypto';
import { PacketCode, buildRequest } from '../../appliance/radius/index.ts';
import type { AttributeDef, AttributeInput, Dictionary } from '../../appliance/radius/index.ts';

export const DEFAULT_USERS = 10_000;
export const BENCH_SECRET = 'bench-radius-secret-7f3a';

/** Rate plans: a MikroTik rate limit is rx/tx from the router's view (upload first). */
export const PLANS = [
  { name: 'home-20', rateLimit: '10M/20M' },
  { name: 'home-50', rateLimit: '20M/50M' },
  { name: 'home-100', rateLimit: '50M/100M' },
  { name: 'biz-200', rateLimit: '100M/200M 200M/400M 80M/160M 10/10' },
] as const;

export interface BenchUser {
  readonly name: string;
  readonly password: string;
  /** Static Framed-IP-Address both servers reply with, as 4 octets (to check replies). */
  readonly framedIp: string;
  readonly framedIpOctets: Buffer;
  readonly mac: string;
  readonly plan: (typeof PLANS)[number];
}

export function userName(index: number): string {
  return `sub${String(index).padStart(5, '0')}`;
}

/** Deterministic per-user passwords: every run and both servers agree without a file. */
export function userPassword(index: number): string {
  return createHash('sha256').update(`bench-radius-user-${index}`).digest('base64url').slice(0, 14);
}

export function makeUsers(count: number): BenchUser[] {
  const users: BenchUser[] = [];
  for (let index = 0; index < count; index++) {
    // 100.64.0.0/10 (RFC 6598 shared address space), one /32 per subscriber from 100.64.1.1.
    const host = index + 257;
    const octets = Buffer.from([100, 64 + ((host >> 16) & 0x3f), (host >> 8) & 0xff, host & 0xff]);
    const mac = ['4C', '5E', '0C', (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff]
      .map((part) => (typeof part === 'string' ? part : part.toString(16).padStart(2, '0').toUpperCase()))
      .join(':');
    users.push({
      name: userName(index),
      password: userPassword(index),
      framedIp: [...octets].join('.'),
      framedIpOctets: octets,
      mac,
      plan: PLANS[index % PLANS.length] ?? PLANS[0],
    });
  }
  return users;
}

/** Attribute definitions resolved once (the builder then skips name lookups). */
export interface Attributes {
  readonly userName: AttributeDef;
  readonly userPassword: AttributeDef;
  readonly serviceType: AttributeDef;
  readonly framedProtocol: AttributeDef;
  readonly nasPort: AttributeDef;
  readonly nasPortType: AttributeDef;
  readonly nasPortId: AttributeDef;
  readonly callingStationId: AttributeDef;
  readonly calledStationId: AttributeDef;
  readonly nasIdentifier: AttributeDef;
  readonly nasIpAddress: AttributeDef;
  readonly acctSessionId: AttributeDef;
  readonly mikrotikRealm: AttributeDef;
  readonly mikrotikHostIp: AttributeDef;
  readonly acctStatusType: AttributeDef;
  readonly acctAuthentic: AttributeDef;
  readonly acctDelayTime: AttributeDef;
  readonly eventTimestamp: AttributeDef;
  readonly framedIpAddress: AttributeDef;
  readonly acctSessionTime: AttributeDef;
  readonly acctInputOctets: AttributeDef;
  readonly acctOutputOctets: AttributeDef;
  readonly acctInputGigawords: AttributeDef;
  readonly acctOutputGigawords: AttributeDef;
  readonly acctInputPackets: AttributeDef;
  readonly acctOutputPackets: AttributeDef;
  readonly acctTerminateCause: AttributeDef;
  readonly classAttribute: AttributeDef;
}

export function resolveAttributes(dictionary: Dictionary): Attributes {
  const get = (name: string) => dictionary.requireAttribute(name);
  return {
    userName: get('User-Name'),
    userPassword: get('User-Password'),
    serviceType: get('Service-Type'),
    framedProtocol: get('Framed-Protocol'),
    nasPort: get('NAS-Port'),
    nasPortType: get('NAS-Port-Type'),
    nasPortId: get('NAS-Port-Id'),
    callingStationId: get('Calling-Station-Id'),
    calledStationId: get('Called-Station-Id'),
    nasIdentifier: get('NAS-Identifier'),
    nasIpAddress: get('NAS-IP-Address'),
    acctSessionId: get('Acct-Session-Id'),
    mikrotikRealm: get('Mikrotik-Realm'),
    mikrotikHostIp: get('Mikrotik-Host-IP'),
    acctStatusType: get('Acct-Status-Type'),
    acctAuthentic: get('Acct-Authentic'),
    acctDelayTime: get('Acct-Delay-Time'),
    eventTimestamp: get('Event-Timestamp'),
    framedIpAddress: get('Framed-IP-Address'),
    acctSessionTime: get('Acct-Session-Time'),
    acctInputOctets: get('Acct-Input-Octets'),
    acctOutputOctets: get('Acct-Output-Octets'),
    acctInputGigawords: get('Acct-Input-Gigawords'),
    acctOutputGigawords: get('Acct-Output-Gigawords'),
    acctInputPackets: get('Acct-Input-Packets'),
    acctOutputPackets: get('Acct-Output-Packets'),
    acctTerminateCause: get('Acct-Terminate-Cause'),
    classAttribute: get('Class'),
  };
}

export const NAS_IDENTIFIER = 'ccr2004-bng-1';
export const NAS_IP = '127.0.0.1';

/** The PPPoE server's session id and NAS port for a session number (RouterOS: 8 hex digits; 0x81xxxxxx-ish). */
function nasPort(sessionNumber: number): number {
  return 15_728_640 + (sessionNumber % 1_048_576);
}

/**
 * A PPPoE PAP Access-Request as RouterOS 7 sends it with `require-message-auth`
 * (7.15+): Message-Authenticator first (the builder puts it there), then the
 * attributes in RouterOS order. Mikrotik-Realm is sent for user@realm logins;
 * Mikrotik-Host-IP by the hotspot: we send both, as a mixed PPPoE/hotspot CCR does.
 */
export function buildAccessRequest(
  attributes: Attributes,
  dictionary: Dictionary,
  secret: Buffer,
  identifier: number,
  user: BenchUser,
  sessionNumber: number,
): Buffer {
  const inputs: AttributeInput[] = [
    { attribute: attributes.serviceType, value: 'Framed-User' },
    { attribute: attributes.framedProtocol, value: 'PPP' },
    { attribute: attributes.nasPort, value: nasPort(sessionNumber) },
    { attribute: attributes.nasPortType, value: 'Ethernet' },
    { attribute: attributes.userName, value: user.name },
    { attribute: attributes.callingStationId, value: user.mac },
    { attribute: attributes.calledStationId, value: 'pppoe-isp' },
    { attribute: attributes.nasPortId, value: 'vlan100-pppoe' },
    { attribute: attributes.userPassword, value: user.password },
    { attribute: attributes.acctSessionId, value: sessionId(sessionNumber) },
    { attribute: attributes.mikrotikRealm, value: 'isp' },
    { attribute: attributes.mikrotikHostIp, value: user.framedIp },
    { attribute: attributes.nasIdentifier, value: NAS_IDENTIFIER },
    { attribute: attributes.nasIpAddress, value: NAS_IP },
  ];
  // The builder copies the authenticator into the packet: the pool slice may be reused later.
  return buildRequest(
    { code: PacketCode.accessRequest, identifier, secret, attributes: inputs, authenticator: nextAuthenticator() },
    dictionary,
  );
}

// Request Authenticators come from a pool filled 64 KiB at a time: one randomBytes(16)
// call per request costs the generator more than the rest of the encoding.
const randomPool = Buffer.alloc(65_536);
let randomOffset = randomPool.length;

function nextAuthenticator(): Buffer {
  if (randomOffset + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const authenticator = randomPool.subarray(randomOffset, randomOffset + 16);
  randomOffset += 16;
  return authenticator;
}

export type AcctStatus = 'Start' | 'Interim-Update' | 'Stop';

export interface AcctSession {
  readonly user: BenchUser;
  readonly number: number;
  readonly id: string;
  /** Seconds of session time already reported. */
  elapsed: number;
  inputOctets: number;
  outputOctets: number;
}

/** RouterOS prints Acct-Session-Id as 8 hex digits; the run tag keeps runs apart. */
export function sessionId(sessionNumber: number, runTag = 0): string {
  return ((runTag * 0x1000_0000 + sessionNumber) >>> 0).toString(16).padStart(8, '0');
}

/** An Accounting-Request for one step of a session, RouterOS-shaped. */
export function buildAccountingRequest(
  attributes: Attributes,
  dictionary: Dictionary,
  secret: Buffer,
  identifier: number,
  session: AcctSession,
  status: AcctStatus,
): Buffer {
  const inputs: AttributeInput[] = [
    { attribute: attributes.acctStatusType, value: status },
    { attribute: attributes.userName, value: session.user.name },
    { attribute: attributes.acctSessionId, value: session.id },
    { attribute: attributes.acctAuthentic, value: 'RADIUS' },
    { attribute: attributes.serviceType, value: 'Framed-User' },
    { attribute: attributes.framedProtocol, value: 'PPP' },
    { attribute: attributes.nasPort, value: nasPort(session.number) },
    { attribute: attributes.nasPortType, value: 'Ethernet' },
    { attribute: attributes.callingStationId, value: session.user.mac },
    { attribute: attributes.calledStationId, value: 'pppoe-isp' },
    { attribute: attributes.nasPortId, value: 'vlan100-pppoe' },
    { attribute: attributes.framedIpAddress, value: session.user.framedIp },
    { attribute: attributes.eventTimestamp, value: Math.floor(Date.now() / 1000) },
    { attribute: attributes.acctDelayTime, value: 0 },
    { attribute: attributes.nasIdentifier, value: NAS_IDENTIFIER },
    { attribute: attributes.nasIpAddress, value: NAS_IP },
  ];
  if (status !== 'Start') {
    // Traffic counters as 64-bit: low 32 bits + Gigawords (RFC 2869 §5.1/5.2).
    inputs.push(
      { attribute: attributes.acctSessionTime, value: session.elapsed },
      { attribute: attributes.acctInputOctets, value: session.inputOctets % 2 ** 32 },
      { attribute: attributes.acctOutputOctets, value: session.outputOctets % 2 ** 32 },
      { attribute: attributes.acctInputGigawords, value: Math.floor(session.inputOctets / 2 ** 32) },
      { attribute: attributes.acctOutputGigawords, value: Math.floor(session.outputOctets / 2 ** 32) },
      { attribute: attributes.acctInputPackets, value: Math.floor(session.inputOctets / 900) % 2 ** 32 },
      { attribute: attributes.acctOutputPackets, value: Math.floor(session.outputOctets / 1200) % 2 ** 32 },
    );
  }
  if (status === 'Stop') inputs.push({ attribute: attributes.acctTerminateCause, value: 'User-Request' });
  return buildRequest({ code: PacketCode.accountingRequest, identifier, secret, attributes: inputs }, dictionary);
}
