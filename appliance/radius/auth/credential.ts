// What the replica stores for a subscriber and what an authentication returns.
import type { AttributeInput } from '../codec.ts';

/**
 * Cleartext serves PAP, CHAP and MS-CHAPv2; an NT hash (MD4 of the UTF-16LE
 * password, RFC 2759 §8.3) serves PAP and MS-CHAPv2 only, since CHAP needs the
 * cleartext (RFC 1994 §4.1).
 */
export type StoredCredential =
  | { readonly kind: 'cleartext'; readonly password: string }
  | { readonly kind: 'nt-hash'; readonly ntHash: Buffer };

export type AuthFailure =
  /** The request lacks the attributes of this method. */
  | 'missing_attribute'
  /** Present but unusable (wrong size, cannot be revealed). */
  | 'malformed_attribute'
  | 'wrong_password'
  /** This credential kind cannot check this method (an NT hash for CHAP). */
  | 'unsupported_credential';

/** `reply` holds method-specific reply attributes (MS-CHAP2-Success, MPPE keys, MS-CHAP-Error). */
export type AuthResult =
  | { readonly ok: true; readonly reply: readonly AttributeInput[] }
  | { readonly ok: false; readonly reason: AuthFailure; readonly reply: readonly AttributeInput[] };

export const NO_REPLY: readonly AttributeInput[] = [];
