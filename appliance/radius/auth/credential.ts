// What the replica stores for a subscriber and what an authentication returns.
import type { AttributeInput } from '../codec.ts';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/**
 * Cleartext serves PAP, CHAP and MS-CHAPv2; an NT hash (MD4 of the UTF-16LE
 * password, RFC 2759 §8.3) serves PAP and MS-CHAPv2, since CHAP needs the
 * cleartext (RFC 1994 §4.1). Salted digests (FreeRADIUS SSHA/SMD5/SHA2-Password:
 * H(password + salt)) and crypt(3) strings ("$1$", "$5$", "$6$") serve PAP only.
 */
export type StoredCredential =
  | { readonly kind: 'cleartext'; readonly password: string }
  | { readonly kind: 'nt-hash'; readonly ntHash: Buffer }
  | { readonly kind: 'digest'; readonly algorithm: DigestAlgorithm; readonly hash: Buffer; readonly salt: Buffer }
  | { readonly kind: 'crypt'; readonly hash: string };

export type AuthFailure =
  /** The request lacks the attributes of this method. */
  | 'missing_attribute'
  /** Present but unusable (wrong size, cannot be revealed). */
  | 'malformed_attribute'
  | 'wrong_password'
  /** This credential kind cannot check this method (an NT hash for CHAP, DES crypt for PAP). */
  | 'unsupported_credential';

/** `reply` holds method-specific reply attributes (MS-CHAP2-Success, MPPE keys, MS-CHAP-Error). */
export type AuthResult =
  | { readonly ok: true; readonly reply: readonly AttributeInput[] }
  | { readonly ok: false; readonly reason: AuthFailure; readonly reply: readonly AttributeInput[] };

export const NO_REPLY: readonly AttributeInput[] = [];
