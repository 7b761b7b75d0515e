// MD5 (RFC 1321) in JavaScript over a caller's scratch buffer. RADIUS hashes are
// short (one to a few 64-octet blocks) and per packet; on Node 24 the native
// one-shot crypto.hash costs ~2 µs of call overhead regardless of size, while this
// unrolled compression runs a block in a fraction of that and allocates nothing.

const INITIAL_STATE = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
// The running state of md5Continue, kept across its blocks.
const work = new Int32Array(4);

/**
 * MD5 of `bytes[0..length)` written to `out[outOffset..outOffset+16)`. `view`
 * is a DataView over the same memory as `bytes`, made once by the caller. `bytes`
 * must have 72 spare octets after `length`: the RFC 1321 §3.1-3.2 padding is
 * written there in place.
 */
export function md5Into(bytes: Buffer, view: DataView, length: number, out: Buffer, outOffset: number): void {
  md5Continue(INITIAL_STATE, 0, bytes, view, 0, length, out, outOffset);
}

/**
 * The compression state after the one 64-octet block `bytes[start..start+64)`: the
 * `state` to hand md5Continue for messages that begin with that block (an HMAC key
 * pad, RFC 2104 §2).
 */
export function md5BlockState(view: DataView, start: number): Int32Array {
  work.set(INITIAL_STATE);
  compress(view, start, start + 64);
  return Int32Array.from(work);
}

/**
 * MD5 of a message whose first `prefixLength` octets (a multiple of 64) compressed to
 * `state` and whose rest is `bytes[start..start+length)`, into `out[outOffset..+16)`.
 * Padding is written in place after the rest, as for md5Into.
 */
export function md5Continue(
  state: Int32Array,
  prefixLength: number,
  bytes: Buffer,
  view: DataView,
  start: number,
  length: number,
  out: Buffer,
  outOffset: number,
): void {
  const end = start + length;
  const padded = start + ((length + 8) >>> 6) * 64 + 64;
  bytes[end] = 0x80;
  // At most 63 octets: a loop costs less than Buffer#fill's call into the runtime.
  for (let at = end + 1; at < padded - 8; at++) bytes[at] = 0;
  const total = prefixLength + length;
  view.setUint32(padded - 8, (total * 8) >>> 0, true);
  view.setUint32(padded - 4, Math.floor(total / 0x20000000), true);
  work.set(state);
  compress(view, start, padded);
  out.writeInt32LE(work[0]!, outOffset);
  out.writeInt32LE(work[1]!, outOffset + 4);
  out.writeInt32LE(work[2]!, outOffset + 8);
  out.writeInt32LE(work[3]!, outOffset + 12);
}

/** RFC 1321 §3.4 over the 64-octet blocks of `view[from..to)`, updating `work`. */
function compress(view: DataView, from: number, to: number): void {
  let a0 = work[0]!;
  let b0 = work[1]!;
  let c0 = work[2]!;
  let d0 = work[3]!;
  for (let at = from; at < to; at += 64) {
    const w0 = view.getInt32(at + 0, true);
    const w1 = view.getInt32(at + 4, true);
    const w2 = view.getInt32(at + 8, true);
    const w3 = view.getInt32(at + 12, true);
    const w4 = view.getInt32(at + 16, true);
    const w5 = view.getInt32(at + 20, true);
    const w6 = view.getInt32(at + 24, true);
    const w7 = view.getInt32(at + 28, true);
    const w8 = view.getInt32(at + 32, true);
    const w9 = view.getInt32(at + 36, true);
    const w10 = view.getInt32(at + 40, true);
    const w11 = view.getInt32(at + 44, true);
    const w12 = view.getInt32(at + 48, true);
    const w13 = view.getInt32(at + 52, true);
    const w14 = view.getInt32(at + 56, true);
    const w15 = view.getInt32(at + 60, true);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    // Round 1
    a = (a + ((b & c) | (~b & d)) + 0xd76aa478 + w0) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + 0xe8c7b756 + w1) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + 0x242070db + w2) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + 0xc1bdceee + w3) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (a + ((b & c) | (~b & d)) + 0xf57c0faf + w4) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + 0x4787c62a + w5) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + 0xa8304613 + w6) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + 0xfd469501 + w7) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (a + ((b & c) | (~b & d)) + 0x698098d8 + w8) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + 0x8b44f7af + w9) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + 0xffff5bb1 + w10) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + 0x895cd7be + w11) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    a = (a + ((b & c) | (~b & d)) + 0x6b901122 + w12) | 0;
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    d = (d + ((a & b) | (~a & c)) + 0xfd987193 + w13) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & b)) + 0xa679438e + w14) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    b = (b + ((c & d) | (~c & a)) + 0x49b40821 + w15) | 0;
    b = (((b << 22) | (b >>> 10)) + c) | 0;
    // Round 2
    a = (a + ((d & b) | (~d & c)) + 0xf61e2562 + w1) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((c & a) | (~c & b)) + 0xc040b340 + w6) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((b & d) | (~b & a)) + 0x265e5a51 + w11) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((a & c) | (~a & d)) + 0xe9b6c7aa + w0) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (a + ((d & b) | (~d & c)) + 0xd62f105d + w5) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((c & a) | (~c & b)) + 0x02441453 + w10) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((b & d) | (~b & a)) + 0xd8a1e681 + w15) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((a & c) | (~a & d)) + 0xe7d3fbc8 + w4) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (a + ((d & b) | (~d & c)) + 0x21e1cde6 + w9) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((c & a) | (~c & b)) + 0xc33707d6 + w14) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((b & d) | (~b & a)) + 0xf4d50d87 + w3) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((a & c) | (~a & d)) + 0x455a14ed + w8) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    a = (a + ((d & b) | (~d & c)) + 0xa9e3e905 + w13) | 0;
    a = (((a << 5) | (a >>> 27)) + b) | 0;
    d = (d + ((c & a) | (~c & b)) + 0xfcefa3f8 + w2) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((b & d) | (~b & a)) + 0x676f02d9 + w7) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    b = (b + ((a & c) | (~a & d)) + 0x8d2a4c8a + w12) | 0;
    b = (((b << 20) | (b >>> 12)) + c) | 0;
    // Round 3
    a = (a + (b ^ c ^ d) + 0xfffa3942 + w5) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + 0x8771f681 + w8) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + 0x6d9d6122 + w11) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + 0xfde5380c + w14) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (a + (b ^ c ^ d) + 0xa4beea44 + w1) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + 0x4bdecfa9 + w4) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + 0xf6bb4b60 + w7) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + 0xbebfbc70 + w10) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (a + (b ^ c ^ d) + 0x289b7ec6 + w13) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + 0xeaa127fa + w0) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + 0xd4ef3085 + w3) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + 0x04881d05 + w6) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    a = (a + (b ^ c ^ d) + 0xd9d4d039 + w9) | 0;
    a = (((a << 4) | (a >>> 28)) + b) | 0;
    d = (d + (a ^ b ^ c) + 0xe6db99e5 + w12) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ b) + 0x1fa27cf8 + w15) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    b = (b + (c ^ d ^ a) + 0xc4ac5665 + w2) | 0;
    b = (((b << 23) | (b >>> 9)) + c) | 0;
    // Round 4
    a = (a + (c ^ (b | ~d)) + 0xf4292244 + w0) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + 0x432aff97 + w7) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + 0xab9423a7 + w14) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + 0xfc93a039 + w5) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (a + (c ^ (b | ~d)) + 0x655b59c3 + w12) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + 0x8f0ccc92 + w3) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + 0xffeff47d + w10) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + 0x85845dd1 + w1) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (a + (c ^ (b | ~d)) + 0x6fa87e4f + w8) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + 0xfe2ce6e0 + w15) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + 0xa3014314 + w6) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + 0x4e0811a1 + w13) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a = (a + (c ^ (b | ~d)) + 0xf7537e82 + w4) | 0;
    a = (((a << 6) | (a >>> 26)) + b) | 0;
    d = (d + (b ^ (a | ~c)) + 0xbd3af235 + w11) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~b)) + 0x2ad7d2bb + w2) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    b = (b + (d ^ (c | ~a)) + 0xeb86d391 + w9) | 0;
    b = (((b << 21) | (b >>> 11)) + c) | 0;
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  work[0] = a0;
  work[1] = b0;
  work[2] = c0;
  work[3] = d0;
}
