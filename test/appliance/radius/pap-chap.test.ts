import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authenticateChap,
  authenticatePap,
  buildRequest,
  decodePacket,
  ntPasswordHash,
  PacketCode,
  verifyRequest,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput, StoredCredential } from '../../../appliance/radius/index.ts';
import { dictionary, hex, rawAttribute, rawPacket, runPyrad, SECRET } from './helpers.ts';

const cleartext = (password: string): StoredCredential => ({ kind: 'cleartext', password });

function papRequest(password: string, secret = SECRET) {
  const attributes: AttributeInput[] = [
    { attribute: 'User-Name', value: 'dave' },
    { attribute: 'User-Password', value: password },
  ];
  return decodePacket(
    buildRequest({ code: PacketCode.accessRequest, identifier: 1, secret, attributes }, dictionary),
    dictionary,
  );
}

describe('authenticatePap (RFC 2865 §5.2)', () => {
  it('accepts the RFC 2865 §7.1 request for "arctangent"', () => {
    const request = decodePacket(
      hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
        93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03`),
      dictionary,
    );
    const secret = Buffer.from('xyzzy5461');
    expect(authenticatePap(request, secret, cleartext('arctangent')).ok).toBe(true);
    expect(authenticatePap(request, secret, cleartext('arctangenT'))).toMatchObject({
      ok: false,
      reason: 'wrong_password',
    });
    expect(authenticatePap(request, secret, cleartext('arctangent '))).toMatchObject({
      ok: false,
      reason: 'wrong_password',
    });
    expect(authenticatePap(request, secret, cleartext('arctan'))).toMatchObject({
      ok: false,
      reason: 'wrong_password',
    });
  });

  it.each(['x', 'exactly16octets!', 'seventeen octets!', 'ünïcödé pässwörd', 'p'.repeat(128)])(
    'round-trips "%s"',
    (password) => {
      expect(authenticatePap(papRequest(password), SECRET, cleartext(password)).ok).toBe(true);
      expect(authenticatePap(papRequest(password), SECRET, cleartext(`${password}x`)).ok).toBe(false);
    },
  );

  it('checks an NT-hash credential', () => {
    const credential: StoredCredential = { kind: 'nt-hash', ntHash: ntPasswordHash('hash-me') };
    expect(authenticatePap(papRequest('hash-me'), SECRET, credential).ok).toBe(true);
    expect(authenticatePap(papRequest('hash-mE'), SECRET, credential).ok).toBe(false);
    expect(authenticatePap(papRequest('hash-me'), SECRET, { kind: 'nt-hash', ntHash: Buffer.alloc(3) }).ok).toBe(false);
  });

  it('never matches a stored password longer than User-Password can carry', () => {
    expect(authenticatePap(papRequest('p'.repeat(128)), SECRET, cleartext('p'.repeat(129))).ok).toBe(false);
  });

  it('a wrong shared secret is a wrong password', () => {
    expect(authenticatePap(papRequest('pw', Buffer.from('other-secret')), SECRET, cleartext('pw'))).toMatchObject({
      ok: false,
      reason: 'wrong_password',
    });
  });

  it('accepts pyrad-built PAP requests', () => {
    const authenticator = randomBytes(16).toString('hex');
    const { packet } = runPyrad<{ packet: string }>({
      op: 'auth_request',
      secret: SECRET.toString(),
      id: 12,
      authenticator,
      attributes: [
        ['User-Name', 'erin'],
        ['NAS-IP-Address', '10.1.1.1'],
      ],
      password: 'from-pyrad-with-a-long-password',
    });
    const request = decodePacket(Buffer.from(packet, 'hex'), dictionary);
    expect(verifyRequest(request, SECRET, { requireMessageAuthenticator: false })).toBe('ok');
    expect(authenticatePap(request, SECRET, cleartext('from-pyrad-with-a-long-password')).ok).toBe(true);
  });

  it('reports a missing User-Password', () => {
    const request = decodePacket(rawPacket(1, 0, randomBytes(16), [rawAttribute(1, Buffer.from('u'))]), dictionary);
    expect(authenticatePap(request, SECRET, cleartext('x'))).toMatchObject({ ok: false, reason: 'missing_attribute' });
  });
});

describe('authenticateChap (RFC 1994 §4.1, RFC 2865 §2.2)', () => {
  const cases: Array<[string, string | undefined]> = [
    ['the Request Authenticator as challenge', undefined],
    ['a CHAP-Challenge attribute', randomBytes(16).toString('hex')],
    ['a short 5-octet CHAP-Challenge', randomBytes(5).toString('hex')],
  ];
  it.each(cases)('accepts a pyrad-built CHAP request using %s', (_name, challenge) => {
    const { packet } = runPyrad<{ packet: string }>({
      op: 'auth_request',
      secret: SECRET.toString(),
      id: 3,
      authenticator: randomBytes(16).toString('hex'),
      attributes: [['User-Name', 'frank']],
      chap: { ident: 0x42, password: 'chap-secret', ...(challenge ? { challenge } : {}) },
    });
    const request = decodePacket(Buffer.from(packet, 'hex'), dictionary);
    expect(authenticateChap(request, cleartext('chap-secret')).ok).toBe(true);
    expect(authenticateChap(request, cleartext('chap-secreT'))).toMatchObject({ ok: false, reason: 'wrong_password' });
  });

  it('needs a cleartext credential', () => {
    const request = decodePacket(
      rawPacket(1, 0, randomBytes(16), [rawAttribute(1, Buffer.from('u')), rawAttribute(3, randomBytes(17))]),
      dictionary,
    );
    expect(authenticateChap(request, { kind: 'nt-hash', ntHash: ntPasswordHash('x') })).toMatchObject({
      ok: false,
      reason: 'unsupported_credential',
    });
  });

  it('reports a missing CHAP-Password', () => {
    const request = decodePacket(rawPacket(1, 0, randomBytes(16), [rawAttribute(1, Buffer.from('u'))]), dictionary);
    expect(authenticateChap(request, cleartext('x'))).toMatchObject({ ok: false, reason: 'missing_attribute' });
  });
});
