// Strict RADIUS wire codec (RFC 2865 §3 packet, §5 attributes, §5.26 VSAs).
// Decoding copies nothing: attributes are recorded as offsets into the datagram.
// Encoding writes into one preallocated buffer and copies the finished packet out.
import { randomInt } from 'node:crypto';
import { writeValue, RadiusEncodeError, MAX_TAG } from './attribute-value.ts';
import type { AttributeValueInput } from './attribute-value.ts';
import { RadiusDecodeError } from './decode-error.ts';
import { RuleKind } from './dictionary.ts';
import type { AttributeDef, Dictionary, VendorDef } from './dictionary.ts';
import { hideUserPasswordInPlace, saltEncryptInPlace, MAX_USER_PASSWORD_LENGTH } from './password.ts';
import {
  Attr,
  AUTHENTICATOR_LENGTH,
  HEADER_LENGTH,
  KNOWN_CODES,
  MAX_PACKET_LENGTH,
  MESSAGE_AUTHENTICATOR_LENGTH,
} from './protocol.ts';

/** Words per attribute entry in RadiusPacket.attributes. */
export const ENTRY_WORDS = 4;

export interface RadiusPacket {
  /** The datagram up to its Length field (RFC 2865 §3: octets past Length are padding). */
  readonly data: Buffer;
  readonly code: number;
  readonly identifier: number;
  /** View of data[4..20). */
  readonly authenticator: Buffer;
  /** Attributes in wire order; each VSA sub-attribute is its own entry. */
  readonly attributeCount: number;
  /** ENTRY_WORDS per attribute: vendorId (0 = standard), type, value offset, value length. */
  readonly attributes: Uint32Array;
  /** Offset of the Message-Authenticator value in `data`, or -1. */
  readonly messageAuthenticatorOffset: number;
}

// The largest possible count: (4096 - 20) / 3 attributes of one value octet each.
const decodeScratch = new Uint32Array(ENTRY_WORDS * 1400);
// Decoded entries are copied into views of one slab, as Buffer's pool does for
// small Buffers: a packet's table is then no ArrayBuffer of its own to allocate and
// sweep. A full slab is left to the packets still using it.
const SLAB_WORDS = 65_536;
let slab = new Uint32Array(SLAB_WORDS);
let slabUsed = 0;

function entriesCopy(words: number): Uint32Array {
  if (slabUsed + words > SLAB_WORDS) {
    slab = new Uint32Array(Math.max(SLAB_WORDS, words));
    slabUsed = 0;
  }
  const copy = slab.subarray(slabUsed, slabUsed + words);
  copy.set(decodeScratch.subarray(0, words));
  slabUsed += words;
  return copy;
}

/**
 * The header alone (RFC 2865 §3): Length within the datagram and 20-4096, a known
 * Code. Returns the Length; throws RadiusDecodeError. Enough to find the request type
 * and the NAS before any attribute is decoded.
 */
export function checkHeader(datagram: Buffer): number {
  if (datagram.length < HEADER_LENGTH) throw new RadiusDecodeError('short_packet', 0);
  const length = ((datagram[2] ?? 0) << 8) | (datagram[3] ?? 0);
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH || length > datagram.length) {
    throw new RadiusDecodeError('length_mismatch', 2);
  }
  if (!KNOWN_CODES.has(datagram[0] ?? 0)) throw new RadiusDecodeError('unknown_code', 0);
  return length;
}

/**
 * Decode a datagram. Throws only RadiusDecodeError. Length rules come from the
 * dictionary's precomputed tables: every attribute must be 3-255 octets, lie
 * inside the packet and fit its data type; Vendor-Specific attributes of known
 * vendors must be framed in the vendor's format. A known vendor's VSA whose value
 * does not fit its type is kept whole as raw octets (attribute 26), as FreeRADIUS
 * keeps such a VSA as a raw attribute: one odd vendor attribute does not cost the request.
 */
export function decodePacket(datagram: Buffer, dictionary: Dictionary): RadiusPacket {
  const length = checkHeader(datagram);
  const code = datagram[0] ?? 0;
  const standard = dictionary.rules.standard;
  const entries = decodeScratch;
  let count = 0;
  let messageAuthenticatorOffset = -1;
  let offset = HEADER_LENGTH;
  while (offset < length) {
    if (offset + 2 > length) throw new RadiusDecodeError('truncated_attribute', offset);
    const type = datagram[offset] ?? 0;
    const attributeLength = datagram[offset + 1] ?? 0;
    // RFC 2865 §5: Length counts Type and Length; RFC 8044 §2: no empty values.
    if (attributeLength < 3) throw new RadiusDecodeError('bad_attribute_length', offset);
    const end = offset + attributeLength;
    if (end > length) throw new RadiusDecodeError('truncated_attribute', offset);
    const valueOffset = offset + 2;
    const valueLength = attributeLength - 2;
    if (type === Attr.vendorSpecific) {
      count = decodeVendorSpecific(datagram, valueOffset, valueLength, dictionary, entries, count);
    } else {
      if (violatesRule(standard[type] ?? 0, datagram, valueOffset, valueLength)) {
        throw new RadiusDecodeError('bad_value_length', offset);
      }
      if (type === Attr.messageAuthenticator) {
        if (messageAuthenticatorOffset !== -1) throw new RadiusDecodeError('duplicate_message_authenticator', offset);
        messageAuthenticatorOffset = valueOffset;
      }
      const at = count * ENTRY_WORDS;
      entries[at] = 0;
      entries[at + 1] = type;
      entries[at + 2] = valueOffset;
      entries[at + 3] = valueLength;
      count++;
    }
    offset = end;
  }
  const data = length === datagram.length ? datagram : datagram.subarray(0, length);
  return {
    data,
    code,
    identifier: datagram[1] ?? 0,
    authenticator: data.subarray(4, HEADER_LENGTH),
    attributeCount: count,
    attributes: entriesCopy(count * ENTRY_WORDS),
    messageAuthenticatorOffset,
  };
}

/**
 * RFC 2865 §5.26: Vendor-Id(4, high octet 0) then vendor data. Known vendors must
 * parse in their declared format (FreeRADIUS `format=t,l`); an unknown vendor's
 * data is split as the RFC's suggested 1,1 format when it parses cleanly and kept
 * whole (as attribute 26) otherwise, since RFC 2865 only recommends that format.
 */
function decodeVendorSpecific(
  data: Buffer,
  valueOffset: number,
  valueLength: number,
  dictionary: Dictionary,
  entries: Uint32Array,
  count: number,
): number {
  if (valueLength < 5 || data[valueOffset] !== 0) throw new RadiusDecodeError('bad_vsa', valueOffset - 2);
  const vendorId = data.readUInt32BE(valueOffset);
  const vendorRules = dictionary.rules.vendors.get(vendorId);
  const start = valueOffset + 4;
  const end = valueOffset + valueLength;
  if (vendorRules) {
    const { vendor, narrow, wide } = vendorRules;
    const first = count;
    let raw = false;
    let offset = start;
    while (offset < end) {
      const header = vendor.typeWidth + vendor.lengthWidth;
      if (offset + header >= end) throw new RadiusDecodeError('bad_vsa', offset);
      const type = readWidth(data, offset, vendor.typeWidth);
      const subLength =
        vendor.lengthWidth === 0 ? end - offset : readWidth(data, offset + vendor.typeWidth, vendor.lengthWidth);
      if (subLength <= header || offset + subLength > end) throw new RadiusDecodeError('bad_vsa', offset);
      const rule = type < 256 ? (narrow[type] ?? 0) : (wide.get(type) ?? 0);
      // The framing must still hold to the end; only the values are forgiven.
      raw ||= violatesRule(rule, data, offset + header, subLength - header);
      count = pushEntry(entries, count, vendorId, type, offset + header, subLength - header);
      offset += subLength;
    }
    return raw ? pushEntry(entries, first, 0, Attr.vendorSpecific, valueOffset, valueLength) : count;
  }
  if (splitsAsStandardFormat(data, start, end)) {
    for (let offset = start; offset < end; offset += data[offset + 1] ?? 0) {
      count = pushEntry(entries, count, vendorId, data[offset] ?? 0, offset + 2, (data[offset + 1] ?? 0) - 2);
    }
    return count;
  }
  return pushEntry(entries, count, 0, Attr.vendorSpecific, valueOffset, valueLength);
}

function splitsAsStandardFormat(data: Buffer, start: number, end: number): boolean {
  let offset = start;
  while (offset < end) {
    const subLength = data[offset + 1] ?? 0;
    if (offset + 2 > end || subLength < 3 || offset + subLength > end) return false;
    offset += subLength;
  }
  return true;
}

function pushEntry(
  entries: Uint32Array,
  count: number,
  vendorId: number,
  type: number,
  offset: number,
  length: number,
): number {
  const at = count * ENTRY_WORDS;
  entries[at] = vendorId;
  entries[at + 1] = type;
  entries[at + 2] = offset;
  entries[at + 3] = length;
  return count + 1;
}

function readWidth(data: Buffer, offset: number, width: number): number {
  if (width === 1) return data[offset] ?? 0;
  if (width === 2) return data.readUInt16BE(offset);
  return data.readUInt32BE(offset);
}

/** True when a value breaks its packed rule (see dictionary.ts packRule). */
function violatesRule(rule: number, data: Buffer, offset: number, length: number): boolean {
  if (rule === 0) return false;
  const min = rule & 0xff;
  const max = (rule >>> 8) & 0xff;
  if (length < min || length > max) return true;
  switch (rule >>> 16) {
    case RuleKind.block16:
      return (length & 15) !== 0;
    case RuleKind.salted:
      return ((length - 2) & 15) !== 0;
    case RuleKind.taggedSalted:
      return ((length - 3) & 15) !== 0;
    case RuleKind.ipv6Prefix: {
      const bits = data[offset + 1] ?? 0;
      return bits > 128 || length - 2 < (bits + 7) >> 3;
    }
    default:
      return false;
  }
}

/** One attribute to encode: by name (resolved through the dictionary) or by definition. */
export interface AttributeInput {
  readonly attribute: string | AttributeDef;
  readonly value: AttributeValueInput;
  /** RFC 2868 §3.1 tag, 0-31; only for has_tag attributes. */
  readonly tag?: number;
}

export interface EncodeOptions {
  readonly code: number;
  readonly identifier: number;
  /**
   * Written into the header: the request's for replies, random for Access-Request, zeros for accounting/CoA requests.
   */
  readonly authenticator: Buffer;
  readonly attributes: readonly AttributeInput[];
  /** Reserve a zeroed Message-Authenticator as the first attribute (BlastRADIUS, CVE-2024-3596). */
  readonly messageAuthenticator: boolean;
  readonly secret: Buffer;
  /** The Request Authenticator that keys encrypt=1/encrypt=2 attributes (RFC 2865 §5.2, RFC 2868 §3.5). */
  readonly cryptAuthenticator: Buffer;
}

export interface EncodedPacket {
  readonly data: Buffer;
  /** Offset of the (still zero) Message-Authenticator value, or -1. */
  readonly messageAuthenticatorOffset: number;
}

const encodeScratch = Buffer.alloc(MAX_PACKET_LENGTH);

/**
 * Lay out a packet: header, optional zeroed Message-Authenticator first, then the
 * attributes in order; each vendor attribute gets its own Vendor-Specific wrapper.
 * Signing is the caller's (reply.ts, request.ts). Throws RadiusEncodeError.
 */
export function encodePacket(options: EncodeOptions, dictionary: Dictionary): EncodedPacket {
  const out = encodeScratch;
  if (!KNOWN_CODES.has(options.code)) throw new RadiusEncodeError(`unknown packet code ${options.code}`);
  if (!Number.isInteger(options.identifier) || options.identifier < 0 || options.identifier > 255) {
    throw new RadiusEncodeError(`identifier ${options.identifier} is not one octet`);
  }
  if (options.authenticator.length !== AUTHENTICATOR_LENGTH)
    throw new RadiusEncodeError('authenticator must be 16 octets');
  out[0] = options.code;
  out[1] = options.identifier;
  options.authenticator.copy(out, 4);
  let offset = HEADER_LENGTH;
  let messageAuthenticatorOffset = -1;
  if (options.messageAuthenticator) {
    out[offset] = Attr.messageAuthenticator;
    out[offset + 1] = 2 + MESSAGE_AUTHENTICATOR_LENGTH;
    out.fill(0, offset + 2, offset + 2 + MESSAGE_AUTHENTICATOR_LENGTH);
    messageAuthenticatorOffset = offset + 2;
    offset += 2 + MESSAGE_AUTHENTICATOR_LENGTH;
  }
  const salts = { next: -1 };
  const attributes = options.attributes;
  for (let index = 0; index < attributes.length; index++) {
    const input = attributes[index]!;
    const def = typeof input.attribute === 'string' ? dictionary.requireAttribute(input.attribute) : input.attribute;
    if (def.vendorId === 0 && def.type === Attr.messageAuthenticator) {
      throw new RadiusEncodeError('Message-Authenticator is added by the encoder, never given');
    }
    offset = encodeAttribute(out, offset, def, input, options, dictionary, salts);
  }
  out.writeUInt16BE(offset, 2);
  const data = Buffer.allocUnsafe(offset);
  out.copy(data, 0, 0, offset);
  return { data, messageAuthenticatorOffset };
}

function encodeAttribute(
  out: Buffer,
  offset: number,
  def: AttributeDef,
  input: AttributeInput,
  options: EncodeOptions,
  dictionary: Dictionary,
  salts: { next: number },
): number {
  let vendor: VendorDef | undefined;
  let valueStart = offset + 2;
  let rule = dictionary.rules.standard[def.type] ?? 0;
  if (def.vendorId !== 0) {
    const vendorRules = dictionary.rules.vendors.get(def.vendorId);
    if (!vendorRules) throw new RadiusEncodeError(`${def.name}: vendor ${def.vendorId} not in the dictionary`);
    vendor = vendorRules.vendor;
    rule = def.type < 256 ? (vendorRules.narrow[def.type] ?? 0) : (vendorRules.wide.get(def.type) ?? 0);
    valueStart = offset + 6 + vendor.typeWidth + vendor.lengthWidth;
  }
  // RFC 2865 §5: an attribute is at most 255 octets; the packet at most 4096.
  const room = Math.min(offset + 255, MAX_PACKET_LENGTH) - valueStart;
  if (room <= 0) throw new RadiusEncodeError('packet exceeds 4096 octets');
  const valueLength = encodeValue(out, valueStart, room, def, input, options, salts);
  // Never send what our own decoder would refuse (fixed sizes, RFC-mandated lengths).
  if (violatesRule(rule, out, valueStart, valueLength)) {
    throw new RadiusEncodeError(`${def.name}: a ${valueLength}-octet value breaks its length rule`);
  }
  const attributeEnd = valueStart + valueLength;
  if (vendor) {
    out[offset] = Attr.vendorSpecific;
    out[offset + 1] = attributeEnd - offset;
    out.writeUInt32BE(def.vendorId, offset + 2);
    writeWidth(out, offset + 6, vendor.typeWidth, def.type);
    if (vendor.lengthWidth > 0) {
      writeWidth(out, offset + 6 + vendor.typeWidth, vendor.lengthWidth, attributeEnd - offset - 6);
    }
  } else {
    out[offset] = def.type;
    out[offset + 1] = attributeEnd - offset;
  }
  return attributeEnd;
}

function encodeValue(
  out: Buffer,
  start: number,
  room: number,
  def: AttributeDef,
  input: AttributeInput,
  options: EncodeOptions,
  salts: { next: number },
): number {
  const tag = input.tag;
  if (tag !== undefined && (!def.hasTag || !Number.isInteger(tag) || tag < 0 || tag > MAX_TAG)) {
    throw new RadiusEncodeError(`${def.name}: tag ${tag} not allowed`);
  }
  if (def.encrypt === 1) {
    const length = writeValue(def, input.value, out, start, Math.min(room, MAX_USER_PASSWORD_LENGTH));
    if (Math.ceil(length / 16) * 16 > room) throw new RadiusEncodeError(`${def.name}: too long`);
    return hideUserPasswordInPlace(out, start, length, options.secret, options.cryptAuthenticator);
  }
  if (def.encrypt === 2) {
    // RFC 2868 §3.5: Tag(1, if tagged) Salt(2) then the encrypted String.
    const tagOctets = def.hasTag ? 1 : 0;
    if (tagOctets) out[start] = tag ?? 0;
    const saltAt = start + tagOctets;
    const dataLength = writeValue(def, input.value, out, saltAt + 3, room - tagOctets - 3);
    const cipherLength = Math.ceil((dataLength + 1) / 16) * 16;
    if (tagOctets + 2 + cipherLength > room) throw new RadiusEncodeError(`${def.name}: too long`);
    // RFC 2868 §3.5: every Salt in one packet must be unique.
    if (salts.next < 0) salts.next = randomInt(0x8000);
    const salt = salts.next++;
    return tagOctets + saltEncryptInPlace(out, saltAt, dataLength, options.secret, options.cryptAuthenticator, salt);
  }
  if (def.hasTag && (def.dataType === 'integer' || tag !== undefined)) {
    if (def.dataType === 'integer') {
      // RFC 2868 §3.1: Tag(1) + 24-bit value in the integer's four octets.
      writeValue(def, input.value, out, start, room);
      if (out[start] !== 0) throw new RadiusEncodeError(`${def.name}: tagged integer above 2^24-1`);
      out[start] = tag ?? 0;
      return 4;
    }
    out[start] = tag ?? 0;
    return 1 + writeValue(def, input.value, out, start + 1, room - 1);
  }
  return writeValue(def, input.value, out, start, room);
}

function writeWidth(out: Buffer, offset: number, width: number, value: number): void {
  if (width === 1) out[offset] = value;
  else if (width === 2) out.writeUInt16BE(value, offset);
  else out.writeUInt32BE(value, offset);
}
