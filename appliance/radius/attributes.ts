// Attribute lookups on a decoded packet. Values are views into the datagram,
// never copies; typed getters read the dictionary type the decoder already checked.
import { readTag, readValue } from './attribute-value.ts';
import type { AttributeValue } from './attribute-value.ts';
import { ENTRY_WORDS } from './codec.ts';
import type { RadiusPacket } from './codec.ts';
import type { AttributeDef } from './dictionary.ts';

/** Enough to find an attribute: an AttributeDef, or a bare number pair for protocol constants. */
export interface AttributeKey {
  readonly vendorId: number;
  readonly type: number;
}

/** Index of the first entry at or after `from` matching `key`, or -1. */
export function findAttribute(packet: RadiusPacket, key: AttributeKey, from = 0): number {
  const entries = packet.attributes;
  for (let index = from; index < packet.attributeCount; index++) {
    const at = index * ENTRY_WORDS;
    if (entries[at + 1] === key.type && entries[at] === key.vendorId) return index;
  }
  return -1;
}

export function entryVendorId(packet: RadiusPacket, index: number): number {
  return packet.attributes[index * ENTRY_WORDS] ?? 0;
}

export function entryType(packet: RadiusPacket, index: number): number {
  return packet.attributes[index * ENTRY_WORDS + 1] ?? 0;
}

/** The value octets of entry `index`: a view into packet.data. */
export function entryValue(packet: RadiusPacket, index: number): Buffer {
  const at = index * ENTRY_WORDS;
  const offset = packet.attributes[at + 2] ?? 0;
  return packet.data.subarray(offset, offset + (packet.attributes[at + 3] ?? 0));
}

/** First value of `key` as raw octets (a view), or undefined. */
export function getOctets(packet: RadiusPacket, key: AttributeKey): Buffer | undefined {
  const index = findAttribute(packet, key);
  return index < 0 ? undefined : entryValue(packet, index);
}

/** First value of `def`, typed per the dictionary (see readValue). */
export function getValue(packet: RadiusPacket, def: AttributeDef): AttributeValue | undefined {
  const value = getOctets(packet, def);
  return value === undefined ? undefined : readValue(def, value);
}

/** Every value of `def`, typed, in wire order (e.g. several Cisco-AVPair). */
export function getValues(packet: RadiusPacket, def: AttributeDef): AttributeValue[] {
  const values: AttributeValue[] = [];
  for (let index = findAttribute(packet, def); index >= 0; index = findAttribute(packet, def, index + 1)) {
    values.push(readValue(def, entryValue(packet, index)));
  }
  return values;
}

export function getString(packet: RadiusPacket, def: AttributeDef): string | undefined {
  const value = getValue(packet, def);
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString();
}

export function getInteger(packet: RadiusPacket, def: AttributeDef): number | undefined {
  const value = getValue(packet, def);
  return typeof value === 'number' ? value : undefined;
}

/** RFC 2868 §3.1 tag of the first `def` attribute, if it carries one. */
export function getTag(packet: RadiusPacket, def: AttributeDef): number | undefined {
  const value = getOctets(packet, def);
  return value === undefined ? undefined : readTag(def, value);
}
