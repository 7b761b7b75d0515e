// CHAP (RFC 1994 §4.1) as carried by RADIUS: CHAP-Password = Ident(1) + MD5(Ident
// + password + challenge); the challenge is CHAP-Challenge, or the Request
// Authenticator when that attribute is absent (RFC 2865 §2.2, §5.3, §5.40).
import { createHash, timingSafeEqual } from 'node:crypto';
import { getOctets } from '../attributes.ts';
import type { RadiusPacket } from '../codec.ts';
import { Attr } from '../protocol.ts';
import { NO_REPLY } from './credential.ts';
import type { AuthResult, StoredCredential } from './credential.ts';

const CHAP_PASSWORD = { vendorId: 0, type: Attr.chapPassword } as const;
const CHAP_CHALLENGE = { vendorId: 0, type: Attr.chapChallenge } as const;

export function authenticateChap(request: RadiusPacket, credential: StoredCredential): AuthResult {
  const chapPassword = getOctets(request, CHAP_PASSWORD);
  if (!chapPassword) return { ok: false, reason: 'missing_attribute', reply: NO_REPLY };
  if (chapPassword.length !== 17) return { ok: false, reason: 'malformed_attribute', reply: NO_REPLY };
  if (credential.kind !== 'cleartext') return { ok: false, reason: 'unsupported_credential', reply: NO_REPLY };
  const challenge = getOctets(request, CHAP_CHALLENGE) ?? request.authenticator;
  const expected = createHash('md5')
    .update(chapPassword.subarray(0, 1))
    .update(credential.password, 'utf8')
    .update(challenge)
    .digest();
  return timingSafeEqual(expected, chapPassword.subarray(1))
    ? { ok: true, reply: NO_REPLY }
    : { ok: false, reason: 'wrong_password', reply: NO_REPLY };
}
