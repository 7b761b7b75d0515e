// MD4 (RFC 1320). Node's OpenSSL 3 ships MD4 only in the legacy provider, which
// is off by default, and MS-CHAPv2's NtPasswordHash (RFC 2759 §8.3) needs it.

const rotateLeft = (value: number, bits: number): number => (value << bits) | (value >>> (32 - bits));

// RFC 1320 §3.4: the word order and shifts of rounds 2 and 3.
const ROUND2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15] as const;
const ROUND3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15] as const;
const ROUND1_SHIFTS = [3, 7, 11, 19] as const;
const ROUND2_SHIFTS = [3, 5, 9, 13] as const;
const ROUND3_SHIFTS = [3, 9, 11, 15] as const;

export function md4(message: Buffer): Buffer {
  // RFC 1320 §3.1-3.2: pad with 0x80, zeros to 56 mod 64, then the bit length (64-bit little-endian).
  const blocks = ((message.length + 8) >>> 6) + 1;
  const padded = Buffer.alloc(blocks * 64);
  message.copy(padded);
  padded[message.length] = 0x80;
  padded.writeUInt32LE((message.length * 8) >>> 0, blocks * 64 - 8);
  padded.writeUInt32LE(Math.floor(message.length / 0x20000000), blocks * 64 - 4);

  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const words = new Int32Array(16);
  for (let block = 0; block < blocks; block++) {
    for (let index = 0; index < 16; index++) words[index] = padded.readInt32LE(block * 64 + index * 4);
    const [a0 = 0, b0 = 0, c0 = 0, d0 = 0] = state;
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let step = 0; step < 48; step++) {
      const round = step >>> 4;
      const index = step & 15;
      let mixed: number;
      let word: number;
      let shift: number;
      if (round === 0) {
        mixed = (b & c) | (~b & d);
        word = words[index] ?? 0;
        shift = ROUND1_SHIFTS[index & 3] ?? 0;
      } else if (round === 1) {
        mixed = ((b & c) | (b & d) | (c & d)) + 0x5a827999;
        word = words[ROUND2_ORDER[index] ?? 0] ?? 0;
        shift = ROUND2_SHIFTS[index & 3] ?? 0;
      } else {
        mixed = (b ^ c ^ d) + 0x6ed9eba1;
        word = words[ROUND3_ORDER[index] ?? 0] ?? 0;
        shift = ROUND3_SHIFTS[index & 3] ?? 0;
      }
      const next = rotateLeft((a + mixed + word) | 0, shift);
      a = d;
      d = c;
      c = b;
      b = next;
    }
    state[0] = (a0 + a) | 0;
    state[1] = (b0 + b) | 0;
    state[2] = (c0 + c) | 0;
    state[3] = (d0 + d) | 0;
  }
  const digest = Buffer.alloc(16);
  state.forEach((word, index) => digest.writeInt32LE(word, index * 4));
  return digest;
}
