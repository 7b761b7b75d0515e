// Single DES for MS-CHAP's ChallengeResponse (RFC 2759 §8.5). OpenSSL 3 keeps
// single DES in the legacy provider; 3DES-EDE with K1 = K2 = K3 is
// E(K, D(K, E(K, x))) = E(K, x), i.e. exactly single DES, and is in the default one.
import { createCipheriv } from 'node:crypto';

/** RFC 2759 §8.6 DesEncrypt: a 7-octet key spread over 8 octets with odd parity. */
export function expandDesKey(key: Buffer): Buffer {
  const out = Buffer.alloc(8);
  let bits = 0n;
  for (let index = 0; index < 7; index++) bits = (bits << 8n) | BigInt(key[index] ?? 0);
  for (let index = 0; index < 8; index++) {
    const seven = Number((bits >> BigInt(49 - index * 7)) & 0x7fn);
    const octet = seven << 1;
    out[index] = octet | (parityBitOf(octet) ^ 1);
  }
  return out;
}

function parityBitOf(octet: number): number {
  let parity = 0;
  for (let value = octet; value; value >>= 1) parity ^= value & 1;
  return parity;
}

/** Encrypt one 8-octet block with a 7-octet DES key. */
export function desEncryptBlock(key: Buffer, block: Buffer): Buffer {
  const key8 = expandDesKey(key);
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key8, key8, key8]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}
