// Accounting-Request (RFC 2866 §4.1, RFC 2869 §2.1): Start, Interim-Update, Stop,
// Accounting-On/Off. The record goes to the spool, and the Accounting-Response is
// sent only once the spool reports it durable (RFC 2866 §2: "A server MUST NOT
// respond if it cannot successfully record the accounting packet").
import type { AccountingRecord, AccountingStatus } from '../../spool/index.ts';
import { getInteger, getString, getValue } from '../attributes.ts';
import type { RadiusPacket } from '../codec.ts';
import type { AttributeDef, Dictionary } from '../dictionary.ts';
import { PacketCode } from '../protocol.ts';
import { buildReply } from '../reply.ts';
import type { AccountingStatusLabel } from '../server/counters.ts';
import type { HandlerContext, HandlerOutcome, IncomingRequest } from './context.ts';

/** RFC 2866 §5.1 Acct-Status-Type values, RFC 2869 §5.1 Interim-Update. */
const STATUS_BY_VALUE: ReadonlyMap<number, AccountingStatus> = new Map([
  [1, 'start'],
  [2, 'stop'],
  [3, 'interim'],
  [7, 'on'],
  [8, 'off'],
]);

type Defs = Record<
  | 'status' | 'delay' | 'eventTimestamp' | 'sessionId' | 'userName' | 'sessionTime' | 'inputOctets' | 'inputGigawords'
  | 'outputOctets' | 'outputGigawords' | 'inputPackets' | 'outputPackets' | 'terminateCause' | 'framedIp' | 'callingStationId' | 'nasPortId'
  | 'nasIpAddress' | 'nasIpv6Address',
  AttributeDef
>;

type NumericField = 'delaySeconds' | 'eventTimestamp' | 'sessionTime' | 'inputOctets' | 'inputGigawords' | 'outputOctets' | 'outputGigawords' | 'inputPackets' | 'outputPackets';

const defsByDictionary = new WeakMap<Dictionary, Defs>();

function definitions(dictionary: Dictionary): Defs {
  let defs = defsByDictionary.get(dictionary);
  if (defs === undefined) {
    const get = (name: string) => dictionary.requireAttribute(name);
    defs = {
      status: get('Acct-Status-Type'),
      delay: get('Acct-Delay-Time'),
      eventTimestamp: get('Event-Timestamp'),
      sessionId: get('Acct-Session-Id'),
      userName: get('User-Name'),
      sessionTime: get('Acct-Session-Time'),
      inputOctets: get('Acct-Input-Octets'),
      // RFC 2869 §5.1–5.2: how many times the 32-bit octet counters wrapped.
      inputGigawords: get('Acct-Input-Gigawords'),
      outputOctets: get('Acct-Output-Octets'),
      outputGigawords: get('Acct-Output-Gigawords'),
      inputPackets: get('Acct-Input-Packets'),
      outputPackets: get('Acct-Output-Packets'),
      terminateCause: get('Acct-Terminate-Cause'),
      framedIp: get('Framed-IP-Address'),
      callingStationId: get('Calling-Station-Id'),
      nasPortId: get('NAS-Port-Id'),
      nasIpAddress: get('NAS-IP-Address'),
      nasIpv6Address: get('NAS-IPv6-Address'),
    };
    defsByDictionary.set(dictionary, defs);
  }
  return defs;
}

function valueName(def: AttributeDef, value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  for (const [name, number] of def.values) if (number === value) return name;
  return String(value);
}

/**
 * Where CoA/Disconnect for this session will go (RFC 5176 §3: to the NAS, which the
 * session record must name when its client is a whole prefix). NAS-IP-Address
 * (RFC 2865 §5.4) or NAS-IPv6-Address (RFC 3162 §2.1) when it lies inside the prefix
 * of the NAS client that signed the request: it is the NAS's identifying address, the
 * one FreeRADIUS keeps as radacct.nasipaddress and CoA tools send to, and stays right
 * when the NAS sources RADIUS from another interface. An address outside the prefix
 * (a NAS behind NAT reporting its private address, or a lie) is never used: the
 * client's secret is only ever sent into its own prefix. Otherwise the datagram's
 * source address.
 */
function coaAddress(ctx: HandlerContext, request: IncomingRequest, defs: Defs): string {
  for (const def of [defs.nasIpAddress, defs.nasIpv6Address]) {
    const value = getValue(request.packet, def);
    if (typeof value === 'string' && ctx.replica.findClientByAddress(value)?.id === request.nas.id) return value;
  }
  return request.address;
}

/**
 * The request as a spool record, with only the fields the packet carries: the record
 * crosses threads by structured clone, where every absent field would cost a slot.
 */
function toRecord(ctx: HandlerContext, request: IncomingRequest, packet: RadiusPacket, status: AccountingStatus): AccountingRecord {
  const defs = definitions(ctx.dictionary);
  const userName = getString(packet, defs.userName);
  // Usernames as the replica knows them, so Simultaneous-Use counts what it limits.
  const subscriber = userName === undefined ? undefined : (ctx.replica.findSubscriberByUsername(userName) ?? ctx.replica.findSubscriberByMac(userName));
  const record: AccountingRecord = { nasId: request.nas.id, nasAddress: coaAddress(ctx, request, defs), receivedAt: request.receivedAt, status };
  const set = <K extends keyof AccountingRecord>(field: K, value: AccountingRecord[K] | undefined) => {
    if (value !== undefined) record[field] = value;
  };
  const integer = (field: NumericField, def: AttributeDef) => set(field, getInteger(packet, def));
  integer('delaySeconds', defs.delay);
  integer('eventTimestamp', defs.eventTimestamp);
  set('sessionId', getString(packet, defs.sessionId));
  set('username', subscriber?.username ?? userName);
  set('subscriberId', subscriber?.id);
  integer('sessionTime', defs.sessionTime);
  integer('inputOctets', defs.inputOctets);
  integer('inputGigawords', defs.inputGigawords);
  integer('outputOctets', defs.outputOctets);
  integer('outputGigawords', defs.outputGigawords);
  integer('inputPackets', defs.inputPackets);
  integer('outputPackets', defs.outputPackets);
  set('terminateCause', valueName(defs.terminateCause, getInteger(packet, defs.terminateCause)));
  const framedIp = getValue(packet, defs.framedIp);
  if (typeof framedIp === 'string') record.framedIp = framedIp;
  set('callingStationId', getString(packet, defs.callingStationId));
  set('nasPortId', getString(packet, defs.nasPortId));
  const profile = subscriber?.profile == null ? undefined : ctx.replica.getProfile(subscriber.profile);
  set('interimInterval', profile?.interimInterval ?? undefined);
  return record;
}

export async function handleAccountingRequest(ctx: HandlerContext, request: IncomingRequest): Promise<HandlerOutcome> {
  const { packet, nas } = request;
  const defs = definitions(ctx.dictionary);
  const statusValue = getInteger(packet, defs.status);
  const status = statusValue === undefined ? undefined : STATUS_BY_VALUE.get(statusValue);
  const respond = (label: AccountingStatusLabel): HandlerOutcome => {
    ctx.counters.accounting(label);
    return { reply: buildReply(packet, PacketCode.accountingResponse, [], nas.secret, ctx.dictionary) };
  };
  if (statusValue === undefined) return { drop: 'invalid_accounting' };
  // Tunnel-Start/Stop/Reject/Link-* (RFC 2867) and Failed: acknowledged, not spooled;
  // nothing downstream uses them, and an unanswered NAS retransmits forever.
  if (status === undefined) return respond('other');
  const record = toRecord(ctx, request, packet, status);
  // RFC 2866 §5.5: Acct-Session-Id MUST be present (On/Off concern the whole NAS).
  if (record.sessionId === undefined && status !== 'on' && status !== 'off') {
    ctx.log.debug('accounting request without Acct-Session-Id dropped', { nas: nas.name, status });
    return { drop: 'invalid_accounting' };
  }
  try {
    await ctx.spool.append([record]);
  } catch (error) {
    ctx.log.warn('accounting record not stored; not acknowledged', { nas: nas.name, status, error });
    return { drop: 'spool_unavailable' };
  }
  return respond(status);
}
