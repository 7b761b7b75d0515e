// PAP: the User-Password attribute (RFC 2865 §5.2) checked against the stored
// credential, whichever form the replica keeps.
import { createHash, timingSafeEqual } from 'node:crypto';
import { getOctets } from '../attributes.ts';
import type { RadiusPacket } from '../codec.ts';
import { MAX_USER_PASSWORD_LENGTH, revealUserPasswordInto } from '../password.ts';
import { Attr } from '../protocol.ts';
import { NO_REPLY } from './credential.ts';
import { isSupportedCrypt, verifyCrypt } from './crypt.ts';
import type { AuthResult, StoredCredential } from './credential.ts';
import { ntPasswordHash } from './mschapv2.ts';

const USER_PASSWORD = { vendorId: 0, type: Attr.userPassword } as const;
// Both sides are compared at the full 128-octet width (zero-filled past their
// length), so the comparison takes the same time whatever either password is.
const revealed = Buffer.alloc(MAX_USER_PASSWORD_LENGTH);
const stored = Buffer.alloc(MAX_USER_PASSWORD_LENGTH);

export function authenticatePap(request: RadiusPacket, secret: Buffer, credential: StoredCredential): AuthResult {
  const hidden = getOctets(request, USER_PASSWORD);
  if (!hidden) return { ok: false, reason: 'missing_attribute', reply: NO_REPLY };
  const length = revealUserPasswordInto(hidden, secret, request.authenticator, revealed);
  if (length < 0) return { ok: false, reason: 'malformed_attribute', reply: NO_REPLY };
  revealed.fill(0, length);
  const matches = checkPassword(length, credential);
  // Leave no cleartext behind in the module's buffers.
  revealed.fill(0);
  stored.fill(0);
  if (matches === undefined) return { ok: false, reason: 'unsupported_credential', reply: NO_REPLY };
  return matches ? { ok: true, reply: NO_REPLY } : { ok: false, reason: 'wrong_password', reply: NO_REPLY };
}

/** Compare the revealed password (`revealed[0..length)`) with the credential; undefined when it cannot. */
function checkPassword(length: number, credential: StoredCredential): boolean | undefined {
  switch (credential.kind) {
    case 'cleartext': {
      const storedLength = Buffer.byteLength(credential.password, 'utf8');
      if (storedLength <= MAX_USER_PASSWORD_LENGTH) stored.write(credential.password, 'utf8');
      return timingSafeEqual(revealed, stored) && storedLength === length;
    }
    case 'nt-hash': {
      const hash = ntPasswordHash(revealed.toString('utf8', 0, length));
      return credential.ntHash.length === hash.length && timingSafeEqual(hash, credential.ntHash);
    }
    case 'digest': {
      const hash = createHash(credential.algorithm)
        .update(revealed.subarray(0, length))
        .update(credential.salt)
        .digest();
      return credential.hash.length === hash.length && timingSafeEqual(hash, credential.hash);
    }
    case 'crypt':
      return isSupportedCrypt(credential.hash) ? verifyCrypt(revealed.subarray(0, length), credential.hash) : undefined;
  }
}
