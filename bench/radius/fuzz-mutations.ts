// Packet mutations for the fuzz bench, and an independent signature oracle: whether a
// datagram is validly signed is decided here with node:crypto and a plain TLV walk,
// not with the codec under test, so a codec bug cannot hide its own Accepts.
import { createHash, createHmac } from 'node:crypto';

// A seeded PRNG (mulberry32): node:crypto's randomInt costs more than a mutation, and a
// seed makes a failing run reproducible (`--seed`).
let state = 0x9e3779b9;
export function seedRandom(seed: number): void {
  state = seed >>> 0;
}
function next32(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
/** Uniform integer in [min, max). */
export function randomInt(min: number, max: number): number {
  return min + Math.floor((next32() / 4294967296) * (max - min));
}
function randomFillSync(buffer: Buffer, offset = 0, size = buffer.length - offset): Buffer {
  const end = Math.min(buffer.length, offset + size);
  for (let index = offset; index < end; index++) buffer[index] = next32() & 0xff;
  return buffer;
}

const ACCESS_REQUEST = 1;
const ACCOUNTING_REQUEST = 4;
const STATUS_SERVER = 12;
const MESSAGE_AUTHENTICATOR = 80;

/**
 * True when a server may legitimately answer this datagram positively: a well-formed
 * RADIUS packet (Length within the datagram, 20..4096, attributes 2..255 octets tiling
 * exactly up to Length) and, for Access-Request / Status-Server, exactly one valid
 * Message-Authenticator (the bench client requires it); for Accounting-Request a valid
 * Request Authenticator (RFC 2866 §3) and a valid Message-Authenticator if present.
 */
export function isValidlySigned(datagram: Buffer, secret: Buffer): boolean {
  if (datagram.length < 20) return false;
  const length = datagram.readUInt16BE(2);
  if (length < 20 || length > 4096 || length > datagram.length) return false;
  const packet = datagram.subarray(0, length);
  const code = packet[0];
  let maOffset = -1;
  let maCount = 0;
  for (let offset = 20; offset < length;) {
    if (offset + 2 > length) return false;
    const type = packet[offset] ?? 0;
    const attributeLength = packet[offset + 1] ?? 0;
    if (attributeLength < 2 || offset + attributeLength > length) return false;
    if (type === MESSAGE_AUTHENTICATOR) {
      if (attributeLength !== 18) return false;
      maOffset = offset + 2;
      maCount++;
    }
    offset += attributeLength;
  }
  if (maCount > 1) return false;
  const maValid = (authenticatorField: Buffer) => {
    const copy = Buffer.from(packet);
    authenticatorField.copy(copy, 4);
    copy.fill(0, maOffset, maOffset + 16);
    const expected = createHmac('md5', secret).update(copy).digest();
    return expected.equals(packet.subarray(maOffset, maOffset + 16));
  };
  if (code === ACCESS_REQUEST || code === STATUS_SERVER) {
    return maOffset >= 0 && maValid(packet.subarray(4, 20));
  }
  if (code === ACCOUNTING_REQUEST) {
    const zeroed = Buffer.from(packet);
    zeroed.fill(0, 4, 20);
    const expected = createHash('md5').update(zeroed).update(secret).digest();
    if (!expected.equals(packet.subarray(4, 20))) return false;
    return maOffset < 0 || maValid(Buffer.alloc(16));
  }
  // Replies, CoA/Disconnect and unknown codes: nothing a RADIUS server answers positively.
  return false;
}

/** Offsets of the attributes that tile the packet (stops at the first malformed one). */
function attributeOffsets(packet: Buffer): number[] {
  const offsets: number[] = [];
  const length = Math.min(packet.length, packet.length >= 4 ? packet.readUInt16BE(2) : 0);
  for (let offset = 20; offset + 2 <= length && offsets.length < 300;) {
    const attributeLength = packet[offset + 1] ?? 0;
    if (attributeLength < 2) break;
    offsets.push(offset);
    offset += attributeLength;
  }
  return offsets;
}

function setLength(packet: Buffer): Buffer {
  if (packet.length >= 4) packet.writeUInt16BE(Math.min(packet.length, 0xffff), 2);
  return packet;
}

function randomBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  if (length > 0) randomFillSync(bytes);
  return bytes;
}

const INTERESTING_BYTES = [0, 1, 2, 3, 17, 18, 19, 20, 26, 80, 127, 128, 253, 254, 255];
const INTERESTING_TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 26, 31, 33, 44, 60, 79, 80, 87, 88, 95, 97, 123, 241, 245];
const VENDORS = [14988, 311, 9, 2636, 2011, 0, 0xffffff, 4846];
const pick = <T>(items: readonly T[]): T => items[randomInt(0, items.length)] as T;

export type MutationName =
  | 'bit_flip'
  | 'byte_set'
  | 'attribute_length'
  | 'header_length'
  | 'truncate'
  | 'append'
  | 'insert_attribute'
  | 'insert_vsa'
  | 'remove_attribute'
  | 'duplicate_attribute'
  | 'message_authenticator_random'
  | 'message_authenticator_zero'
  | 'code'
  | 'identifier'
  | 'authenticator'
  | 'splice';

const MUTATIONS: Record<MutationName, (packet: Buffer, other: Buffer) => Buffer> = {
  bit_flip: (packet) => {
    const out = Buffer.from(packet);
    for (let count = randomInt(1, 5); count > 0 && out.length > 0; count--) {
      const at = randomInt(0, out.length);
      out[at] = (out[at] ?? 0) ^ (1 << randomInt(0, 8));
    }
    return out;
  },
  byte_set: (packet) => {
    const out = Buffer.from(packet);
    if (out.length > 0) out[randomInt(0, out.length)] = pick(INTERESTING_BYTES);
    return out;
  },
  attribute_length: (packet) => {
    const out = Buffer.from(packet);
    const offsets = attributeOffsets(out);
    if (offsets.length === 0) return out;
    const at = pick(offsets) + 1;
    const current = out[at] ?? 0;
    out[at] = pick([0, 1, 2, 3, current - 1, current + 1, 255, randomInt(0, 256)]) & 0xff;
    return out;
  },
  header_length: (packet) => {
    const out = Buffer.from(packet);
    if (out.length < 4) return out;
    out.writeUInt16BE(
      pick([0, 19, 20, 21, out.length - 1, out.length + 1, 4096, 4097, 0xffff, randomInt(0, 0x10000)]) & 0xffff,
      2,
    );
    return out;
  },
  truncate: (packet) => {
    const out = Buffer.from(packet.subarray(0, randomInt(0, packet.length + 1)));
    return randomInt(0, 2) === 0 ? setLength(out) : out;
  },
  append: (packet) => {
    // Bytes past Length are padding (RFC 2865 §3): without fixing Length the signature still holds.
    const out = Buffer.concat([packet, randomBytes(randomInt(1, 64))]);
    return randomInt(0, 2) === 0 ? setLength(out) : out;
  },
  insert_attribute: (packet) => {
    const offsets = [...attributeOffsets(packet), packet.length];
    const at = Math.max(20, Math.min(pick(offsets), packet.length));
    const valueLength = pick([0, 1, 2, 4, 16, 253, randomInt(0, 254)]);
    const attribute = Buffer.concat([
      Buffer.from([pick(INTERESTING_TYPES), pick([valueLength + 2, randomInt(0, 256)]) & 0xff]),
      randomBytes(valueLength),
    ]);
    return setLength(Buffer.concat([packet.subarray(0, at), attribute, packet.subarray(at)]));
  },
  insert_vsa: (packet) => {
    const vendor = pick(VENDORS);
    const valueLength = randomInt(0, 40);
    const sub = Buffer.concat([
      Buffer.from([randomInt(0, 256), pick([valueLength + 2, 0, 1, 255, randomInt(0, 256)]) & 0xff]),
      randomBytes(valueLength),
    ]);
    const body = Buffer.alloc(4);
    body.writeUInt32BE(vendor >>> 0);
    const value = Buffer.concat([body, sub, randomInt(0, 3) === 0 ? randomBytes(randomInt(1, 8)) : Buffer.alloc(0)]);
    const vsa = Buffer.concat([Buffer.from([26, Math.min(255, value.length + 2)]), value.subarray(0, 253)]);
    return setLength(Buffer.concat([packet, vsa]));
  },
  remove_attribute: (packet) => {
    const offsets = attributeOffsets(packet);
    if (offsets.length === 0) return Buffer.from(packet);
    const at = pick(offsets);
    const length = packet[at + 1] ?? 2;
    return setLength(Buffer.concat([packet.subarray(0, at), packet.subarray(at + length)]));
  },
  duplicate_attribute: (packet) => {
    const offsets = attributeOffsets(packet);
    if (offsets.length === 0) return Buffer.from(packet);
    const at = pick(offsets);
    const attribute = packet.subarray(at, at + (packet[at + 1] ?? 2));
    return setLength(Buffer.concat([packet, attribute]));
  },
  message_authenticator_random: (packet) => {
    const out = Buffer.from(packet);
    const at = attributeOffsets(out).find((offset) => out[offset] === MESSAGE_AUTHENTICATOR);
    if (at !== undefined) randomFillSync(out, at + 2, Math.min(16, out.length - at - 2));
    return out;
  },
  message_authenticator_zero: (packet) => {
    const out = Buffer.from(packet);
    const at = attributeOffsets(out).find((offset) => out[offset] === MESSAGE_AUTHENTICATOR);
    if (at !== undefined) out.fill(0, at + 2, Math.min(out.length, at + 18));
    return out;
  },
  code: (packet) => {
    const out = Buffer.from(packet);
    if (out.length > 0) out[0] = pick([1, 2, 3, 4, 5, 11, 12, 13, 40, 43, 0, 255, randomInt(0, 256)]);
    return out;
  },
  identifier: (packet) => {
    const out = Buffer.from(packet);
    if (out.length > 1) out[1] = randomInt(0, 256);
    return out;
  },
  authenticator: (packet) => {
    const out = Buffer.from(packet);
    if (out.length >= 20) randomFillSync(out, 4, 16);
    return out;
  },
  splice: (packet, other) => {
    const cut = randomInt(0, packet.length + 1);
    const from = randomInt(0, other.length + 1);
    const out = Buffer.concat([packet.subarray(0, cut), other.subarray(from)]).subarray(0, 4096);
    return randomInt(0, 2) === 0 ? setLength(Buffer.from(out)) : Buffer.from(out);
  },
};

export const MUTATION_NAMES = Object.keys(MUTATIONS) as MutationName[];

/** Random datagrams: pure noise, or a plausible header over random TLVs. */
export function randomDatagram(): Buffer {
  if (randomInt(0, 3) === 0) return randomBytes(pick([0, 1, 19, 20, 21, randomInt(0, 4200)]));
  const attributes: Buffer[] = [];
  for (let count = randomInt(0, 20); count > 0; count--) {
    const valueLength = randomInt(0, 40);
    attributes.push(
      Buffer.concat([Buffer.from([pick(INTERESTING_TYPES), (valueLength + 2) & 0xff]), randomBytes(valueLength)]),
    );
  }
  const header = randomBytes(20);
  header[0] = pick([ACCESS_REQUEST, ACCOUNTING_REQUEST, STATUS_SERVER, 40, 43, randomInt(0, 256)]);
  return setLength(Buffer.concat([header, ...attributes]));
}

/** One to three stacked mutations of `base` (`other` feeds splices). */
export function mutate(base: Buffer, other: Buffer): { packet: Buffer; applied: MutationName[] } {
  let packet = base;
  const applied: MutationName[] = [];
  for (let count = randomInt(1, 4); count > 0; count--) {
    const name = pick(MUTATION_NAMES);
    packet = MUTATIONS[name](packet, other);
    applied.push(name);
  }
  return { packet, applied };
}
