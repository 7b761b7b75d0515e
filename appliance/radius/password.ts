// Attribute hiding: User-Password (RFC 2865 §5.2) and the salted scheme shared by
// Tunnel-Password (RFC 2868 §3.5) and MS-MPPE-Send/Recv-Key (RFC 2548 §2.4.2-3).
// Both are MD5 stream ciphers keyed by the shared secret and chained over the
// previous ciphertext block.
import { md5Keystream } from './digest.ts';

const BLOCK = 16;
// One keystream block at a time; every caller is synchronous.
const keystream = Buffer.alloc(BLOCK);
/** RFC 2865 §5.2: "between 16 and 128 octets". */
export const MAX_USER_PASSWORD_LENGTH = 128;

/**
 * XOR `length` octets (a multiple of 16) from `source` into `target` with the
 * MD5 keystream: b1 = MD5(S + RA [+ salt]), b(i) = MD5(S + c(i-1)). `target` may be
 * `source` when encrypting, because chaining then reads the freshly written ciphertext.
 */
function applyKeystream(
  source: Buffer,
  sourceOffset: number,
  target: Buffer,
  targetOffset: number,
  length: number,
  secret: Buffer,
  seed: Buffer,
  salt: Buffer | undefined,
  encrypting: boolean,
): void {
  for (let block = 0; block < length; block += BLOCK) {
    if (block === 0) {
      md5Keystream(secret, seed, salt, keystream);
    } else {
      const chain = encrypting
        ? target.subarray(targetOffset + block - BLOCK, targetOffset + block)
        : source.subarray(sourceOffset + block - BLOCK, sourceOffset + block);
      md5Keystream(secret, chain, undefined, keystream);
    }
    for (let index = 0; index < BLOCK; index++) {
      target[targetOffset + block + index] = (source[sourceOffset + block + index] ?? 0) ^ (keystream[index] ?? 0);
    }
  }
}

/** Zero-pad to a multiple of 16 (at least 16) and hide in place; returns the padded length. */
export function hideUserPasswordInPlace(
  buffer: Buffer,
  offset: number,
  length: number,
  secret: Buffer,
  requestAuthenticator: Buffer,
): number {
  const padded = Math.max(BLOCK, Math.ceil(length / BLOCK) * BLOCK);
  buffer.fill(0, offset + length, offset + padded);
  applyKeystream(buffer, offset, buffer, offset, padded, secret, requestAuthenticator, undefined, true);
  return padded;
}

/** RFC 2865 §5.2: the User-Password attribute value for `password`. */
export function hideUserPassword(password: Buffer | string, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  const plain = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (plain.length > MAX_USER_PASSWORD_LENGTH) throw new RangeError('User-Password longer than 128 octets');
  const out = Buffer.alloc(Math.max(BLOCK, Math.ceil(plain.length / BLOCK) * BLOCK));
  plain.copy(out);
  hideUserPasswordInPlace(out, 0, plain.length, secret, requestAuthenticator);
  return out;
}

/**
 * RFC 2865 §5.2 reversed into `out` (at least `hidden.length` octets); returns
 * the password length without its NUL padding, or -1 when the value is not
 * 16-128 octets in 16-octet blocks.
 */
export function revealUserPasswordInto(
  hidden: Buffer,
  secret: Buffer,
  requestAuthenticator: Buffer,
  out: Buffer,
): number {
  if (hidden.length < BLOCK || hidden.length > MAX_USER_PASSWORD_LENGTH || hidden.length % BLOCK !== 0) return -1;
  applyKeystream(hidden, 0, out, 0, hidden.length, secret, requestAuthenticator, undefined, false);
  let end = hidden.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return end;
}

/** RFC 2865 §5.2 reversed; undefined for an impossible value length. */
export function revealUserPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer | undefined {
  const plain = Buffer.alloc(hidden.length);
  const length = revealUserPasswordInto(hidden, secret, requestAuthenticator, plain);
  return length < 0 ? undefined : plain.subarray(0, length);
}

/**
 * Salt-encrypt in place. `buffer[offset..offset+2)` receives the salt, then the
 * plaintext String "Data-Length(1) Data Padding" (RFC 2868 §3.5) is built from the
 * `dataLength` octets the caller already wrote at `offset + 3`. Returns the value
 * length from the salt on.
 */
export function saltEncryptInPlace(
  buffer: Buffer,
  offset: number,
  dataLength: number,
  secret: Buffer,
  requestAuthenticator: Buffer,
  salt: number,
): number {
  // RFC 2868 §3.5: "The most significant bit (leftmost) of the Salt field MUST be set (1)."
  buffer.writeUInt16BE(0x8000 | (salt & 0x7fff), offset);
  buffer[offset + 2] = dataLength;
  const plainLength = Math.ceil((dataLength + 1) / BLOCK) * BLOCK;
  buffer.fill(0, offset + 3 + dataLength, offset + 2 + plainLength);
  const saltOctets = buffer.subarray(offset, offset + 2);
  applyKeystream(buffer, offset + 2, buffer, offset + 2, plainLength, secret, requestAuthenticator, saltOctets, true);
  return 2 + plainLength;
}

/** Salt(2) + encrypted String for `data`; the allocating form of saltEncryptInPlace. */
export function saltEncrypt(data: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt: number): Buffer {
  if (data.length > 239) throw new RangeError('salt-encrypted data longer than 239 octets');
  const out = Buffer.alloc(2 + Math.ceil((data.length + 1) / BLOCK) * BLOCK);
  data.copy(out, 3);
  saltEncryptInPlace(out, 0, data.length, secret, requestAuthenticator, salt);
  return out;
}

/**
 * Reverse saltEncrypt: `value` is Salt(2) + ciphertext. Undefined when the layout
 * or the inner Data-Length is impossible (a wrong secret usually shows up here).
 */
export function saltDecrypt(value: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer | undefined {
  const cipherLength = value.length - 2;
  if (cipherLength < BLOCK || cipherLength % BLOCK !== 0 || ((value[0] ?? 0) & 0x80) === 0) return undefined;
  const plain = Buffer.allocUnsafe(cipherLength);
  applyKeystream(value, 2, plain, 0, cipherLength, secret, requestAuthenticator, value.subarray(0, 2), false);
  const dataLength = plain[0] ?? 0;
  if (dataLength > cipherLength - 1) return undefined;
  return plain.subarray(1, 1 + dataLength);
}
