import { toHex } from './encoding.ts';

// RFC 9562 §6.2 method 1: a counter in the 26 bits after the timestamp (rand_a and the
// top of rand_b), so ids made in the same millisecond by this isolate still sort in the
// order they were made (a billing run's invoices, lines and entries share one instant).
// Each new millisecond seeds the counter at random in its lower half, leaving 2^25 ids of
// headroom before it could wrap.
const counterBits = 26;
let lastMs = -1;
let counter = 0;

/** UUIDv7 (RFC 9562 §5.7): time-ordered, so new rows land at the end of indexes. */
export function uuidv7(now = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  if (now === lastMs && counter < 2 ** counterBits - 1) {
    counter += 1;
  } else {
    lastMs = now;
    counter = (bytes[6]! << 17) ^ (bytes[7]! << 9) ^ (bytes[9]! << 1) ^ (bytes[10]! & 1);
    counter &= 2 ** (counterBits - 1) - 1;
  }
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms & 0xff;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | ((counter >>> 22) & 0x0f);
  bytes[7] = (counter >>> 14) & 0xff;
  bytes[8] = 0x80 | ((counter >>> 8) & 0x3f);
  bytes[9] = counter & 0xff;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
