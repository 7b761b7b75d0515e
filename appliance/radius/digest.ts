// MD5 and HMAC-MD5 for the per-packet hot path, with the JavaScript MD5 of md5.ts.
// Measured against node:crypto used well (bench/radius/md5.ts, CPU time per operation,
// Node 24, bench/results/radius-md5.json): a 150-octet packet's authenticator 0.65 µs
// vs 1.8 µs (crypto.hash over the assembled message), the Message-Authenticator HMAC
// 0.97 µs vs 3.7 µs (createHmac with a createSecretKey key made once per NAS), one
// User-Password keystream block 0.27 µs vs 1.6 µs: node:crypto's per-call overhead
// outweighs its faster compression at these sizes. Messages are assembled in one
// scratch buffer; HMAC is two MD5s exactly as RFC 2104 §2 defines it, with the key's
// pad blocks compressed once per secret.
import { createHash } from 'node:crypto';
import { md5BlockState, md5Continue, md5Into } from './md5.ts';
import { HEADER_LENGTH, MAX_PACKET_LENGTH, MESSAGE_AUTHENTICATOR_LENGTH } from './protocol.ts';

const BLOCK = 64;
const PADDING_ROOM = 72;
// Pad block + largest packet + a generous secret, + MD5 padding.
const scratch = Buffer.alloc(BLOCK + MAX_PACKET_LENGTH + 1024 + PADDING_ROOM);
const scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
const SCRATCH_LIMIT = scratch.length - PADDING_ROOM;
const outer = Buffer.alloc(BLOCK + 16 + PADDING_ROOM);
const outerView = new DataView(outer.buffer, outer.byteOffset, outer.length);

/**
 * MD5(data[0..4) + authenticatorField + data[20..) + secret) into
 * `out[outOffset..+16)`: RFC 2865 §3 Response Authenticator and RFC 2866 §3 /
 * RFC 5176 §3.5 Request Authenticator. `out` may be `data` itself.
 */
export function md5Packet(
  data: Buffer,
  authenticatorField: Buffer,
  secret: Buffer,
  out: Buffer,
  outOffset: number,
): void {
  const length = data.length + secret.length;
  if (length > SCRATCH_LIMIT) {
    createHash('md5')
      .update(data.subarray(0, 4))
      .update(authenticatorField)
      .update(data.subarray(HEADER_LENGTH))
      .update(secret)
      .digest()
      .copy(out, outOffset);
    return;
  }
  data.copy(scratch, 0);
  authenticatorField.copy(scratch, 4);
  secret.copy(scratch, data.length);
  md5Into(scratch, scratchView, length, out, outOffset);
}

/** MD5(secret + first + second) into `out`: one block of the RFC 2865 §5.2 / RFC 2868 §3.5 keystream. */
export function md5Keystream(secret: Buffer, first: Buffer, second: Buffer | undefined, out: Buffer): void {
  const length = secret.length + first.length + (second?.length ?? 0);
  if (length > SCRATCH_LIMIT) {
    const streamed = createHash('md5').update(secret).update(first);
    (second ? streamed.update(second) : streamed).digest().copy(out);
    return;
  }
  secret.copy(scratch, 0);
  first.copy(scratch, secret.length);
  if (second) second.copy(scratch, secret.length + first.length);
  md5Into(scratch, scratchView, length, out, 0);
}

/**
 * RFC 2104 HMAC-MD5 keyed by `secret` over `data` (at most 4096 octets) with its
 * authenticator field replaced by `authenticatorField` and, when
 * `messageAuthenticatorOffset` ≥ 0, the 16 Message-Authenticator octets taken as
 * zeros (RFC 3579 §3.2), into `out[outOffset..+16)`. `data` is read before
 * `out` is written, so `out` may be `data`.
 */
export function hmacMd5Packet(
  data: Buffer,
  authenticatorField: Buffer,
  messageAuthenticatorOffset: number,
  secret: Buffer,
  out: Buffer,
  outOffset: number,
): void {
  const key = hmacKeyOf(secret);
  data.copy(scratch, BLOCK, 0, MAX_PACKET_LENGTH);
  authenticatorField.copy(scratch, BLOCK + 4);
  if (messageAuthenticatorOffset >= 0) {
    const at = BLOCK + messageAuthenticatorOffset;
    for (let index = at; index < at + MESSAGE_AUTHENTICATOR_LENGTH; index++) scratch[index] = 0;
  }
  md5Continue(key.inner, BLOCK, scratch, scratchView, BLOCK, Math.min(data.length, MAX_PACKET_LENGTH), outer, BLOCK);
  md5Continue(key.outer, BLOCK, outer, outerView, BLOCK, 16, out, outOffset);
}

type HmacKey = {
  /** A copy of the secret the states were made from. */
  readonly secret: Buffer;
  /** MD5 states after the key XOR ipad and the key XOR opad blocks (RFC 2104 §2). */
  readonly inner: Int32Array;
  readonly outer: Int32Array;
};

// Secrets are long-lived (one per NAS client, replaced with it on change): their pad
// blocks are compressed once, sparing each HMAC two of its MD5 blocks. The copy is
// compared on every use, so a Buffer changed in place never uses stale states.
const hmacKeys = new WeakMap<Buffer, HmacKey>();
// The last secret used, ahead of the map: a request's verify and its reply's signature
// use the same one, and one NAS often sends most requests.
let lastSecret: Buffer | null = null;
let lastKey: HmacKey | null = null;

function hmacKeyOf(secret: Buffer): HmacKey {
  const known = secret === lastSecret ? lastKey : hmacKeys.get(secret);
  if (known && sameOctets(known.secret, secret)) {
    lastSecret = secret;
    lastKey = known;
    return known;
  }
  // RFC 2104 §2: keys longer than the block are hashed first.
  const key = secret.length > BLOCK ? createHash('md5').update(secret).digest() : secret;
  for (let index = 0; index < BLOCK; index++) {
    const keyOctet = key[index] ?? 0;
    scratch[index] = keyOctet ^ 0x36;
    outer[index] = keyOctet ^ 0x5c;
  }
  const made: HmacKey = {
    secret: Buffer.from(secret),
    inner: md5BlockState(scratchView, 0),
    outer: md5BlockState(outerView, 0),
  };
  hmacKeys.set(secret, made);
  lastSecret = secret;
  lastKey = made;
  return made;
}

// The secret against our own copy of it: neither side comes from a datagram, so the
// comparison need not take constant time.
function sameOctets(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
