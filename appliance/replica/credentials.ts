// Which credential forms the replica stores, given the enabled auth methods.
//
// CHAP (RFC 1994, RFC 2865 §2.2) hashes the challenge with the cleartext, so CHAP
// needs the cleartext. MS-CHAPv2 (RFC 2759) needs the NT hash, which is
// password-equivalent for MS-CHAP but not reversible. PAP needs only something to
// compare the submitted password with. So:
//   chap enabled         → cleartext (serves all three methods)
//   mschapv2 without chap → NT hash (serves PAP and MS-CHAPv2)
//   pap only             → salted SHA-256 (serves PAP)
// Everything is sealed with the replica key on top (secret-box.ts). Enabling CHAP later
// needs the cleartext again: the next full sync from the edge supplies it.
import { randomBytes, createHash } from 'node:crypto';
import type { AuthMethod } from '../config.ts';
import type { Credentials } from './model.ts';
import { ntPasswordHash } from '../radius/index.ts';

export function deriveCredentials(password: string, methods: readonly AuthMethod[]): Credentials {
  if (methods.includes('chap')) return { cleartext: password };
  if (methods.includes('mschapv2')) return { ntHash: ntPasswordHash(password).toString('hex') };
  const salt = randomBytes(16);
  const hash = createHash('sha256').update(password, 'utf8').update(salt).digest('hex');
  return { digest: { algorithm: 'sha256', hash, salt: salt.toString('hex') } };
}

/**
 * The stored form of a subscriber's credentials: a cleartext password (from the edge or
 * an import) is reduced to what the enabled methods need; hashed forms from imports
 * (NT hash, crypt, digests) are kept as given, since nothing else can be derived.
 */
export function buildCredentials(
  password: string | undefined,
  given: Credentials | undefined,
  methods: readonly AuthMethod[],
): Credentials {
  const { cleartext: givenCleartext, ...hashed } = given ?? {};
  const cleartext = password ?? givenCleartext;
  return cleartext === undefined ? hashed : { ...hashed, ...deriveCredentials(cleartext, methods) };
}

/** Which methods a stored credential set can verify. */
export function supportedMethods(credentials: Credentials): AuthMethod[] {
  const methods: AuthMethod[] = [];
  if (
    credentials.cleartext !== undefined ||
    credentials.ntHash !== undefined ||
    credentials.crypt !== undefined ||
    credentials.digest !== undefined
  ) {
    methods.push('pap');
  }
  if (credentials.cleartext !== undefined) methods.push('chap');
  if (credentials.cleartext !== undefined || credentials.ntHash !== undefined) methods.push('mschapv2');
  return methods;
}
