// IPv4/IPv6 addresses and CIDR prefixes as bigints, and a longest-prefix-match table
// for NAS clients (a client may be one address or a whole prefix, as in FreeRADIUS
// clients.conf `ipaddr = 10.0.0.0/8`).
import { isIPv4, isIPv6 } from 'node:net';
import { formatIpv6Address, parseIpv6Address } from '../radius/index.ts';

export type IpFamily = 4 | 6;

export type IpAddress = { readonly family: IpFamily; readonly value: bigint };

export type IpPrefix = { readonly family: IpFamily; readonly network: bigint; readonly length: number };

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

/**
 * Parses an IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:a.b.c.d, what a dual-stack
 * socket reports for IPv4 peers) becomes IPv4 so one client entry serves both; an
 * IPv6 zone (%eth0) is ignored.
 */
export function parseIpAddress(text: string): IpAddress | null {
  const trimmed = text.trim();
  if (isIPv4(trimmed)) return { family: 4, value: parseIpv4(trimmed) };
  const unzoned = trimmed.replace(/%[^%]*$/, '');
  if (!isIPv6(unzoned)) return null;
  const value = parseIpv6(unzoned);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

function parseIpv4(text: string): bigint {
  let value = 0n;
  for (const part of text.split('.')) value = (value << 8n) | BigInt(Number(part));
  return value;
}

// Expects text that node:net already accepted as IPv6; the RADIUS layer's parser is
// the one implementation of IPv6 text (also used for Framed-IPv6-Prefix and friends).
function parseIpv6(text: string): bigint {
  const octets = parseIpv6Address(text);
  if (octets === undefined) throw new Error(`not an IPv6 address: ${text}`);
  return (octets.readBigUInt64BE(0) << 64n) | octets.readBigUInt64BE(8);
}

/**
 * Parses "address" or "address/length". Host bits below the length are cleared,
 * as FreeRADIUS does for `ipaddr = 192.0.2.7/24`.
 */
export function parsePrefix(text: string): IpPrefix | null {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const lengthText = slash === -1 ? undefined : text.slice(slash + 1).trim();
  const trimmedAddress = addressText.trim();
  // A mapped IPv6 prefix would silently change family and length: refuse it instead.
  if (lengthText !== undefined && trimmedAddress.toLowerCase().startsWith('::ffff:') && trimmedAddress.includes('.'))
    return null;
  const address = parseIpAddress(trimmedAddress);
  if (address === null) return null;
  const max = BITS[address.family];
  let length = max;
  if (lengthText !== undefined) {
    if (!/^\d{1,3}$/.test(lengthText)) return null;
    length = Number(lengthText);
    if (length > max) return null;
  }
  return { family: address.family, network: address.value & prefixMask(address.family, length), length };
}

function prefixMask(family: IpFamily, length: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return length === 0 ? 0n : (all >> (bits - BigInt(length))) << (bits - BigInt(length));
}

function formatIpAddress(address: IpAddress): string {
  return address.family === 4 ? formatIpv4(address.value) : formatIpv6(address.value);
}

/** Canonical text: "10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32". */
export function formatPrefix(prefix: IpPrefix): string {
  return `${formatIpAddress({ family: prefix.family, value: prefix.network })}/${prefix.length}`;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

// RFC 5952 §4 text, by the RADIUS layer's formatter.
function formatIpv6(value: bigint): string {
  const octets = Buffer.alloc(16);
  octets.writeBigUInt64BE(value >> 64n, 0);
  octets.writeBigUInt64BE(value & 0xffffffffffffffffn, 8);
  return formatIpv6Address(octets);
}

export type PrefixTable<T> = {
  /** Longest-prefix match; `address` is any textual IPv4/IPv6 address. */
  lookup(address: string): T | undefined;
  readonly size: number;
};

// Results are cached per source address string: a RADIUS server sees a few hundred
// NAS addresses, so after warm-up a lookup is one Map get. The cache is bounded so a
// flood of spoofed sources cannot grow it without limit.
const CACHE_LIMIT = 65_536;

/** Builds an immutable table; rebuild it when the entries change. */
export function createPrefixTable<T>(entries: ReadonlyArray<{ prefix: IpPrefix; value: T }>): PrefixTable<T> {
  const byFamily: Record<IpFamily, Map<number, Map<bigint, T>>> = { 4: new Map(), 6: new Map() };
  for (const entry of entries) {
    const lengths = byFamily[entry.prefix.family];
    let networks = lengths.get(entry.prefix.length);
    if (networks === undefined) {
      networks = new Map();
      lengths.set(entry.prefix.length, networks);
    }
    networks.set(entry.prefix.network, entry.value);
  }
  const ordered = (family: IpFamily) =>
    [...byFamily[family].entries()]
      .sort(([a], [b]) => b - a)
      .map(([length, networks]) => ({ mask: prefixMask(family, length), networks }));
  const searchOrder: Record<IpFamily, ReturnType<typeof ordered>> = { 4: ordered(4), 6: ordered(6) };
  const cache = new Map<string, T | null>();

  const search = (address: string): T | null => {
    const parsed = parseIpAddress(address);
    if (parsed === null) return null;
    for (const level of searchOrder[parsed.family]) {
      const hit = level.networks.get(parsed.value & level.mask);
      if (hit !== undefined) return hit;
    }
    return null;
  };

  return {
    size: entries.length,
    lookup(address) {
      let hit = cache.get(address);
      if (hit === undefined) {
        hit = search(address);
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(address, hit);
      }
      return hit ?? undefined;
    },
  };
}
