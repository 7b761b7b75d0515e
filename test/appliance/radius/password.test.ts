import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildReply,
  buildRequest,
  decodePacket,
  getOctets,
  getTag,
  hideUserPassword,
  PacketCode,
  revealUserPassword,
  saltDecrypt,
  saltEncrypt,
} from '../../../appliance/radius/index.ts';
import { dictionary, hex, runPyrad, SECRET, seededRandom } from './helpers.ts';

const RFC_SECRET = Buffer.from('xyzzy5461');
const RFC_AUTHENTICATOR = hex('0f403f9473978057bd83d5cb98f4227a');

describe('User-Password hiding (RFC 2865 §5.2)', () => {
  it('reproduces the RFC 2865 §7.1 example', () => {
    expect(hideUserPassword('arctangent', RFC_SECRET, RFC_AUTHENTICATOR).toString('hex')).toBe(
      '0dbe708d93d413ce3196e43f782a0aee',
    );
    expect(revealUserPassword(hex('0dbe708d93d413ce3196e43f782a0aee'), RFC_SECRET, RFC_AUTHENTICATOR)?.toString()).toBe(
      'arctangent',
    );
  });

  it('matches pyrad PwCrypt for every length from 1 to 128 octets', () => {
    const random = seededRandom(2865);
    const cases = Array.from({ length: 128 }, (_, index) => {
      const password = Array.from({ length: index + 1 }, () =>
        String.fromCharCode(33 + Math.floor(random() * 94)),
      ).join('');
      return {
        password,
        authenticator: randomBytes(16).toString('hex'),
        secret: `s${index}-${'k'.repeat(index % 40)}`,
      };
    });
    const reference = runPyrad<Array<{ hidden: string }>>(cases.map((c) => ({ op: 'pwcrypt', ...c })));
    cases.forEach((c, index) => {
      const secret = Buffer.from(c.secret);
      const authenticator = Buffer.from(c.authenticator, 'hex');
      const hidden = hideUserPassword(c.password, secret, authenticator);
      expect(hidden.toString('hex'), c.password).toBe(reference[index]?.hidden);
      expect(revealUserPassword(hidden, secret, authenticator)?.toString()).toBe(c.password);
    });
  });

  it('refuses impossible lengths', () => {
    expect(() => hideUserPassword('x'.repeat(129), SECRET, RFC_AUTHENTICATOR)).toThrow(RangeError);
    for (const size of [0, 15, 17, 144])
      expect(revealUserPassword(Buffer.alloc(size), SECRET, RFC_AUTHENTICATOR)).toBeUndefined();
  });

  it('a wrong secret reveals garbage, not the password', () => {
    const hidden = hideUserPassword('secret-password', SECRET, RFC_AUTHENTICATOR);
    expect(revealUserPassword(hidden, Buffer.from('other'), RFC_AUTHENTICATOR)?.toString()).not.toBe('secret-password');
  });
});

describe('salt encryption (RFC 2868 §3.5 Tunnel-Password, RFC 2548 §2.4.2 MPPE keys)', () => {
  it('matches an independent Python implementation of RFC 2868 §3.5', () => {
    const cases = [1, 15, 16, 17, 31, 32, 100, 200].map((size, index) => ({
      password: 'p'.repeat(size),
      salt: (0x8000 | (index * 4099)) & 0xffff,
      authenticator: randomBytes(16),
    }));
    const reference = runPyrad<Array<{ value: string }>>(
      cases.map((c) => ({
        op: 'tunnel_password',
        secret: SECRET.toString(),
        authenticator: c.authenticator.toString('hex'),
        salt: c.salt.toString(16).padStart(4, '0'),
        password: c.password,
      })),
    );
    cases.forEach((c, index) => {
      const encrypted = saltEncrypt(Buffer.from(c.password), SECRET, c.authenticator, c.salt);
      expect(encrypted.toString('hex')).toBe(reference[index]?.value);
      expect(saltDecrypt(encrypted, SECRET, c.authenticator)?.toString()).toBe(c.password);
    });
  });

  it('sets the salt high bit and pads to 16-octet blocks', () => {
    const encrypted = saltEncrypt(Buffer.alloc(16, 7), SECRET, RFC_AUTHENTICATOR, 0x1234);
    expect(encrypted.readUInt16BE(0)).toBe(0x9234);
    expect(encrypted.length).toBe(2 + 32);
  });

  it('refuses values that cannot be salt-encrypted ciphertext', () => {
    expect(saltDecrypt(Buffer.alloc(17), SECRET, RFC_AUTHENTICATOR)).toBeUndefined();
    expect(saltDecrypt(Buffer.concat([hex('1234'), Buffer.alloc(16)]), SECRET, RFC_AUTHENTICATOR)).toBeUndefined();
    const empty = saltEncrypt(Buffer.alloc(0), SECRET, RFC_AUTHENTICATOR, 1);
    expect(saltDecrypt(empty, SECRET, RFC_AUTHENTICATOR)?.length).toBe(0);
    // Flipping the high bit of the first ciphertext octet makes Data-Length 128 > 15.
    const tampered = Buffer.from(empty);
    tampered[2] = (tampered[2] ?? 0) ^ 0x80;
    expect(saltDecrypt(tampered, SECRET, RFC_AUTHENTICATOR)).toBeUndefined();
  });

  it('encodes Tunnel-Password with tag, salt and the request authenticator in a reply', () => {
    const request = decodePacket(
      buildRequest(
        {
          code: PacketCode.accessRequest,
          identifier: 1,
          secret: SECRET,
          attributes: [{ attribute: 'User-Name', value: 'l2tp' }],
        },
        dictionary,
      ),
      dictionary,
    );
    const reply = buildReply(
      request,
      PacketCode.accessAccept,
      [
        { attribute: 'Tunnel-Password', value: 'tunnel-secret', tag: 2 },
        { attribute: 'Tunnel-Password', value: 'second', tag: 3 },
      ],
      SECRET,
      dictionary,
    );
    const decoded = decodePacket(reply, dictionary);
    const def = dictionary.requireAttribute('Tunnel-Password');
    const value = getOctets(decoded, def);
    expect(getTag(decoded, def)).toBe(2);
    expect(value?.length).toBe(1 + 2 + 16);
    expect(saltDecrypt(value?.subarray(1) ?? Buffer.alloc(0), SECRET, request.authenticator)?.toString()).toBe(
      'tunnel-secret',
    );
    // RFC 2868 §3.5: each Salt in one packet is unique.
    const values = [0, 1].map((nth) => {
      let seen = -1;
      for (let index = 0; index < decoded.attributeCount; index++) {
        if (decoded.attributes[index * 4 + 1] === 69 && ++seen === nth)
          return decoded.data.readUInt16BE((decoded.attributes[index * 4 + 2] ?? 0) + 1);
      }
      return -1;
    });
    expect(values[0]).not.toBe(values[1]);
  });
});
