// MD4 (RFC 1320), needed for the NT password hash that MS-CHAPv2 authenticates
// against (RFC 2759 §8.3 NtPasswordHash). OpenSSL 3 moved MD4 to the legacy provider,
// which Node does not load, so it is written out here. Not for anything but NT hashes.

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

export function md4(input: Uint8Array): Buffer {
  const bitLength = input.length * 8;
  const paddedLength = (((input.length + 8) >> 6) + 1) << 6;
  const padded = new Uint8Array(paddedLength);
  padded.set(input);
  padded[input.length] = 0x80;
  const view = new DataView(padded.buffer);
  // RFC 1320 §3.2: the length in bits as a 64-bit little-endian integer.
  view.setUint32(paddedLength - 8, bitLength >>> 0, true);
  view.setUint32(paddedLength - 4, Math.floor(bitLength / 0x1_0000_0000), true);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Uint32Array(16);

  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) x[i] = view.getUint32(offset + i * 4, true);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    const word = (i: number) => x[i] ?? 0;

    // Round 1: F(x,y,z) = xy v not(x) z
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + ((b & c) | (~b & d)) + word(i)) | 0, 3);
      d = rotl((d + ((a & b) | (~a & c)) + word(i + 1)) | 0, 7);
      c = rotl((c + ((d & a) | (~d & b)) + word(i + 2)) | 0, 11);
      b = rotl((b + ((c & d) | (~c & a)) + word(i + 3)) | 0, 19);
    }
    // Round 2: G(x,y,z) = xy v xz v yz, constant 0x5A827999
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + ((b & c) | (b & d) | (c & d)) + word(i) + 0x5a827999) | 0, 3);
      d = rotl((d + ((a & b) | (a & c) | (b & c)) + word(i + 4) + 0x5a827999) | 0, 5);
      c = rotl((c + ((d & a) | (d & b) | (a & b)) + word(i + 8) + 0x5a827999) | 0, 9);
      b = rotl((b + ((c & d) | (c & a) | (d & a)) + word(i + 12) + 0x5a827999) | 0, 13);
    }
    // Round 3: H(x,y,z) = x xor y xor z, constant 0x6ED9EBA1
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + (b ^ c ^ d) + word(i) + 0x6ed9eba1) | 0, 3);
      d = rotl((d + (a ^ b ^ c) + word(i + 8) + 0x6ed9eba1) | 0, 9);
      c = rotl((c + (d ^ a ^ b) + word(i + 4) + 0x6ed9eba1) | 0, 11);
      b = rotl((b + (c ^ d ^ a) + word(i + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}

/** RFC 2759 §8.3 NtPasswordHash: MD4 of the password in UTF-16LE. */
export function hashNtPassword(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}
