import { describe, expect, it } from 'vitest';
import {
  buildRequest,
  decodePacket,
  encodePacket,
  entryType,
  entryValue,
  entryVendorId,
  findAttribute,
  getInteger,
  getOctets,
  getString,
  getTag,
  getValue,
  getValues,
  parseDictionary,
  PacketCode,
  RadiusDecodeError,
  RadiusEncodeError,
  readValue,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput, RadiusDecodeReason } from '../../../appliance/radius/index.ts';
import { dictionary, hex, rawAttribute, rawPacket, rawVsa, SECRET } from './helpers.ts';

const ZERO16 = Buffer.alloc(16);
const attribute = (name: string) => dictionary.requireAttribute(name);

function decodeFailure(datagram: Buffer, dict = dictionary): RadiusDecodeReason {
  try {
    decodePacket(datagram, dict);
  } catch (error) {
    if (error instanceof RadiusDecodeError) return error.reason;
    throw error;
  }
  throw new Error('decoded without error');
}

// RFC 2865 §7.1: Access-Request of user "nemo", password "arctangent", secret "xyzzy5461".
const RFC2865_7_1_REQUEST = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
  98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee
  04 06 c0 a8 01 10 05 06 00 00 00 03`);
const RFC2865_7_1_ACCEPT = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2
  06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03`);
// RFC 2865 §7.2: CHAP Access-Request of "flopsy" and its Access-Accept.
const RFC2865_7_2_REQUEST = hex(`01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e 0d 33 67 a2
  01 08 66 6c 6f 70 73 79 03 13 16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75 04
  06 c0 a8 01 10 05 06 00 00 00 14 06 06 00 00 00 02 07 06 00 00 00 01`);
const RFC2865_7_2_ACCEPT = hex(`02 01 00 38 15 ef bc 7d ab 26 cf a3 dc 34 d9 c0 3c 86 01 a4
  06 06 00 00 00 02 07 06 00 00 00 01 08 06 ff ff ff fe 0a 06 00 00 00 00 0d 06 00 00 00 01
  0c 06 00 00 05 dc`);

// RFC 2865 §7.3: Access-Challenge for a challenge-response card.
const RFC2865_7_3_CHALLENGE = hex(`0b 02 00 4e 36 f3 c8 76 4a e8 c7 11 57 40 3c 0c 71 ff 9c 45
  12 30 43 68 61 6c 6c 65 6e 67 65 20 33 32 37 36 39 34 33 30 2e 20 20 45 6e 74 65 72
  20 72 65 73 70 6f 6e 73 65 20 61 74 20 70 72 6f 6d 70 74 2e 18 0a 33 32 37 36 39 34 33 30`);

describe('decodePacket: RFC 2865 §7 example packets', () => {
  it('§7.1 PAP Access-Request: header and attributes', () => {
    const packet = decodePacket(RFC2865_7_1_REQUEST, dictionary);
    expect(packet.code).toBe(PacketCode.accessRequest);
    expect(packet.identifier).toBe(0);
    expect(packet.authenticator.toString('hex')).toBe('0f403f9473978057bd83d5cb98f4227a');
    expect(packet.attributeCount).toBe(4);
    expect(getString(packet, attribute('User-Name'))).toBe('nemo');
    expect(getOctets(packet, attribute('User-Password'))?.toString('hex')).toBe('0dbe708d93d413ce3196e43f782a0aee');
    expect(getValue(packet, attribute('NAS-IP-Address'))).toBe('192.168.1.16');
    expect(getInteger(packet, attribute('NAS-Port'))).toBe(3);
    expect(packet.messageAuthenticatorOffset).toBe(-1);
  });

  it('§7.1 Access-Accept', () => {
    const packet = decodePacket(RFC2865_7_1_ACCEPT, dictionary);
    expect(packet.code).toBe(PacketCode.accessAccept);
    expect(getInteger(packet, attribute('Service-Type'))).toBe(1);
    expect(attribute('Service-Type').valueNames.get(1)).toBe('Login-User');
    expect(getInteger(packet, attribute('Login-Service'))).toBe(0);
    expect(getValue(packet, attribute('Login-IP-Host'))).toBe('192.168.1.3');
  });

  it('§7.2 CHAP Access-Request and Access-Accept', () => {
    const request = decodePacket(RFC2865_7_2_REQUEST, dictionary);
    expect(getString(request, attribute('User-Name'))).toBe('flopsy');
    expect(getOctets(request, attribute('CHAP-Password'))?.toString('hex')).toBe('16e97557c316185895f293ff6344077275');
    expect(getInteger(request, attribute('NAS-Port'))).toBe(20);
    expect(getInteger(request, attribute('Service-Type'))).toBe(2);
    expect(getInteger(request, attribute('Framed-Protocol'))).toBe(1);
    const accept = decodePacket(RFC2865_7_2_ACCEPT, dictionary);
    expect(getValue(accept, attribute('Framed-IP-Address'))).toBe('255.255.255.254');
    expect(getInteger(accept, attribute('Framed-MTU'))).toBe(1500);
    expect(getInteger(accept, attribute('Framed-Compression'))).toBe(1);
  });

  it('§7.3 Access-Challenge', () => {
    const packet = decodePacket(RFC2865_7_3_CHALLENGE, dictionary);
    expect(packet.code).toBe(PacketCode.accessChallenge);
    expect(getString(packet, attribute('Reply-Message'))).toBe('Challenge 32769430.  Enter response at prompt.');
    expect(getOctets(packet, attribute('State'))?.toString()).toBe('32769430');
  });

  it('records attributes as offsets into the datagram (no copies)', () => {
    const packet = decodePacket(RFC2865_7_1_REQUEST, dictionary);
    const value = entryValue(packet, 0);
    expect(value.buffer).toBe(RFC2865_7_1_REQUEST.buffer);
    expect(value.byteOffset).toBe(RFC2865_7_1_REQUEST.byteOffset + 22);
    expect(packet.data.buffer).toBe(RFC2865_7_1_REQUEST.buffer);
  });

  it('ignores octets past the Length field (RFC 2865 §3 padding)', () => {
    const padded = Buffer.concat([RFC2865_7_1_REQUEST, Buffer.from('trailing junk')]);
    const packet = decodePacket(padded, dictionary);
    expect(packet.data.length).toBe(0x38);
    expect(packet.attributeCount).toBe(4);
  });
});

describe('decodePacket strictness', () => {
  const user = rawAttribute(1, Buffer.from('bob'));
  const cases: Array<[string, Buffer, RadiusDecodeReason]> = [
    ['fewer than 20 octets', Buffer.alloc(19), 'short_packet'],
    ['empty datagram', Buffer.alloc(0), 'short_packet'],
    ['Length below 20', Buffer.concat([hex('01 00 00 13'), ZERO16]), 'length_mismatch'],
    ['Length above the datagram', Buffer.concat([hex('01 00 00 20'), ZERO16, Buffer.alloc(4)]), 'length_mismatch'],
    ['Length above 4096', Buffer.concat([hex('01 00 10 01'), ZERO16, Buffer.alloc(4096 - 19)]), 'length_mismatch'],
    ['unknown code', rawPacket(99, 0, ZERO16, [user]), 'unknown_code'],
    ['deprecated Status-Client code', rawPacket(13, 0, ZERO16, [user]), 'unknown_code'],
    ['attribute header cut by Length', rawPacket(1, 0, ZERO16, [user, Buffer.from([1])]), 'truncated_attribute'],
    [
      'attribute overruns the packet',
      rawPacket(1, 0, ZERO16, [Buffer.from([1, 10, 0x41, 0x42])]),
      'truncated_attribute',
    ],
    ['attribute length 0', rawPacket(1, 0, ZERO16, [Buffer.from([1, 0, 0x41])]), 'bad_attribute_length'],
    ['attribute length 1', rawPacket(1, 0, ZERO16, [Buffer.from([1, 1, 0x41])]), 'bad_attribute_length'],
    ['zero-length value', rawPacket(1, 0, ZERO16, [Buffer.from([1, 2])]), 'bad_attribute_length'],
    ['integer of 3 octets', rawPacket(1, 0, ZERO16, [rawAttribute(5, Buffer.alloc(3))]), 'bad_value_length'],
    ['integer of 5 octets', rawPacket(1, 0, ZERO16, [rawAttribute(5, Buffer.alloc(5))]), 'bad_value_length'],
    ['ipaddr of 6 octets', rawPacket(1, 0, ZERO16, [rawAttribute(4, Buffer.alloc(6))]), 'bad_value_length'],
    ['date of 2 octets', rawPacket(4, 0, ZERO16, [rawAttribute(55, Buffer.alloc(2))]), 'bad_value_length'],
    ['ipv6addr of 15 octets', rawPacket(1, 0, ZERO16, [rawAttribute(95, Buffer.alloc(15))]), 'bad_value_length'],
    ['ifid of 7 octets', rawPacket(1, 0, ZERO16, [rawAttribute(96, Buffer.alloc(7))]), 'bad_value_length'],
    ['ipv6prefix of 1 octet', rawPacket(1, 0, ZERO16, [rawAttribute(97, Buffer.alloc(1))]), 'bad_value_length'],
    ['ipv6prefix of 19 octets', rawPacket(1, 0, ZERO16, [rawAttribute(97, Buffer.alloc(19))]), 'bad_value_length'],
    ['ipv6prefix longer than 128 bits', rawPacket(1, 0, ZERO16, [rawAttribute(97, hex('00 81'))]), 'bad_value_length'],
    [
      'ipv6prefix /64 with 4 prefix octets',
      rawPacket(1, 0, ZERO16, [rawAttribute(97, hex('00 40 20 01 0d b8'))]),
      'bad_value_length',
    ],
    ['User-Password of 15 octets', rawPacket(1, 0, ZERO16, [rawAttribute(2, Buffer.alloc(15))]), 'bad_value_length'],
    ['User-Password of 17 octets', rawPacket(1, 0, ZERO16, [rawAttribute(2, Buffer.alloc(17))]), 'bad_value_length'],
    ['User-Password of 144 octets', rawPacket(1, 0, ZERO16, [rawAttribute(2, Buffer.alloc(144))]), 'bad_value_length'],
    ['CHAP-Password of 16 octets', rawPacket(1, 0, ZERO16, [rawAttribute(3, Buffer.alloc(16))]), 'bad_value_length'],
    ['CHAP-Challenge of 4 octets', rawPacket(1, 0, ZERO16, [rawAttribute(60, Buffer.alloc(4))]), 'bad_value_length'],
    [
      'Message-Authenticator of 15 octets',
      rawPacket(1, 0, ZERO16, [rawAttribute(80, Buffer.alloc(15))]),
      'bad_value_length',
    ],
    [
      'two Message-Authenticators',
      rawPacket(1, 0, ZERO16, [rawAttribute(80, ZERO16), rawAttribute(80, ZERO16)]),
      'duplicate_message_authenticator',
    ],
    ['tagged integer of 3 octets', rawPacket(2, 0, ZERO16, [rawAttribute(64, hex('01 00 0d'))]), 'bad_value_length'],
    [
      'Tunnel-Password without a whole block',
      rawPacket(2, 0, ZERO16, [rawAttribute(69, Buffer.alloc(20))]),
      'bad_value_length',
    ],
    ['Tunnel-Password too short', rawPacket(2, 0, ZERO16, [rawAttribute(69, Buffer.alloc(18))]), 'bad_value_length'],
    ['VSA with only a vendor id', rawPacket(1, 0, ZERO16, [rawAttribute(26, hex('00 00 3a 8c'))]), 'bad_vsa'],
    ['VSA shorter than a vendor id', rawPacket(1, 0, ZERO16, [rawAttribute(26, hex('00 00 3a'))]), 'bad_vsa'],
    [
      'VSA vendor id with high octet set',
      rawPacket(1, 0, ZERO16, [rawAttribute(26, hex('01 00 3a 8c 08 03 41'))]),
      'bad_vsa',
    ],
    [
      'known vendor, sub-attribute overruns',
      rawPacket(1, 0, ZERO16, [rawAttribute(26, hex('00 00 3a 8c 08 09 41 42'))]),
      'bad_vsa',
    ],
    [
      'known vendor, zero-length sub-attribute',
      rawPacket(1, 0, ZERO16, [rawAttribute(26, hex('00 00 3a 8c 08 02'))]),
      'bad_vsa',
    ],
    ['known vendor, sub-length 1', rawPacket(1, 0, ZERO16, [rawAttribute(26, hex('00 00 3a 8c 08 01 41'))]), 'bad_vsa'],
    [
      'known vendor, trailing octet',
      rawPacket(1, 0, ZERO16, [rawAttribute(26, hex('00 00 3a 8c 08 03 41 08'))]),
      'bad_vsa',
    ],
  ];
  it.each(cases)('rejects %s', (_name, datagram, reason) => {
    expect(decodeFailure(datagram)).toBe(reason);
  });

  it('accepts the extremes: one-octet values, 253-octet values, a 4096-octet packet', () => {
    const big = rawAttribute(18, Buffer.alloc(253, 0x61));
    const attributes = [rawAttribute(1, Buffer.from('x'))];
    let size = 20 + 3;
    while (size + 255 <= 4096) {
      attributes.push(big);
      size += 255;
    }
    attributes.push(rawAttribute(18, Buffer.alloc(4096 - size - 2, 0x62)));
    const datagram = rawPacket(2, 0, ZERO16, attributes);
    expect(datagram.length).toBe(4096);
    expect(decodePacket(datagram, dictionary).attributeCount).toBe(attributes.length);
  });

  it('accepts the most attributes a packet can hold', () => {
    const attributes = Array.from({ length: Math.floor((4096 - 20) / 3) }, () => rawAttribute(18, Buffer.from('m')));
    expect(decodePacket(rawPacket(2, 0, ZERO16, attributes), dictionary).attributeCount).toBe(1358);
  });

  it('error carries reason and offset', () => {
    const error = (() => {
      try {
        decodePacket(rawPacket(1, 0, ZERO16, [rawAttribute(1, Buffer.from('ab')), Buffer.from([5, 3, 0])]), dictionary);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RadiusDecodeError);
    expect(error).toMatchObject({ reason: 'bad_value_length', offset: 24, name: 'RadiusDecodeError' });
  });
});

describe('Vendor-Specific attributes (RFC 2865 §5.26)', () => {
  it('splits several sub-attributes of one VSA', () => {
    const both = rawAttribute(26, hex('00 00 3a 8c 08 09 31 30 4d 2f 35 30 4d 13 06 6c 69 73 74'));
    const packet = decodePacket(rawPacket(2, 0, ZERO16, [both]), dictionary);
    expect(packet.attributeCount).toBe(2);
    expect(getString(packet, attribute('Mikrotik-Rate-Limit'))).toBe('10M/50M');
    expect(getString(packet, attribute('Mikrotik-Address-List'))).toBe('list');
    expect([entryVendorId(packet, 0), entryType(packet, 0)]).toEqual([14988, 8]);
  });

  it('splits an unknown vendor that uses the suggested format', () => {
    const packet = decodePacket(rawPacket(2, 0, ZERO16, [rawVsa(99999, 7, Buffer.from('abc'))]), dictionary);
    expect(findAttribute(packet, { vendorId: 99999, type: 7 })).toBe(0);
    expect(getOctets(packet, { vendorId: 99999, type: 7 })?.toString()).toBe('abc');
  });

  // Issue 12 item 10, as FreeRADIUS does: the value is kept as raw octets, the request lives.
  it.each([
    ['a 3-octet Mikrotik-Recv-Limit (integer)', rawVsa(14988, 1, Buffer.alloc(3))],
    ['a 49-octet MS-CHAP2-Response', rawVsa(311, 25, Buffer.alloc(49))],
    ['an MS-MPPE-Send-Key without whole blocks', rawVsa(311, 16, Buffer.alloc(20))],
  ])("keeps a known vendor's VSA whole, as attribute 26, when %s does not fit its type", (_name, vsa) => {
    const both = rawAttribute(26, hex('00 00 3a 8c 08 09 31 30 4d 2f 35 30 4d'));
    const packet = decodePacket(rawPacket(1, 0, ZERO16, [rawAttribute(1, Buffer.from('u')), vsa, both]), dictionary);
    expect(packet.attributeCount).toBe(3);
    expect([entryVendorId(packet, 1), entryType(packet, 1)]).toEqual([0, 26]);
    expect(entryValue(packet, 1).equals(vsa.subarray(2))).toBe(true);
    expect(getString(packet, attribute('Mikrotik-Rate-Limit'))).toBe('10M/50M');
  });

  it('keeps an unknown vendor with another format whole, as attribute 26', () => {
    const odd = rawAttribute(26, hex('00 01 86 9f 00 07 00 05 61'));
    const packet = decodePacket(rawPacket(2, 0, ZERO16, [odd]), dictionary);
    expect([entryVendorId(packet, 0), entryType(packet, 0)]).toEqual([0, 26]);
    expect(entryValue(packet, 0).toString('hex')).toBe('0001869f0007000561');
  });

  it('parses vendors declared with format=2,2, 4,0 and 1,0', () => {
    const dict = parseDictionary(`
VENDOR Wide 5000 format=2,2
VENDOR Bare 5001 format=4,0
VENDOR Short 5002 format=1,0
BEGIN-VENDOR Wide
ATTRIBUTE Wide-Name 300 string
ATTRIBUTE Wide-Count 2 integer
END-VENDOR Wide
ATTRIBUTE Bare-Name 70000 string Bare
ATTRIBUTE Short-Name 9 string Short
`);
    const wide = rawAttribute(26, hex('00 00 13 88 01 2c 00 06 68 69 00 02 00 08 00 00 00 07'));
    const bare = rawAttribute(26, hex('00 00 13 89 00 01 11 70 62 61 72 65'));
    const short = rawAttribute(26, hex('00 00 13 8a 09 73'));
    const packet = decodePacket(rawPacket(2, 0, ZERO16, [wide, bare, short]), dict);
    expect(getString(packet, dict.requireAttribute('Wide-Name'))).toBe('hi');
    expect(getInteger(packet, dict.requireAttribute('Wide-Count'))).toBe(7);
    expect(getString(packet, dict.requireAttribute('Bare-Name'))).toBe('bare');
    expect(getString(packet, dict.requireAttribute('Short-Name'))).toBe('s');
    expect(decodeFailure(rawPacket(2, 0, ZERO16, [rawAttribute(26, hex('00 00 13 88 01 2c 00 04'))]), dict)).toBe(
      'bad_vsa',
    );
    expect(decodeFailure(rawPacket(2, 0, ZERO16, [rawAttribute(26, hex('00 00 13 89 00 01 11'))]), dict)).toBe(
      'bad_vsa',
    );
    const encoded = encodePacket(
      {
        code: 2,
        identifier: 1,
        authenticator: ZERO16,
        attributes: [
          { attribute: 'Wide-Name', value: 'hi' },
          { attribute: 'Bare-Name', value: 'bare' },
          { attribute: 'Short-Name', value: 's' },
        ],
        messageAuthenticator: false,
        secret: SECRET,
        cryptAuthenticator: ZERO16,
      },
      dict,
    );
    // The encoder gives each vendor attribute its own Vendor-Specific wrapper.
    const wideName = rawAttribute(26, hex('00 00 13 88 01 2c 00 06 68 69'));
    expect(encoded.data.subarray(20)).toEqual(Buffer.concat([wideName, bare, short]));
  });
});

describe('encode → decode round trips of every data type', () => {
  const dict = parseDictionary(`
ATTRIBUTE Test-String 200 string
ATTRIBUTE Test-Octets 201 octets
ATTRIBUTE Test-Ipaddr 202 ipaddr
ATTRIBUTE Test-Integer 203 integer
ATTRIBUTE Test-Date 204 date
ATTRIBUTE Test-Ipv6addr 205 ipv6addr
ATTRIBUTE Test-Ipv6prefix 206 ipv6prefix
ATTRIBUTE Test-Ifid 207 ifid
ATTRIBUTE Test-Byte 208 byte
ATTRIBUTE Test-Short 209 short
ATTRIBUTE Test-Integer64 210 integer64
ATTRIBUTE Test-Signed 211 signed
ATTRIBUTE Test-Ether 212 ether
ATTRIBUTE Test-Ipv4prefix 213 ipv4prefix
ATTRIBUTE Test-Tagged-Int 214 integer has_tag
ATTRIBUTE Test-Tagged-String 215 string has_tag
ATTRIBUTE Test-Fixed 216 octets[4]
VALUE Test-Integer Ten 10
VALUE Test-Tagged-Int Tunnel-Like 13
`);
  const cases: Array<[string, AttributeInput['value'], unknown, number?]> = [
    ['Test-String', 'héllo wörld', 'héllo wörld'],
    ['Test-Octets', Buffer.from([0, 1, 2, 255]), Buffer.from([0, 1, 2, 255])],
    ['Test-Octets', '0x00ff10', Buffer.from([0, 0xff, 0x10])],
    ['Test-Ipaddr', '10.20.30.40', '10.20.30.40'],
    ['Test-Integer', 4294967295, 4294967295],
    ['Test-Integer', 'Ten', 10],
    ['Test-Date', new Date('2024-07-09T10:00:00Z'), 1720519200],
    ['Test-Date', 1720519200, 1720519200],
    ['Test-Ipv6addr', '2001:DB8::1', '2001:db8::1'],
    ['Test-Ipv6addr', '::ffff:192.0.2.1', '::ffff:c000:201'],
    ['Test-Ipv6addr', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['Test-Ipv6addr', '::', '::'],
    ['Test-Ipv6prefix', '2001:db8:1234::/48', '2001:db8:1234::/48'],
    ['Test-Ipv6prefix', '2001:db8:ffff::1/33', '2001:db8:8000::/33'],
    ['Test-Ipv6prefix', '::/0', '::/0'],
    ['Test-Ipv6prefix', '2001:db8::1/128', '2001:db8::1/128'],
    ['Test-Ifid', '0000:0000:0000:0001', '0000:0000:0000:0001'],
    ['Test-Byte', 255, 255],
    ['Test-Short', 65535, 65535],
    ['Test-Integer64', 2n ** 64n - 1n, 2n ** 64n - 1n],
    ['Test-Signed', -5, -5],
    ['Test-Ether', 'AA-BB-CC-DD-EE-FF', 'aa:bb:cc:dd:ee:ff'],
    ['Test-Ipv4prefix', '192.168.7.9/24', '192.168.7.0/24'],
    ['Test-Tagged-Int', 'Tunnel-Like', 13, 1],
    ['Test-Tagged-String', 'vlan100', 'vlan100', 3],
    ['Test-Tagged-String', 'untagged', 'untagged'],
    ['Test-Fixed', Buffer.from('abcd'), Buffer.from('abcd')],
  ];
  it.each(cases)('%s = %s', (name, value, expected, tag) => {
    const def = dict.requireAttribute(name);
    const encoded = encodePacket(
      {
        code: 2,
        identifier: 9,
        authenticator: ZERO16,
        attributes: [{ attribute: def, value, tag }],
        messageAuthenticator: false,
        secret: SECRET,
        cryptAuthenticator: ZERO16,
      },
      dict,
    );
    const packet = decodePacket(encoded.data, dict);
    expect(getValue(packet, def)).toEqual(expected);
    expect(getTag(packet, def)).toBe(tag);
  });

  it('writes a tagged integer as Tag + 24-bit value (RFC 2868 §3.1)', () => {
    const encoded = encodePacket(
      {
        code: 2,
        identifier: 1,
        authenticator: ZERO16,
        attributes: [{ attribute: 'Tunnel-Type', value: 'VLAN', tag: 1 }],
        messageAuthenticator: false,
        secret: SECRET,
        cryptAuthenticator: ZERO16,
      },
      dictionary,
    );
    expect(encoded.data.subarray(20).toString('hex')).toBe('40060100000d');
  });

  const refusals: Array<[string, AttributeInput]> = [
    ['a bad IPv4 address', { attribute: 'Framed-IP-Address', value: '10.0.0.256' }],
    ['an IPv4 address with a leading zero', { attribute: 'Framed-IP-Address', value: '10.0.0.01' }],
    ['an IPv4 address of three parts', { attribute: 'Framed-IP-Address', value: '10.0.1' }],
    ['an IPv4 address of five parts', { attribute: 'Framed-IP-Address', value: '10.0.0.1.5' }],
    ['an IPv4 address with an empty part', { attribute: 'Framed-IP-Address', value: '10..0.1' }],
    ['an IPv4 address with spaces', { attribute: 'Framed-IP-Address', value: ' 10.0.0.1' }],
    ['a bad IPv6 address', { attribute: 'NAS-IPv6-Address', value: '2001:db8::1::2' }],
    ['an IPv6 prefix over 128 bits', { attribute: 'Framed-IPv6-Prefix', value: '2001:db8::/129' }],
    ['an integer out of range', { attribute: 'Session-Timeout', value: 2 ** 32 }],
    ['a negative integer', { attribute: 'Session-Timeout', value: -1 }],
    ['an unknown enumeration name', { attribute: 'Service-Type', value: 'No-Such-Type' }],
    ['a non-integer number', { attribute: 'Session-Timeout', value: 1.5 }],
    ['an empty string', { attribute: 'Reply-Message', value: '' }],
    ['a 254-octet string', { attribute: 'Reply-Message', value: 'x'.repeat(254) }],
    ['a 248-octet vendor string', { attribute: 'Cisco-AVPair', value: 'x'.repeat(248) }],
    ['a tag on an untagged attribute', { attribute: 'Reply-Message', value: 'x', tag: 1 }],
    ['a tag above 31', { attribute: 'Tunnel-Type', value: 'VLAN', tag: 32 }],
    ['a tagged integer above 24 bits', { attribute: 'Tunnel-Type', value: 0x1000000, tag: 1 }],
    ['an unknown attribute name', { attribute: 'No-Such-Attribute', value: 'x' }],
    ['a caller-supplied Message-Authenticator', { attribute: 'Message-Authenticator', value: ZERO16 }],
    ['a wrong-size fixed octets value', { attribute: 'MS-CHAP2-Response', value: Buffer.alloc(49) }],
    ['a 129-octet User-Password', { attribute: 'User-Password', value: 'p'.repeat(129) }],
  ];
  it.each(refusals)('refuses %s', (_name, input) => {
    expect(() =>
      encodePacket(
        {
          code: 2,
          identifier: 1,
          authenticator: ZERO16,
          attributes: [input],
          messageAuthenticator: false,
          secret: SECRET,
          cryptAuthenticator: ZERO16,
        },
        dictionary,
      ),
    ).toThrow(input.attribute === 'No-Such-Attribute' ? /unknown attribute/ : RadiusEncodeError);
  });

  it('refuses a bad header: unknown code, identifier outside one octet, short authenticator', () => {
    const header = { attributes: [], messageAuthenticator: false, secret: SECRET, cryptAuthenticator: ZERO16 };
    expect(() => encodePacket({ ...header, code: 13, identifier: 1, authenticator: ZERO16 }, dictionary)).toThrow(
      RadiusEncodeError,
    );
    expect(() => encodePacket({ ...header, code: 2, identifier: 256, authenticator: ZERO16 }, dictionary)).toThrow(
      RadiusEncodeError,
    );
    expect(() => encodePacket({ ...header, code: 2, identifier: -1, authenticator: ZERO16 }, dictionary)).toThrow(
      RadiusEncodeError,
    );
    expect(() =>
      encodePacket({ ...header, code: 2, identifier: 1, authenticator: Buffer.alloc(15) }, dictionary),
    ).toThrow(RadiusEncodeError);
  });

  it('refuses a packet over 4096 octets', () => {
    const attributes = Array.from({ length: 17 }, () => ({ attribute: 'Reply-Message', value: 'y'.repeat(253) }));
    expect(() =>
      buildRequest({ code: PacketCode.accountingRequest, identifier: 1, secret: SECRET, attributes }, dictionary),
    ).toThrow(RadiusEncodeError);
  });

  it('keeps attribute order and repeated attributes', () => {
    const data = buildRequest(
      {
        code: PacketCode.accountingRequest,
        identifier: 3,
        secret: SECRET,
        attributes: [
          { attribute: 'Cisco-AVPair', value: 'a=1' },
          { attribute: 'User-Name', value: 'u' },
          { attribute: 'Cisco-AVPair', value: 'b=2' },
        ],
      },
      dictionary,
    );
    const packet = decodePacket(data, dictionary);
    expect(getValues(packet, attribute('Cisco-AVPair'))).toEqual(['a=1', 'b=2']);
    expect(entryType(packet, 1)).toBe(1);
  });

  it('readValue returns encrypted attributes as their raw octets', () => {
    expect(readValue(attribute('User-Password'), Buffer.from('0123456789abcdef'))).toEqual(
      Buffer.from('0123456789abcdef'),
    );
  });
});
