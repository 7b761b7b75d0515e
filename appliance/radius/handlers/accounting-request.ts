// Accounting-Request (RFC 2866 §4.1, RFC 2869 §2.1): Start, Interim-Update, Stop,
// Accounting-On/Off. The record goes to the spool, and the Accounting-Response is
// sent only once the spool reports it durable (RFC 2866 §2: "A server MUST NOT
// respond if it cannot successfully record the accounting packet").
import { limitedLog } from '../../log-limiter.ts';
import type { LimitedLog } from '../../log-limiter.ts';
import type { AccountingRecord, AccountingStatus } from '../../spool/index.ts';
import { readValue } from '../attribute-value.ts';
import type { AttributeValue } from '../attribute-value.ts';
import { entryType, entryValue, entryVendorId } from '../attributes.ts';
import type { RadiusPacket } from '../codec.ts';
import type { AttributeDef, Dictionary } from '../dictionary.ts';
import { PacketCode } from '../protocol.ts';
import { buildReply } from '../reply.ts';
import type { AccountingStatusLabel } from '../server/counters.ts';
import type { HandlerContext, HandlerOutcome, IncomingRequest } from './context.ts';
import { accountingSubscriber } from './service-line.ts';

/** RFC 2866 §5.1 Acct-Status-Type values, RFC 2869 §5.1 Interim-Update. */
const STATUS_BY_VALUE: ReadonlyMap<number, AccountingStatus> = new Map([
  [1, 'start'],
  [2, 'stop'],
  [3, 'interim'],
  [7, 'on'],
  [8, 'off'],
]);

// What the handler reads, and from which attribute (all standard: vendor 0). The values
// come from one pass over the packet (readFields) rather than a search per attribute.
const FIELD_ATTRIBUTES = {
  status: 'Acct-Status-Type',
  delay: 'Acct-Delay-Time',
  eventTimestamp: 'Event-Timestamp',
  sessionId: 'Acct-Session-Id',
  userName: 'User-Name',
  sessionTime: 'Acct-Session-Time',
  inputOctets: 'Acct-Input-Octets',
  // RFC 2869 §5.1–5.2: how many times the 32-bit octet counters wrapped.
  inputGigawords: 'Acct-Input-Gigawords',
  outputOctets: 'Acct-Output-Octets',
  outputGigawords: 'Acct-Output-Gigawords',
  inputPackets: 'Acct-Input-Packets',
  outputPackets: 'Acct-Output-Packets',
  terminateCause: 'Acct-Terminate-Cause',
  framedIp: 'Framed-IP-Address',
  callingStationId: 'Calling-Station-Id',
  nasPortId: 'NAS-Port-Id',
  nasIpAddress: 'NAS-IP-Address',
  nasIpv6Address: 'NAS-IPv6-Address',
  // Kept for retention and billing (issue 12 item 6).
  framedIpv6Prefix: 'Framed-IPv6-Prefix',
  delegatedIpv6Prefix: 'Delegated-IPv6-Prefix',
  nasPort: 'NAS-Port',
  nasPortType: 'NAS-Port-Type',
  calledStationId: 'Called-Station-Id',
  nasIdentifier: 'NAS-Identifier',
  class: 'Class',
  multiSessionId: 'Acct-Multi-Session-Id',
} as const;

type Field = keyof typeof FIELD_ATTRIBUTES;
const FIELDS = Object.keys(FIELD_ATTRIBUTES) as Field[];
/** Position of each field's value in what readFields returns. */
const SLOT = Object.fromEntries(FIELDS.map((field, slot) => [field, slot])) as Record<Field, number>;

type FieldTable = {
  /** Standard attribute type → slot, or -1 for attributes the handler does not read. */
  slotByType: Int8Array;
  defs: AttributeDef[];
  terminateCause: AttributeDef;
  nasPortType: AttributeDef;
};

const tables = new WeakMap<Dictionary, FieldTable>();

function fieldTable(dictionary: Dictionary): FieldTable {
  let table = tables.get(dictionary);
  if (table === undefined) {
    const defs = FIELDS.map((field) => dictionary.requireAttribute(FIELD_ATTRIBUTES[field]));
    const slotByType = new Int8Array(256).fill(-1);
    defs.forEach((def, slot) => {
      if (def.vendorId !== 0) throw new Error(`${def.name} is expected to be a standard attribute`);
      slotByType[def.type] = slot;
    });
    table = {
      slotByType,
      defs,
      terminateCause: defs[SLOT.terminateCause] as AttributeDef,
      nasPortType: defs[SLOT.nasPortType] as AttributeDef,
    };
    tables.set(dictionary, table);
  }
  return table;
}

type Fields = Array<AttributeValue | undefined>;

/** The first value of each attribute the handler reads, by slot, typed per the dictionary. */
function readFields(packet: RadiusPacket, table: FieldTable): Fields {
  const values: Fields = new Array<AttributeValue | undefined>(FIELDS.length).fill(undefined);
  for (let index = 0; index < packet.attributeCount; index++) {
    if (entryVendorId(packet, index) !== 0) continue;
    const slot = table.slotByType[entryType(packet, index)] ?? -1;
    if (slot < 0 || values[slot] !== undefined) continue;
    const def = table.defs[slot];
    if (def !== undefined) values[slot] = readValue(def, entryValue(packet, index));
  }
  return values;
}

const text = (value: AttributeValue | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? value : value.toString();
const integer = (value: AttributeValue | undefined): number | undefined =>
  typeof value === 'number' ? value : undefined;
// Octets as FreeRADIUS prints them (detail files, radacct): 0x and lowercase hex.
const octets = (value: AttributeValue | undefined): string | undefined =>
  Buffer.isBuffer(value) ? `0x${value.toString('hex')}` : undefined;

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
function coaAddress(ctx: HandlerContext, request: IncomingRequest, fields: Fields): string {
  for (const value of [fields[SLOT.nasIpAddress], fields[SLOT.nasIpv6Address]]) {
    if (typeof value === 'string' && ctx.replica.findClientByAddress(value)?.id === request.nas.id) return value;
  }
  return request.address;
}

/**
 * The NAS within its client (a client may be a whole fleet under one prefix), as
 * FreeRADIUS's acctuniqueid names it: NAS-IP-Address or NAS-IPv6-Address as sent, else
 * the datagram's source. Unlike coaAddress it need not lie inside the prefix: it only
 * names the NAS (a NAS behind NAT keeps its private address), it is never sent to.
 */
function nasIp(request: IncomingRequest, fields: Fields): string {
  for (const value of [fields[SLOT.nasIpAddress], fields[SLOT.nasIpv6Address]]) {
    if (typeof value === 'string') return value;
  }
  return request.address;
}

/**
 * The request as a spool record. Every field is set, undefined where the packet lacks
 * it: one object shape for every record, so reading it (toSpoolEntry, on the way to the
 * spool's port) stays a fixed-offset load; adding only the present fields gave each
 * combination a shape of its own and left V8 looking them up by name.
 */
function toRecord(
  ctx: HandlerContext,
  request: IncomingRequest,
  fields: Fields,
  table: FieldTable,
  status: AccountingStatus,
): AccountingRecord {
  const userName = text(fields[SLOT.userName]);
  // Usernames as the replica knows them, so Simultaneous-Use counts what it limits.
  const subscriber = accountingSubscriber(ctx.replica, request.packet, userName);
  const profile = subscriber?.profile == null ? undefined : ctx.replica.getProfile(subscriber.profile);
  const framedIp = fields[SLOT.framedIp];
  return {
    nasId: request.nas.id,
    nasIp: nasIp(request, fields),
    nasAddress: coaAddress(ctx, request, fields),
    receivedAt: request.receivedAt,
    status,
    delaySeconds: integer(fields[SLOT.delay]),
    eventTimestamp: integer(fields[SLOT.eventTimestamp]),
    sessionId: text(fields[SLOT.sessionId]),
    username: subscriber?.username ?? userName,
    subscriberId: subscriber?.id,
    sessionTime: integer(fields[SLOT.sessionTime]),
    inputOctets: integer(fields[SLOT.inputOctets]),
    inputGigawords: integer(fields[SLOT.inputGigawords]),
    outputOctets: integer(fields[SLOT.outputOctets]),
    outputGigawords: integer(fields[SLOT.outputGigawords]),
    inputPackets: integer(fields[SLOT.inputPackets]),
    outputPackets: integer(fields[SLOT.outputPackets]),
    terminateCause: valueName(table.terminateCause, integer(fields[SLOT.terminateCause])),
    framedIp: typeof framedIp === 'string' ? framedIp : undefined,
    callingStationId: text(fields[SLOT.callingStationId]),
    nasPortId: text(fields[SLOT.nasPortId]),
    framedIpv6Prefix: text(fields[SLOT.framedIpv6Prefix]),
    delegatedIpv6Prefix: text(fields[SLOT.delegatedIpv6Prefix]),
    nasPort: integer(fields[SLOT.nasPort]),
    nasPortType: valueName(table.nasPortType, integer(fields[SLOT.nasPortType])),
    calledStationId: text(fields[SLOT.calledStationId]),
    nasIdentifier: text(fields[SLOT.nasIdentifier]),
    class: octets(fields[SLOT.class]),
    multiSessionId: text(fields[SLOT.multiSessionId]),
    interimInterval: profile?.interimInterval ?? undefined,
  };
}

// A spool outage fails every accounting request: one line per 10 s, with the count.
const spoolFailureLogs = new WeakMap<HandlerContext, LimitedLog>();
function spoolFailureLog(ctx: HandlerContext): LimitedLog {
  let log = spoolFailureLogs.get(ctx);
  if (log === undefined) {
    log = limitedLog(ctx.log, 'warn', 10_000);
    spoolFailureLogs.set(ctx, log);
  }
  return log;
}

export async function handleAccountingRequest(ctx: HandlerContext, request: IncomingRequest): Promise<HandlerOutcome> {
  const { packet, nas } = request;
  const table = fieldTable(ctx.dictionary);
  const fields = readFields(packet, table);
  const statusValue = integer(fields[SLOT.status]);
  const status = statusValue === undefined ? undefined : STATUS_BY_VALUE.get(statusValue);
  const respond = (label: AccountingStatusLabel): HandlerOutcome => {
    ctx.counters.accounting(label);
    return { reply: buildReply(packet, PacketCode.accountingResponse, [], nas.secret, ctx.dictionary) };
  };
  if (statusValue === undefined) return { drop: 'invalid_accounting' };
  // Tunnel-Start/Stop/Reject/Link-* (RFC 2867) and Failed: acknowledged, not spooled;
  // nothing downstream uses them, and an unanswered NAS retransmits forever.
  if (status === undefined) return respond('other');
  const record = toRecord(ctx, request, fields, table, status);
  // RFC 2866 §5.5: Acct-Session-Id MUST be present (On/Off concern the whole NAS).
  if (record.sessionId === undefined && status !== 'on' && status !== 'off') {
    ctx.log.debug('accounting request without Acct-Session-Id dropped', { nas: nas.name, status });
    return { drop: 'invalid_accounting' };
  }
  try {
    await ctx.spool.append([record]);
  } catch (error) {
    spoolFailureLog(ctx)('accounting record not stored; not acknowledged', { nas: nas.name, status, error });
    return { drop: 'spool_unavailable' };
  }
  return respond(status);
}
