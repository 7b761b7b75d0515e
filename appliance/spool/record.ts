// Accounting records as the RADIUS server hands them to the spool, their validation,
// their idempotency key and the 64-bit octet counts.
import { hash } from 'node:crypto';

/** RFC 2866 §5.1 Acct-Status-Type: Start, Stop, Interim-Update (RFC 2869), Accounting-On/Off. */
export type AccountingStatus = 'start' | 'interim' | 'stop' | 'on' | 'off';

/**
 * One Accounting-Request, decoded. Plain data (structured-clone safe) so worker
 * threads can post it to the spool owner. Counters are the raw 32-bit attributes; the
 * spool combines octets with gigawords.
 */
export type AccountingRecord = {
  /** Idempotency key; computed by the spool (recordKey) when absent. */
  key?: string;
  /** The replica NAS client id the request came from (one client may be a fleet: a prefix). */
  nasId: string;
  /**
   * The NAS within its client, as FreeRADIUS's acctuniqueid names it: NAS-IP-Address
   * (RFC 2865 §5.4) or NAS-IPv6-Address (RFC 3162 §2.1), else the datagram's source
   * address. Sessions, record keys and the Accounting-On/Off epoch are the NAS's.
   * Absent: nasAddress, else the client as a whole.
   */
  nasIp?: string;
  /** Where CoA/Disconnect for the session goes (accounting-request.ts, coaAddress). */
  nasAddress?: string;
  /** Server clock, ms since the epoch. */
  receivedAt: number;
  status: AccountingStatus;
  /** RFC 2866 §5.2 Acct-Delay-Time, seconds. */
  delaySeconds?: number;
  /** RFC 2869 §5.3 Event-Timestamp, seconds since the epoch (NAS clock). */
  eventTimestamp?: number;
  /** RFC 2866 §5.5 Acct-Session-Id; required for start, interim and stop. */
  sessionId?: string;
  username?: string;
  subscriberId?: string;
  /** RFC 2866 §5.7 Acct-Session-Time, seconds. */
  sessionTime?: number;
  inputOctets?: number;
  /** RFC 2869 §5.1 Acct-Input-Gigawords: times inputOctets wrapped 2^32. */
  inputGigawords?: number;
  outputOctets?: number;
  outputGigawords?: number;
  inputPackets?: number;
  outputPackets?: number;
  terminateCause?: string;
  framedIp?: string;
  callingStationId?: string;
  nasPortId?: string;
  // What ISPs must retain and bill by (issue 12 item 6), as the NAS sent it.
  /** RFC 3162 §2.3 Framed-IPv6-Prefix, e.g. 2001:db8:1::/64. */
  framedIpv6Prefix?: string;
  /** RFC 4818 Delegated-IPv6-Prefix. */
  delegatedIpv6Prefix?: string;
  /** RFC 2865 §5.5 NAS-Port. */
  nasPort?: number;
  /** RFC 2865 §5.41 NAS-Port-Type, by its dictionary name (Ethernet, Virtual, …). */
  nasPortType?: string;
  /** RFC 2865 §5.30 Called-Station-Id. */
  calledStationId?: string;
  /** RFC 2865 §5.32 NAS-Identifier. */
  nasIdentifier?: string;
  /** RFC 2865 §5.25 Class (octets), the first one, as FreeRADIUS prints octets: 0x and hex. */
  class?: string;
  /** RFC 2866 §5.11 Acct-Multi-Session-Id. */
  multiSessionId?: string;
  /** The Acct-Interim-Interval the session was given (seconds), for the stale sweep. */
  interimInterval?: number;
  /**
   * Further decoded attributes to ship to the edge as-is (JSON). Only what the typed
   * fields above do not carry: every byte here is written twice (WAL, checkpoint).
   */
  attributes?: Record<string, unknown>;
};

/** A validated record with derived fields, as the spool stores it. */
export type SpoolEntry = {
  /** Empty until the spool assigns it at commit (recordKey), unless the caller gave one. */
  key: string;
  kind: AccountingStatus | 'close';
  nasId: string;
  /** The NAS within its client (AccountingRecord.nasIp); '' for the client as a whole. */
  nasIp: string;
  nasAddress: string | null;
  receivedAt: number;
  /** When the event happened, server clock: receivedAt − Acct-Delay-Time. */
  eventAt: number;
  sessionId: string | null;
  username: string | null;
  subscriberId: string | null;
  sessionTime: number | null;
  inputOctets: number | null;
  outputOctets: number | null;
  inputPackets: number | null;
  outputPackets: number | null;
  terminateCause: string | null;
  framedIp: string | null;
  callingStationId: string | null;
  nasPortId: string | null;
  interimInterval: number | null;
  /** RFC 2869 §5.3 Event-Timestamp as sent (NAS clock, seconds). */
  eventTimestamp: number | null;
  attributes: Record<string, unknown> | null;
  framedIpv6Prefix: string | null;
  delegatedIpv6Prefix: string | null;
  nasPort: number | null;
  nasPortType: string | null;
  calledStationId: string | null;
  nasIdentifier: string | null;
  class: string | null;
  multiSessionId: string | null;
};

export class SpoolRecordError extends Error {
  override name = 'SpoolRecordError';
}

const TWO_32 = 2 ** 32;

/** RFC 2869 §5.1–5.2: octets + gigawords × 2^32, exact up to 2^53 (8 PiB). */
export function combineOctets(octets: number | undefined, gigawords: number | undefined): number | null {
  if (octets === undefined && gigawords === undefined) return null;
  return (gigawords ?? 0) * TWO_32 + (octets ?? 0);
}

function checkCounter(record: AccountingRecord, field: keyof AccountingRecord, max: number): void {
  const value = record[field];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new SpoolRecordError(
      `accounting record field ${field} must be an integer in [0, ${max}], got ${String(value)}`,
    );
  }
}

function optionalString(record: AccountingRecord, field: keyof AccountingRecord): string | null {
  const value = record[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new SpoolRecordError(`accounting record field ${field} must be a string`);
  return value;
}

const STATUSES = new Set<string>(['start', 'interim', 'stop', 'on', 'off']);
const U32 = TWO_32 - 1;

/**
 * Validates a record and derives what the spool stores. Hand-written rather than zod:
 * this runs once per accounting request on the spool owner's thread.
 */
export function toSpoolEntry(record: AccountingRecord): SpoolEntry {
  if (typeof record !== 'object' || record === null) throw new SpoolRecordError('accounting record must be an object');
  if (!STATUSES.has(record.status)) throw new SpoolRecordError(`unknown accounting status ${String(record.status)}`);
  if (typeof record.nasId !== 'string' || record.nasId === '')
    throw new SpoolRecordError('accounting record needs nasId');
  if (typeof record.receivedAt !== 'number' || !Number.isFinite(record.receivedAt) || record.receivedAt <= 0) {
    throw new SpoolRecordError('accounting record needs receivedAt (ms since the epoch)');
  }
  const sessionId = optionalString(record, 'sessionId');
  if (sessionId === null && (record.status === 'start' || record.status === 'interim' || record.status === 'stop')) {
    throw new SpoolRecordError(`accounting ${record.status} needs sessionId (Acct-Session-Id)`);
  }
  for (const field of [
    'delaySeconds',
    'eventTimestamp',
    'sessionTime',
    'inputOctets',
    'inputGigawords',
    'outputOctets',
    'outputGigawords',
    'inputPackets',
    'outputPackets',
  ] as const) {
    checkCounter(record, field, U32);
  }
  checkCounter(record, 'interimInterval', U32);
  checkCounter(record, 'nasPort', U32);
  const attributes = record.attributes;
  if (
    attributes !== undefined &&
    (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
  ) {
    throw new SpoolRecordError('accounting record attributes must be an object');
  }
  const eventAt = record.receivedAt - (record.delaySeconds ?? 0) * 1000;
  const nasAddress = optionalString(record, 'nasAddress');
  const entry: SpoolEntry = {
    key: optionalString(record, 'key') ?? '',
    kind: record.status,
    nasId: record.nasId,
    nasIp: optionalString(record, 'nasIp') ?? nasAddress ?? '',
    nasAddress,
    receivedAt: Math.trunc(record.receivedAt),
    eventAt: Math.trunc(eventAt),
    sessionId,
    username: optionalString(record, 'username'),
    subscriberId: optionalString(record, 'subscriberId'),
    sessionTime: record.sessionTime ?? null,
    inputOctets: combineOctets(record.inputOctets, record.inputGigawords),
    outputOctets: combineOctets(record.outputOctets, record.outputGigawords),
    inputPackets: record.inputPackets ?? null,
    outputPackets: record.outputPackets ?? null,
    terminateCause: optionalString(record, 'terminateCause'),
    framedIp: optionalString(record, 'framedIp'),
    callingStationId: optionalString(record, 'callingStationId'),
    nasPortId: optionalString(record, 'nasPortId'),
    interimInterval: record.interimInterval ?? null,
    eventTimestamp: record.eventTimestamp ?? null,
    attributes: attributes ?? null,
    framedIpv6Prefix: optionalString(record, 'framedIpv6Prefix'),
    delegatedIpv6Prefix: optionalString(record, 'delegatedIpv6Prefix'),
    nasPort: record.nasPort ?? null,
    nasPortType: optionalString(record, 'nasPortType'),
    calledStationId: optionalString(record, 'calledStationId'),
    nasIdentifier: optionalString(record, 'nasIdentifier'),
    class: optionalString(record, 'class'),
    multiSessionId: optionalString(record, 'multiSessionId'),
  };
  return entry;
}

const MINUTE = 60_000;

/**
 * The idempotency key: what identifies one accounting event independently of the
 * packet that carried it. A NAS that does not hear our response retransmits; once it
 * updates Acct-Delay-Time it must use a new Identifier (RFC 2866 §5.2), so RFC 5080
 * duplicate detection upstream cannot catch that copy; this key does, because it is
 * built from what stays the same: the session, the counters, the event.
 *
 * NAS is the client and the NAS within it (nasIp): two routers of one fleet may use
 * equal Acct-Session-Ids.
 *
 *   start     NAS, NAS epoch, session id, user, calling station, framed IP,
 *             Event-Timestamp if sent. The epoch (seq of the NAS's last Accounting-On
 *             or -Off) tells a new session apart from an old one whose id the NAS
 *             reused after rebooting.
 *   interim   NAS, session id, session time, all counters
 *   stop      NAS, session id, session time, all counters, terminate cause
 *   on / off  NAS, Event-Timestamp (or the minute of the event)
 *   close     NAS, session id, time of the decision (written by the appliance itself)
 */
export function recordKey(entry: SpoolEntry, nasEpoch: number): string {
  const parts: Array<string | number | null> = [entry.nasId, entry.nasIp, entry.kind, entry.sessionId];
  switch (entry.kind) {
    case 'start':
      parts.push(nasEpoch, entry.username, entry.callingStationId, entry.framedIp, entry.eventTimestamp);
      break;
    case 'interim':
    case 'stop':
      parts.push(entry.sessionTime, entry.inputOctets, entry.outputOctets, entry.inputPackets, entry.outputPackets);
      if (entry.kind === 'stop') parts.push(entry.terminateCause);
      // Without Acct-Session-Time nothing else orders two updates of one session.
      if (entry.sessionTime === null) parts.push(entry.eventTimestamp ?? `s${Math.floor(entry.eventAt / 1000)}`);
      break;
    case 'on':
    case 'off':
      parts.push(entry.eventTimestamp ?? `m${Math.floor(entry.eventAt / MINUTE)}`);
      break;
    case 'close':
      parts.push(entry.eventAt);
      break;
  }
  const text = parts.map((part) => (part === null ? '\u0001' : String(part))).join('\u0000');
  return hash('sha256', text, 'base64url').slice(0, 24);
}
