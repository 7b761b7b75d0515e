import { describe, expect, it } from 'vitest';
import { createPrefixTable, formatPrefix, parseIpAddress, parsePrefix } from '../../../appliance/replica/ip-prefix.ts';

describe('parseIpAddress', () => {
  it('reads IPv4 and IPv6, folding IPv4-mapped IPv6 into IPv4', () => {
    expect(parseIpAddress('192.0.2.1')).toEqual({ family: 4, value: 0xc0000201n });
    expect(parseIpAddress('::ffff:192.0.2.1')).toEqual({ family: 4, value: 0xc0000201n });
    expect(parseIpAddress('2001:db8::1')).toEqual({ family: 6, value: 0x20010db8000000000000000000000001n });
    expect(parseIpAddress('fe80::1%eth0')).toEqual({ family: 6, value: 0xfe800000000000000000000000000001n });
    expect(parseIpAddress('::')).toEqual({ family: 6, value: 0n });
    expect(parseIpAddress('64:ff9b::192.0.2.33')?.value).toBe(0x0064ff9b0000000000000000c0000221n);
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', 'localhost', '256.0.0.1', '1.2.3', '2001:db8::1::2', '10.0.0.0/8', ' '])
      expect(parseIpAddress(bad)).toBeNull();
  });
});

describe('parsePrefix / formatPrefix', () => {
  it('normalizes to network/length and clears host bits', () => {
    expect(formatPrefix(parsePrefix('192.0.2.7/24')!)).toBe('192.0.2.0/24');
    expect(formatPrefix(parsePrefix('192.0.2.7')!)).toBe('192.0.2.7/32');
    expect(formatPrefix(parsePrefix('2001:DB8:0:0:1::/64')!)).toBe('2001:db8::/64');
    expect(formatPrefix(parsePrefix('2001:db8::1')!)).toBe('2001:db8::1/128');
    expect(formatPrefix(parsePrefix('0.0.0.0/0')!)).toBe('0.0.0.0/0');
    expect(formatPrefix(parsePrefix('::/0')!)).toBe('::/0');
    // RFC 5952 §4.2.2: a single zero group is not shortened to "::".
    expect(formatPrefix(parsePrefix('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1/128');
  });

  it('refuses bad lengths and mapped prefixes', () => {
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/x', '::ffff:10.0.0.0/104'])
      expect(parsePrefix(bad)).toBeNull();
  });
});

describe('createPrefixTable', () => {
  const table = createPrefixTable(
    [
      '10.0.0.0/8',
      '10.1.0.0/16',
      '10.1.2.3/32',
      '0.0.0.0/0',
      '2001:db8::/32',
      '2001:db8:1::/48',
      '2001:db8:1::1/128',
    ].map((text) => ({
      prefix: parsePrefix(text)!,
      value: text,
    })),
  );

  it('returns the longest matching prefix (IPv4)', () => {
    expect(table.lookup('10.1.2.3')).toBe('10.1.2.3/32');
    expect(table.lookup('10.1.2.4')).toBe('10.1.0.0/16');
    expect(table.lookup('10.2.0.1')).toBe('10.0.0.0/8');
    expect(table.lookup('192.0.2.1')).toBe('0.0.0.0/0');
    expect(table.lookup('::ffff:10.1.2.3')).toBe('10.1.2.3/32');
  });

  it('returns the longest matching prefix (IPv6), never an IPv4 entry for IPv6', () => {
    expect(table.lookup('2001:db8:1::1')).toBe('2001:db8:1::1/128');
    expect(table.lookup('2001:db8:1::2')).toBe('2001:db8:1::/48');
    expect(table.lookup('2001:db8:2::1')).toBe('2001:db8::/32');
    expect(table.lookup('2001:db9::1')).toBeUndefined();
    expect(table.lookup('not an address')).toBeUndefined();
  });

  it('answers repeated lookups from its cache with the same result', () => {
    for (let i = 0; i < 3; i++) expect(table.lookup('10.1.99.1')).toBe('10.1.0.0/16');
  });
});
