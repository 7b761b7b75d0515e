import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { desEncryptBlock, expandDesKey } from '../../../appliance/radius/auth/des.ts';
import { md4 } from '../../../appliance/radius/auth/md4.ts';
import {
  challengeHash,
  challengeResponse,
  deriveMppeKeys,
  generateAuthenticatorResponse,
  generateNtResponse,
  getAsymmetricStartKey,
  getMasterKey,
  hashNtPasswordHash,
  ntPasswordHash,
  stripDomain,
} from '../../../appliance/radius/auth/mschapv2.ts';
import {
  authenticateMsChapV2,
  buildReply,
  buildRequest,
  decodePacket,
  getOctets,
  PacketCode,
  saltDecrypt,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput, StoredCredential } from '../../../appliance/radius/index.ts';
import { dictionary, hex, SECRET } from './helpers.ts';

function openssl(args: string[], input: Buffer): Buffer | undefined {
  try {
    return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

describe('MD4 (RFC 1320 §A.5 test suite)', () => {
  const vectors: Array<[string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  it.each(vectors)('MD4("%s")', (message, digest) => {
    expect(md4(Buffer.from(message, 'ascii')).toString('hex')).toBe(digest);
  });

  it('matches OpenSSL legacy MD4 at every padding boundary', () => {
    const args = ['dgst', '-md4', '-provider', 'legacy', '-provider', 'default', '-binary'];
    if (!openssl(args, Buffer.alloc(0))) return;
    const inputs = [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000].map((size) => randomBytes(size));
    const batch = Buffer.concat(inputs);
    expect(md4(batch)).toEqual(openssl(args, batch));
    for (const input of inputs) expect(md4(input)).toEqual(openssl(args, input));
  });
});

describe('DES for MS-CHAP (3DES-EDE with one key = single DES)', () => {
  it('spreads 56 key bits over 8 octets with odd parity (RFC 2759 §8.6)', () => {
    const key = expandDesKey(hex('ff ff ff ff ff ff ff'));
    expect(key.toString('hex')).toBe('fefefefefefefefe');
    for (const octet of expandDesKey(randomBytes(7))) {
      let ones = 0;
      for (let bit = octet; bit; bit >>= 1) ones += bit & 1;
      expect(ones % 2).toBe(1);
    }
  });

  it('FIPS 81 / classic DES vector: key 133457799BBCDFF1, 0123456789ABCDEF → 85E813540F0AB405', () => {
    // 133457799BBCDFF1 without its parity bits: the 56-bit key 12695BC9B7B7F8.
    const sevenOctets = hex('12 69 5b c9 b7 b7 f8');
    expect(expandDesKey(sevenOctets).toString('hex')).toBe('133457799bbcdff1');
    expect(desEncryptBlock(sevenOctets, hex('0123456789abcdef')).toString('hex')).toBe('85e813540f0ab405');
  });

  it('matches OpenSSL legacy single DES', () => {
    const key7 = randomBytes(7);
    const block = randomBytes(8);
    const args = [
      'enc',
      '-des-ecb',
      '-provider',
      'legacy',
      '-provider',
      'default',
      '-nopad',
      '-K',
      expandDesKey(key7).toString('hex'),
    ];
    const reference = openssl(args, block);
    if (!reference) return;
    expect(desEncryptBlock(key7, block)).toEqual(reference);
  });
});

// RFC 2759 §9.2 "Sample Data" and RFC 3079 §3.5.3 "Sample 128-bit Key Derivation".
const USER = 'User';
const PASSWORD = 'clientPass';
const AUTH_CHALLENGE = hex('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
const PEER_CHALLENGE = hex('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');
const CHALLENGE = hex('D0 2E 43 86 BC E9 12 26');
const PASSWORD_HASH = hex('44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE');
const NT_RESPONSE = hex('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF');
const PASSWORD_HASH_HASH = hex('41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F');
const AUTHENTICATOR_RESPONSE = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';
const MASTER_KEY = hex('FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31');
const SEND_START_KEY_128 = hex('8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB');
const SEND_SESSION_KEY_128 = hex('40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4');

describe('MS-CHAPv2 (RFC 2759 §9.2 vectors)', () => {
  it('NtPasswordHash', () => expect(ntPasswordHash(PASSWORD)).toEqual(PASSWORD_HASH));
  it('ChallengeHash', () => expect(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, USER)).toEqual(CHALLENGE));
  it('ChallengeResponse', () => expect(challengeResponse(CHALLENGE, PASSWORD_HASH)).toEqual(NT_RESPONSE));
  it('GenerateNTResponse', () =>
    expect(generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD_HASH)).toEqual(NT_RESPONSE));
  it('HashNtPasswordHash', () => expect(hashNtPasswordHash(PASSWORD_HASH)).toEqual(PASSWORD_HASH_HASH));
  it('GenerateAuthenticatorResponse', () => {
    expect(generateAuthenticatorResponse(PASSWORD_HASH, NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, USER)).toBe(
      AUTHENTICATOR_RESPONSE,
    );
  });
  it('strips a prepended domain from the user name (RFC 2759 §8.2)', () => {
    expect(stripDomain('CORP\\User')).toBe('User');
    expect(stripDomain('User')).toBe('User');
  });
});

describe('MPPE keys (RFC 3079 §3.5.3 vectors)', () => {
  it('GetMasterKey', () => expect(getMasterKey(PASSWORD_HASH_HASH, NT_RESPONSE)).toEqual(MASTER_KEY));
  it('GetAsymmetricStartKey: the server send key (Magic3)', () => {
    expect(getAsymmetricStartKey(MASTER_KEY, 16, true)).toEqual(SEND_START_KEY_128);
  });
  it('GetNewKeyFromSHA of the start key gives the RFC session key', () => {
    // RFC 3079 §3.3 GetNewKeyFromSHA(StartKey, SessionKey = StartKey, 16) for the first key.
    const session = createHash('sha1')
      .update(SEND_START_KEY_128)
      .update(Buffer.alloc(40, 0))
      .update(SEND_START_KEY_128)
      .update(Buffer.alloc(40, 0xf2))
      .digest()
      .subarray(0, 16);
    expect(session).toEqual(SEND_SESSION_KEY_128);
  });
  it('the receive key is the Magic2 derivation, different from the send key', () => {
    const keys = deriveMppeKeys(PASSWORD_HASH, NT_RESPONSE);
    expect(keys.sendKey).toEqual(SEND_START_KEY_128);
    expect(keys.recvKey).toEqual(getAsymmetricStartKey(MASTER_KEY, 16, false));
    expect(keys.recvKey).not.toEqual(keys.sendKey);
  });
});

/** An Access-Request carrying the RFC 2759 §9.2 exchange (RFC 2548 §2.3 layout). */
function msChapRequest(userName: string, ntResponse = NT_RESPONSE, ident = 0x2a): Buffer {
  const response = Buffer.concat([Buffer.from([ident, 0]), PEER_CHALLENGE, Buffer.alloc(8), ntResponse]);
  const attributes: AttributeInput[] = [
    { attribute: 'User-Name', value: userName },
    { attribute: 'MS-CHAP-Challenge', value: AUTH_CHALLENGE },
    { attribute: 'MS-CHAP2-Response', value: response },
  ];
  return buildRequest({ code: PacketCode.accessRequest, identifier: 5, attributes, secret: SECRET }, dictionary);
}

describe('authenticateMsChapV2 over RADIUS', () => {
  const credentials: Array<[string, StoredCredential]> = [
    ['cleartext', { kind: 'cleartext', password: PASSWORD }],
    ['NT hash', { kind: 'nt-hash', ntHash: PASSWORD_HASH }],
  ];
  it.each(credentials)(
    'accepts the RFC exchange with a %s credential and returns MS-CHAP2-Success + MPPE keys',
    (_kind, credential) => {
      const request = decodePacket(msChapRequest(USER), dictionary);
      const result = authenticateMsChapV2(request, credential);
      expect(result.ok).toBe(true);
      const reply = decodePacket(
        buildReply(request, PacketCode.accessAccept, result.reply, SECRET, dictionary),
        dictionary,
      );
      const success = getOctets(reply, dictionary.requireAttribute('MS-CHAP2-Success'));
      expect(success?.[0]).toBe(0x2a);
      expect(success?.subarray(1).toString('ascii')).toBe(AUTHENTICATOR_RESPONSE);
      // RFC 2548 §2.4.2-3: salt-encrypted with the request authenticator.
      const send = getOctets(reply, dictionary.requireAttribute('MS-MPPE-Send-Key'));
      const recv = getOctets(reply, dictionary.requireAttribute('MS-MPPE-Recv-Key'));
      expect(send?.length).toBe(34);
      expect(saltDecrypt(send ?? Buffer.alloc(0), SECRET, request.authenticator)).toEqual(SEND_START_KEY_128);
      expect(saltDecrypt(recv ?? Buffer.alloc(0), SECRET, request.authenticator)).toEqual(
        deriveMppeKeys(PASSWORD_HASH, NT_RESPONSE).recvKey,
      );
      expect((send?.readUInt16BE(0) ?? 0) & 0x8000).toBe(0x8000);
      expect(send?.subarray(0, 2)).not.toEqual(recv?.subarray(0, 2));
    },
  );

  it('uses the user name without its domain', () => {
    expect(authenticateMsChapV2(decodePacket(msChapRequest('CORP\\User'), dictionary), credentials[0]![1]).ok).toBe(
      true,
    );
  });

  it('rejects a wrong password with MS-CHAP-Error E=691', () => {
    const request = decodePacket(msChapRequest(USER), dictionary);
    const result = authenticateMsChapV2(request, { kind: 'cleartext', password: 'wrongPass' });
    expect(result).toMatchObject({ ok: false, reason: 'wrong_password' });
    const error = result.reply[0]?.value;
    expect(Buffer.isBuffer(error) && error[0]).toBe(0x2a);
    expect(Buffer.isBuffer(error) && error.subarray(1).toString()).toMatch(/^E=691 R=0 C=[0-9A-F]{32} V=3 M=/);
    buildReply(request, PacketCode.accessReject, result.reply, SECRET, dictionary);
  });

  it('rejects a tampered NT-Response and a different user name', () => {
    const tampered = Buffer.from(NT_RESPONSE);
    tampered[23] = (tampered[23] ?? 0) ^ 1;
    const credential: StoredCredential = { kind: 'cleartext', password: PASSWORD };
    expect(authenticateMsChapV2(decodePacket(msChapRequest(USER, tampered), dictionary), credential).ok).toBe(false);
    expect(authenticateMsChapV2(decodePacket(msChapRequest('Other'), dictionary), credential).ok).toBe(false);
  });

  it('reports missing and malformed attributes', () => {
    const bare = buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        attributes: [{ attribute: 'User-Name', value: USER }],
      },
      dictionary,
    );
    const credential: StoredCredential = { kind: 'cleartext', password: PASSWORD };
    expect(authenticateMsChapV2(decodePacket(bare, dictionary), credential)).toMatchObject({
      ok: false,
      reason: 'missing_attribute',
    });
    const eightOctetChallenge = buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        attributes: [
          { attribute: 'User-Name', value: USER },
          { attribute: 'MS-CHAP-Challenge', value: Buffer.alloc(8) },
          { attribute: 'MS-CHAP2-Response', value: Buffer.alloc(50) },
        ],
      },
      dictionary,
    );
    expect(authenticateMsChapV2(decodePacket(eightOctetChallenge, dictionary), credential)).toMatchObject({
      ok: false,
      reason: 'malformed_attribute',
    });
    const badHash: StoredCredential = { kind: 'nt-hash', ntHash: Buffer.alloc(15) };
    expect(authenticateMsChapV2(decodePacket(msChapRequest(USER), dictionary), badHash)).toMatchObject({
      ok: false,
      reason: 'unsupported_credential',
    });
  });
});
