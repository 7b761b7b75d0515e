// Typed attribute values (RFC 8044 §3 data types) to and from wire octets.
// Readers trust lengths the decoder already enforced; writers validate their input
// and throw RadiusEncodeError, because a bad reply value is a configuration bug.
import type { AttributeDef } from './dictionary.ts';

/** What a typed read returns; dates are seconds since the epoch (RFC 8044 §3.5). */
export type AttributeValue = string | number | bigint | Buffer;
/** What an encoder accepts; a Date is accepted for `date` attributes. */
export type AttributeValueInput = AttributeValue | Date;

export class RadiusEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RadiusEncodeError';
  }
}

/** RFC 2868 §3.1: tags are 0x01-0x1F; a first octet above that is data, not a tag. */
export const MAX_TAG = 0x1f;

/** Tag octet of a tagged attribute, or undefined when the value carries none. */
export function readTag(def: AttributeDef, value: Buffer): number | undefined {
  if (!def.hasTag || value.length === 0) return undefined;
  const first = value[0] ?? 0;
  // RFC 2868 §3.1: integer and salted values always carry the tag octet.
  if (def.dataType === 'integer' || def.encrypt === 2) return first;
  return first <= MAX_TAG ? first : undefined;
}

/**
 * Decode a value as its dictionary type. Encrypted attributes come back as their
 * raw octets (password.ts reveals them with the shared secret).
 */
export function readValue(def: AttributeDef, value: Buffer): AttributeValue {
  if (def.encrypt !== 0) return value;
  const tagged = def.hasTag && readTag(def, value) !== undefined;
  switch (def.dataType) {
    case 'string':
      return (tagged ? value.subarray(1) : value).toString('utf8');
    case 'integer':
      // RFC 2868 §3.1: a tagged integer keeps its value in the low three octets.
      return tagged ? value.readUIntBE(1, 3) : value.readUInt32BE(0);
    case 'date':
      return value.readUInt32BE(0);
    case 'signed':
      return value.readInt32BE(0);
    case 'byte':
      return value[0] ?? 0;
    case 'short':
      return value.readUInt16BE(0);
    case 'integer64':
      return value.readBigUInt64BE(0);
    case 'ipaddr':
      return formatIpv4(value, 0);
    case 'ipv6addr':
      return formatIpv6(value, 0, 16);
    case 'ipv6prefix':
      return formatIpv6Prefix(value);
    case 'ipv4prefix':
      return `${formatIpv4(value, 2)}/${(value[1] ?? 0) & 0x3f}`;
    case 'ifid':
      return formatIfid(value);
    case 'ether':
      return formatEther(value);
    case 'octets':
    case 'vsa':
      return value;
  }
}

/**
 * Write `input` as `def`'s type at `offset`; returns the octet count. `limit` is
 * the room left in the attribute. Tags, encryption and the dictionary's length
 * rules (`octets[N]`, RFC-fixed sizes) are the encoder's job.
 */
export function writeValue(
  def: AttributeDef,
  input: AttributeValueInput,
  out: Buffer,
  offset: number,
  limit: number,
): number {
  const size = writeTyped(def, input, out, offset, limit);
  if (size === 0) throw new RadiusEncodeError(`${def.name}: empty value (RFC 8044 §3.4 forbids zero-length)`);
  return size;
}

function writeTyped(def: AttributeDef, input: AttributeValueInput, out: Buffer, offset: number, limit: number): number {
  switch (def.dataType) {
    case 'string':
    case 'octets':
    case 'vsa':
      return writeBytes(def, input, out, offset, limit);
    case 'integer':
      return writeUnsigned(out, offset, toInteger(def, input, 0xffffffff), 4, limit, def);
    case 'date':
      return writeUnsigned(out, offset, toSeconds(def, input), 4, limit, def);
    case 'signed': {
      const value = toNumber(def, input);
      if (value < -0x80000000 || value > 0x7fffffff) throw new RadiusEncodeError(`${def.name}: out of range`);
      ensureRoom(def, 4, limit);
      out.writeInt32BE(value, offset);
      return 4;
    }
    case 'byte':
      return writeUnsigned(out, offset, toInteger(def, input, 0xff), 1, limit, def);
    case 'short':
      return writeUnsigned(out, offset, toInteger(def, input, 0xffff), 2, limit, def);
    case 'integer64': {
      const value = typeof input === 'bigint' ? input : BigInt(toNumber(def, input));
      if (value < 0n || value > 0xffffffffffffffffn) throw new RadiusEncodeError(`${def.name}: out of range`);
      ensureRoom(def, 8, limit);
      out.writeBigUInt64BE(value, offset);
      return 8;
    }
    case 'ipaddr':
      ensureRoom(def, 4, limit);
      if (input instanceof Buffer && input.length === 4) return input.copy(out, offset);
      if (!parseIpv4(toText(def, input), out, offset)) throw new RadiusEncodeError(`${def.name}: not an IPv4 address`);
      return 4;
    case 'ipv6addr':
      ensureRoom(def, 16, limit);
      if (!parseIpv6(toText(def, input), out, offset)) throw new RadiusEncodeError(`${def.name}: not an IPv6 address`);
      return 16;
    case 'ipv6prefix':
      return writeIpv6Prefix(def, toText(def, input), out, offset, limit);
    case 'ipv4prefix':
      return writeIpv4Prefix(def, toText(def, input), out, offset, limit);
    case 'ifid':
      ensureRoom(def, 8, limit);
      if (!parseIfid(toText(def, input), out, offset)) throw new RadiusEncodeError(`${def.name}: not an interface id`);
      return 8;
    case 'ether':
      ensureRoom(def, 6, limit);
      if (!parseEther(toText(def, input), out, offset)) throw new RadiusEncodeError(`${def.name}: not a MAC address`);
      return 6;
  }
}

function writeBytes(def: AttributeDef, input: AttributeValueInput, out: Buffer, offset: number, limit: number): number {
  if (input instanceof Buffer) {
    ensureRoom(def, input.length, limit);
    return input.copy(out, offset);
  }
  if (typeof input !== 'string') throw new RadiusEncodeError(`${def.name}: expects a string or Buffer`);
  // FreeRADIUS convention: octets given as text may be written 0x-prefixed hex.
  if (def.dataType === 'octets' && /^0x(?:[0-9a-f]{2})*$/i.test(input)) {
    const size = (input.length - 2) / 2;
    ensureRoom(def, size, limit);
    return out.write(input.slice(2), offset, size, 'hex');
  }
  const size = Buffer.byteLength(input, 'utf8');
  ensureRoom(def, size, limit);
  return out.write(input, offset, size, 'utf8');
}

function ensureRoom(def: AttributeDef, size: number, limit: number): void {
  if (size > limit) throw new RadiusEncodeError(`${def.name}: value of ${size} octets exceeds ${limit}`);
}

function writeUnsigned(
  out: Buffer,
  offset: number,
  value: number,
  size: number,
  limit: number,
  def: AttributeDef,
): number {
  ensureRoom(def, size, limit);
  out.writeUIntBE(value, offset, size);
  return size;
}

function toNumber(def: AttributeDef, input: AttributeValueInput): number {
  if (typeof input === 'number' && Number.isInteger(input)) return input;
  if (typeof input === 'bigint') return Number(input);
  if (typeof input === 'string' && /^-?\d+$/.test(input)) return Number(input);
  throw new RadiusEncodeError(`${def.name}: expects an integer`);
}

function toInteger(def: AttributeDef, input: AttributeValueInput, max: number): number {
  const named = typeof input === 'string' ? def.values.get(input) : undefined;
  const value = named ?? toNumber(def, input);
  if (value < 0 || value > max) throw new RadiusEncodeError(`${def.name}: ${value} out of range`);
  return value;
}

function toSeconds(def: AttributeDef, input: AttributeValueInput): number {
  const seconds = input instanceof Date ? Math.floor(input.getTime() / 1000) : toNumber(def, input);
  if (!(seconds >= 0 && seconds <= 0xffffffff)) throw new RadiusEncodeError(`${def.name}: date out of range`);
  return seconds;
}

function toText(def: AttributeDef, input: AttributeValueInput): string {
  if (typeof input !== 'string') throw new RadiusEncodeError(`${def.name}: expects text`);
  return input;
}

function formatIpv4(value: Buffer, offset: number): string {
  return `${value[offset]}.${value[offset + 1]}.${value[offset + 2]}.${value[offset + 3]}`;
}

/** Strict dotted quad: four decimal octets, no leading zeros (they read as octal elsewhere). */
function parseIpv4(text: string, out: Buffer, offset: number): boolean {
  let octet = 0;
  let digits = 0;
  let index = 0;
  for (let at = 0; at <= text.length; at++) {
    const char = at < text.length ? text.charCodeAt(at) : 0x2e;
    if (char === 0x2e) {
      if (digits === 0 || index > 3) return false;
      out[offset + index++] = octet;
      octet = 0;
      digits = 0;
    } else if (char >= 0x30 && char <= 0x39) {
      if (digits > 0 && octet === 0) return false;
      octet = octet * 10 + (char - 0x30);
      if (++digits > 3 || octet > 255) return false;
    } else {
      return false;
    }
  }
  return index === 4;
}

/** IPv6 text → 16 octets, or undefined. The one IPv6 text parser (replica/ip-prefix.ts uses it too). */
export function parseIpv6Address(text: string): Buffer | undefined {
  const out = Buffer.alloc(16);
  return parseIpv6(text, out, 0) ? out : undefined;
}

/** 16 octets → RFC 5952 text. The one IPv6 formatter (replica/ip-prefix.ts uses it too). */
export function formatIpv6Address(octets: Buffer): string {
  return formatIpv6(octets, 0, 16);
}

/** RFC 5952 §4: lower case, longest run of ≥ 2 zero groups compressed. */
function formatIpv6(value: Buffer, offset: number, size: number): string {
  const groups: number[] = [];
  for (let index = 0; index < 8; index++) {
    const at = offset + index * 2;
    groups.push(index * 2 < size ? ((value[at] ?? 0) << 8) | (at + 1 < offset + size ? (value[at + 1] ?? 0) : 0) : 0);
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let index = 0; index < 8;) {
    if (groups[index] !== 0) {
      index++;
      continue;
    }
    let end = index;
    while (end < 8 && groups[end] === 0) end++;
    if (end - index > bestLength) {
      bestStart = index;
      bestLength = end - index;
    }
    index = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function parseIpv6(text: string, out: Buffer, offset: number): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (!head || !tail) return false;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return false;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  for (let index = 0; index < 8; index++) out.writeUInt16BE(groups[index] ?? 0, offset + index * 2);
  return true;
}

/** Hex groups; the last may be an embedded dotted quad (RFC 4291 §2.2 form 3). */
function parseGroups(text: string, allowIpv4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] ?? '';
    if (allowIpv4Tail && index === parts.length - 1 && part.includes('.')) {
      const quad = Buffer.alloc(4);
      if (!parseIpv4(part, quad, 0)) return undefined;
      groups.push(quad.readUInt16BE(0), quad.readUInt16BE(2));
    } else {
      if (!/^[0-9a-f]{1,4}$/i.test(part)) return undefined;
      groups.push(Number.parseInt(part, 16));
    }
  }
  return groups;
}

/** RFC 3162 §2.3: Reserved(1) Prefix-Length(1) Prefix(0-16). */
function formatIpv6Prefix(value: Buffer): string {
  return `${formatIpv6(value, 2, value.length - 2)}/${value[1] ?? 0}`;
}

function writeIpv6Prefix(def: AttributeDef, text: string, out: Buffer, offset: number, limit: number): number {
  const match = /^(.+)\/(\d{1,3})$/.exec(text);
  const bits = match ? Number(match[2]) : -1;
  const address = Buffer.alloc(16);
  if (!match || bits > 128 || !parseIpv6(match[1] ?? '', address, 0)) {
    throw new RadiusEncodeError(`${def.name}: not an IPv6 prefix`);
  }
  // RFC 8044 §3.10: send only the octets the prefix length covers, bits past it zeroed.
  const octets = (bits + 7) >> 3;
  ensureRoom(def, 2 + octets, limit);
  maskPrefix(address, bits);
  out[offset] = 0;
  out[offset + 1] = bits;
  address.copy(out, offset + 2, 0, octets);
  return 2 + octets;
}

/** RFC 8044 §3.11: Reserved(1) Prefix-Length(1, low 6 bits) Prefix(4). */
function writeIpv4Prefix(def: AttributeDef, text: string, out: Buffer, offset: number, limit: number): number {
  const match = /^(.+)\/(\d{1,2})$/.exec(text);
  const bits = match ? Number(match[2]) : -1;
  ensureRoom(def, 6, limit);
  if (!match || bits > 32 || !parseIpv4(match[1] ?? '', out, offset + 2)) {
    throw new RadiusEncodeError(`${def.name}: not an IPv4 prefix`);
  }
  maskPrefix(out.subarray(offset + 2, offset + 6), bits);
  out[offset] = 0;
  out[offset + 1] = bits;
  return 6;
}

function maskPrefix(address: Buffer, bits: number): void {
  for (let index = 0; index < address.length; index++) {
    const keep = Math.min(8, Math.max(0, bits - index * 8));
    address[index] = (address[index] ?? 0) & ((0xff00 >> keep) & 0xff);
  }
}

function formatIfid(value: Buffer): string {
  const hex = value.toString('hex');
  return `${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}`;
}

function parseIfid(text: string, out: Buffer, offset: number): boolean {
  if (!/^[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){3}$/i.test(text)) return false;
  text.split(':').forEach((group, index) => out.writeUInt16BE(Number.parseInt(group, 16), offset + index * 2));
  return true;
}

function formatEther(value: Buffer): string {
  return [...value.subarray(0, 6)].map((octet) => octet.toString(16).padStart(2, '0')).join(':');
}

function parseEther(text: string, out: Buffer, offset: number): boolean {
  const hex = text.replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/i.test(hex)) return false;
  out.write(hex, offset, 6, 'hex');
  return true;
}
