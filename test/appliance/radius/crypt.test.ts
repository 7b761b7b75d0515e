import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyCrypt } from '../../../appliance/radius/auth/crypt.ts';
import {
  authenticateChap,
  authenticateMsChapV2,
  authenticatePap,
  buildRequest,
  cryptPassword,
  decodePacket,
  PacketCode,
} from '../../../appliance/radius/index.ts';
import type { StoredCredential } from '../../../appliance/radius/index.ts';
import { dictionary, SECRET, seededRandom } from './helpers.ts';

// Drepper's SHA-crypt specification examples and MD5-crypt, confirmed with
// `openssl passwd -1/-5/-6` and Python's crypt module on this machine.
const VECTORS: Array<[string, string]> = [
  ['Hello world!', '$1$saltsalt$le8lFSqqnPaRFOlmAZpvH1'],
  ['Hello world!', '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'],
  [
    'Hello world!',
    '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  ],
  [
    'Hello world!',
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3R' +
      'nOaw5v.',
  ],
];

describe('crypt(3) for Crypt-Password', () => {
  it.each(VECTORS)('crypt("%s") = %s', (password, stored) => {
    expect(cryptPassword(Buffer.from(password), stored)).toBe(stored);
    expect(verifyCrypt(Buffer.from(password), stored)).toBe(true);
    expect(verifyCrypt(Buffer.from(`${password}.`), stored)).toBe(false);
  });

  it('matches Python crypt for random passwords, salts and lengths across the block boundaries', () => {
    const random = seededRandom(3);
    const cases = Array.from({ length: 24 }, (_, index) => {
      const password = Array.from({ length: [1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100][index % 11] ?? 8 }, () =>
        String.fromCharCode(33 + Math.floor(random() * 94)),
      ).join('');
      const salt = Array.from(
        { length: 1 + (index % 16) },
        () => './0123456789abcdefXYZ'[Math.floor(random() * 21)],
      ).join('');
      const method = ['$1$', '$5$', '$6$', '$5$rounds=1200$'][index % 4] ?? '$1$';
      return { password, setting: `${method}${salt}` };
    });
    const script =
      'import crypt, json, sys\nprint(json.dumps([crypt.crypt(c["password"], c["setting"]) for c in ' +
      'json.load(sys.stdin)]))';
    const expected = JSON.parse(
      execFileSync('/usr/bin/python3', ['-W', 'ignore', '-c', script], {
        input: JSON.stringify(cases),
        encoding: 'utf8',
      }),
    ) as string[];
    cases.forEach((c, index) => {
      expect(cryptPassword(Buffer.from(c.password), c.setting), c.setting).toBe(expected[index]);
    });
  });

  it('refuses methods it does not implement', () => {
    expect(cryptPassword(Buffer.from('x'), 'abJnggxhB/yWI')).toBeUndefined();
    expect(cryptPassword(Buffer.from('x'), '$2b$10$abcdefghijklmnopqrstuu')).toBeUndefined();
    expect(verifyCrypt(Buffer.from('x'), 'abJnggxhB/yWI')).toBe(false);
  });
});

describe('PAP, CHAP and MS-CHAPv2 with imported credential forms', () => {
  const request = decodePacket(
    buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        attributes: [
          { attribute: 'User-Name', value: 'imported' },
          { attribute: 'User-Password', value: 'Hello world!' },
        ],
      },
      dictionary,
    ),
    dictionary,
  );
  const salt = Buffer.from('a1b2c3d4', 'hex');
  const digest = (algorithm: 'md5' | 'sha1' | 'sha256' | 'sha512', password: string): StoredCredential => ({
    kind: 'digest',
    algorithm,
    hash: createHash(algorithm).update(password).update(salt).digest(),
    salt,
  });

  it.each(['md5', 'sha1', 'sha256', 'sha512'] as const)(
    'PAP checks a salted %s digest (FreeRADIUS S*-Password)',
    (algorithm) => {
      expect(authenticatePap(request, SECRET, digest(algorithm, 'Hello world!')).ok).toBe(true);
      expect(authenticatePap(request, SECRET, digest(algorithm, 'Hello world')).ok).toBe(false);
    },
  );

  it.each(VECTORS.map(([, stored]) => stored))('PAP checks crypt %s', (stored) => {
    expect(authenticatePap(request, SECRET, { kind: 'crypt', hash: stored }).ok).toBe(true);
  });

  it('PAP reports DES crypt as unsupported, a wrong crypt password as wrong', () => {
    expect(authenticatePap(request, SECRET, { kind: 'crypt', hash: 'abJnggxhB/yWI' })).toMatchObject({
      ok: false,
      reason: 'unsupported_credential',
    });
    expect(
      authenticatePap(request, SECRET, { kind: 'crypt', hash: '$1$saltsalt$aaaaaaaaaaaaaaaaaaaaaa' }),
    ).toMatchObject({
      ok: false,
      reason: 'wrong_password',
    });
  });

  it('CHAP and MS-CHAPv2 cannot use digests or crypt', () => {
    for (const credential of [digest('sha1', 'x'), { kind: 'crypt', hash: VECTORS[0]?.[1] ?? '' } as const]) {
      const chap = decodePacket(
        buildRequest(
          {
            code: PacketCode.accessRequest,
            identifier: 2,
            secret: SECRET,
            attributes: [
              { attribute: 'User-Name', value: 'u' },
              { attribute: 'CHAP-Password', value: Buffer.alloc(17) },
              { attribute: 'MS-CHAP-Challenge', value: Buffer.alloc(16) },
              { attribute: 'MS-CHAP2-Response', value: Buffer.alloc(50) },
            ],
          },
          dictionary,
        ),
        dictionary,
      );
      expect(authenticateChap(chap, credential)).toMatchObject({ ok: false, reason: 'unsupported_credential' });
      expect(authenticateMsChapV2(chap, credential)).toMatchObject({ ok: false, reason: 'unsupported_credential' });
    }
  });
});
