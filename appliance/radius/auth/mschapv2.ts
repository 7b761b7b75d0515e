// MS-CHAPv2 (RFC 2759) over RADIUS (RFC 2548 §2.3) with MPPE keys (RFC 3079 §3).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { findAttribute, entryValue, getOctets } from '../attributes.ts';
import type { AttributeInput, RadiusPacket } from '../codec.ts';
import { Attr, MICROSOFT_VENDOR_ID, MsAttr } from '../protocol.ts';
import { desEncryptBlock } from './des.ts';
import type { AuthResult, StoredCredential } from './credential.ts';
import { md4 } from './md4.ts';

const MS_CHAP_CHALLENGE = { vendorId: MICROSOFT_VENDOR_ID, type: MsAttr.chapChallenge } as const;
const MS_CHAP2_RESPONSE = { vendorId: MICROSOFT_VENDOR_ID, type: MsAttr.chap2Response } as const;
const USER_NAME = { vendorId: 0, type: Attr.userName } as const;

// RFC 2759 §8.7 GenerateAuthenticatorResponse.
const AUTH_MAGIC1 = Buffer.from('Magic server to client signing constant', 'ascii');
const AUTH_MAGIC2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');
// RFC 3079 §3.4 GetMasterKey / GetAsymmetricStartKey.
const MPPE_MAGIC1 = Buffer.from('This is the MPPE Master Key', 'ascii');
const MPPE_MAGIC2 = Buffer.from(
  'On the client side, this is the send key; on the server side, it is the receive key.',
  'ascii',
);
const MPPE_MAGIC3 = Buffer.from(
  'On the client side, this is the receive key; on the server side, it is the send key.',
  'ascii',
);
const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);

/** RFC 2759 §8.3 NtPasswordHash: MD4 of the UTF-16LE ("Unicode") password. */
export function ntPasswordHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/** RFC 2759 §8.4 HashNtPasswordHash. */
export function hashNtPasswordHash(passwordHash: Buffer): Buffer {
  return md4(passwordHash);
}

/** RFC 2759 §8.2: "excluding any prepended domain name". */
export function stripDomain(userName: string): string {
  return userName.slice(userName.lastIndexOf('\\') + 1);
}

/** RFC 2759 §8.2 ChallengeHash: first 8 octets of SHA1(PeerChallenge + AuthChallenge + UserName). */
export function challengeHash(peerChallenge: Buffer, authenticatorChallenge: Buffer, userName: string): Buffer {
  return createHash('sha1')
    .update(peerChallenge)
    .update(authenticatorChallenge)
    .update(userName, 'utf8')
    .digest()
    .subarray(0, 8);
}

/** RFC 2759 §8.5 ChallengeResponse: the 16-octet hash zero-padded to 21 keys three DES encryptions. */
export function challengeResponse(challenge: Buffer, passwordHash: Buffer): Buffer {
  const keys = Buffer.alloc(21);
  passwordHash.copy(keys);
  return Buffer.concat([
    desEncryptBlock(keys.subarray(0, 7), challenge),
    desEncryptBlock(keys.subarray(7, 14), challenge),
    desEncryptBlock(keys.subarray(14, 21), challenge),
  ]);
}

/** RFC 2759 §8.1 GenerateNTResponse. */
export function generateNtResponse(
  authenticatorChallenge: Buffer,
  peerChallenge: Buffer,
  userName: string,
  passwordHash: Buffer,
): Buffer {
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, userName), passwordHash);
}

/** RFC 2759 §8.7 GenerateAuthenticatorResponse: "S=" + 40 upper-case hex digits. */
export function generateAuthenticatorResponse(
  passwordHash: Buffer,
  ntResponse: Buffer,
  peerChallenge: Buffer,
  authenticatorChallenge: Buffer,
  userName: string,
): string {
  const digest = createHash('sha1')
    .update(hashNtPasswordHash(passwordHash))
    .update(ntResponse)
    .update(AUTH_MAGIC1)
    .digest();
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  const signed = createHash('sha1').update(digest).update(challenge).update(AUTH_MAGIC2).digest();
  return `S=${signed.toString('hex').toUpperCase()}`;
}

/** RFC 3079 §3.4 GetMasterKey. */
export function getMasterKey(passwordHashHash: Buffer, ntResponse: Buffer): Buffer {
  return createHash('sha1').update(passwordHashHash).update(ntResponse).update(MPPE_MAGIC1).digest().subarray(0, 16);
}

/**
 * RFC 3079 §3.4 GetAsymmetricStartKey for the server side: the send key uses
 * Magic3, the receive key Magic2 (the client's are the other way round).
 */
export function getAsymmetricStartKey(masterKey: Buffer, keyLength: number, isSend: boolean): Buffer {
  return createHash('sha1')
    .update(masterKey)
    .update(SHS_PAD1)
    .update(isSend ? MPPE_MAGIC3 : MPPE_MAGIC2)
    .update(SHS_PAD2)
    .digest()
    .subarray(0, keyLength);
}

/** The server's 128-bit MPPE keys (RFC 3079 §3.4; RFC 2548 §2.4.2-3 carry them). */
export function deriveMppeKeys(passwordHash: Buffer, ntResponse: Buffer): { sendKey: Buffer; recvKey: Buffer } {
  const masterKey = getMasterKey(hashNtPasswordHash(passwordHash), ntResponse);
  return { sendKey: getAsymmetricStartKey(masterKey, 16, true), recvKey: getAsymmetricStartKey(masterKey, 16, false) };
}

/**
 * Check MS-CHAP-Challenge + MS-CHAP2-Response (RFC 2548 §2.3.1-2). On success the
 * reply carries MS-CHAP2-Success and the MPPE keys (the encoder salt-encrypts
 * them); on a wrong password, MS-CHAP-Error "E=691" (RFC 2759 §6).
 */
export function authenticateMsChapV2(request: RadiusPacket, credential: StoredCredential): AuthResult {
  const challengeIndex = findAttribute(request, MS_CHAP_CHALLENGE);
  const response = getOctets(request, MS_CHAP2_RESPONSE);
  const userNameOctets = getOctets(request, USER_NAME);
  if (challengeIndex < 0 || !response || !userNameOctets) return { ok: false, reason: 'missing_attribute', reply: [] };
  const authenticatorChallenge = entryValue(request, challengeIndex);
  // RFC 2548 §2.3.2: Ident(1) Flags(1) Peer-Challenge(16) Reserved(8) Response(24).
  if (authenticatorChallenge.length !== 16 || response.length !== 50) {
    return { ok: false, reason: 'malformed_attribute', reply: [] };
  }
  const ident = response.subarray(0, 1);
  const peerChallenge = response.subarray(2, 18);
  const ntResponse = response.subarray(26, 50);
  const passwordHash =
    credential.kind === 'cleartext'
      ? ntPasswordHash(credential.password)
      : credential.kind === 'nt-hash'
        ? credential.ntHash
        : undefined;
  // RFC 2759 §8.1 needs the NT hash itself: digests and crypt strings cannot give it.
  if (passwordHash?.length !== 16) return { ok: false, reason: 'unsupported_credential', reply: [] };
  const userName = stripDomain(userNameOctets.toString('utf8'));
  const expected = generateNtResponse(authenticatorChallenge, peerChallenge, userName, passwordHash);
  if (!timingSafeEqual(expected, ntResponse)) {
    // RFC 2759 §6: E=691 authentication failure, no retry, a fresh challenge, version 3.
    const message = `E=691 R=0 C=${randomBytes(16).toString('hex').toUpperCase()} V=3 M=Authentication failed`;
    return {
      ok: false,
      reason: 'wrong_password',
      reply: [{ attribute: 'MS-CHAP-Error', value: Buffer.concat([ident, Buffer.from(message, 'ascii')]) }],
    };
  }
  const success = generateAuthenticatorResponse(
    passwordHash,
    ntResponse,
    peerChallenge,
    authenticatorChallenge,
    userName,
  );
  const keys = deriveMppeKeys(passwordHash, ntResponse);
  const reply: AttributeInput[] = [
    { attribute: 'MS-CHAP2-Success', value: Buffer.concat([ident, Buffer.from(success, 'ascii')]) },
    { attribute: 'MS-MPPE-Recv-Key', value: keys.recvKey },
    { attribute: 'MS-MPPE-Send-Key', value: keys.sendKey },
    // RFC 2548 §2.4.4-5: encryption allowed, 40- or 128-bit RC4 (FreeRADIUS's defaults).
    { attribute: 'MS-MPPE-Encryption-Policy', value: 'Encryption-Allowed' },
    { attribute: 'MS-MPPE-Encryption-Types', value: 'RC4-40or128-bit-Allowed' },
  ];
  return { ok: true, reply };
}
