import { toHex } from './encoding.ts';

// RFC 9562 §6.2 method 1: a counter in the 26 bits after the timestamp (rand_a and the
// top of rand_b), so ids made for the same millisecond by this isolate still sort in the
// order they were made (a billing run's invoices, lines and entries share one instant).
// Services pass a request's fixed instant while other work uses the wall clock, so the
// milliseconds in use interleave: the counter is kept per recent millisecond. Each new
// millisecond seeds its counter at random in the lower half, leaving 2^25 ids of headroom.
const counterBits = 26;
const remembered = 256;
const counters = new Map<number, number>();

// Random bytes drawn 4 KiB at a time: one getRandomValues call per id was about 6 µs,
// a tenth of a billing run's JavaScript per invoice.
const pool = new Uint8Array(4096);
let poolOffset = pool.length;
function random16(): Uint8Array {
  if (poolOffset === pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.slice(poolOffset - 16, poolOffset);
}

function nextCounter(ms: number, random: Uint8Array): number {
  const last = counters.get(ms);
  let counter: number;
  if (last !== undefined && last < 2 ** counterBits - 1) {
    counter = last + 1;
    counters.delete(ms);
  } else {
    counter =
      ((random[6]! << 17) ^ (random[7]! << 9) ^ (random[9]! << 1) ^ (random[10]! & 1)) & (2 ** (counterBits - 1) - 1);
    if (counters.size >= remembered) counters.delete(counters.keys().next().value!);
  }
  // Re-inserted, so the map's order is least recently used first.
  counters.set(ms, counter);
  return counter;
}

/** UUIDv7 (RFC 9562 §5.7): time-ordered, so new rows land at the end of indexes. */
export function uuidv7(now = Date.now()): string {
  const bytes = random16();
  const counter = nextCounter(now, bytes);
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
