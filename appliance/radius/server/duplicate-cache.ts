// RFC 5080 §2.2.2 duplicate detection shared by every worker thread.
//
// A request is a duplicate of an earlier one with the same source address and port,
// Identifier and Request Authenticator. A duplicate must not be processed again: if
// the original was answered within the window it gets the same reply bytes; if it is
// still being processed (an accounting record waiting for its fsync) it is dropped,
// and the NAS's next retransmit finds the reply.
//
// Why shared memory: the kernel's SO_REUSEPORT hash sends one NAS source port to one
// socket, so retransmits usually reach the same worker, but not after a worker
// restart (the replacement socket changes the group and the hash) nor when the
// socket group changes for any other reason. So the table lives in one
// SharedArrayBuffer allocated by the main thread and handed to every worker; it
// outlives the threads that fill it.
//
// Every request pays one begin() and one complete(), so both are built to cost a few
// hundred nanoseconds (bench/radius/duplicate-cache.ts): the key is read straight from
// the datagram's bytes, nothing is allocated except the copy of a cached reply, all
// typed-array views are made once, and a miss touches one cache line of the bucket
// plus the one slot it claims.
//
// Layout, all Int32 words:
//   header   cursor of the reply ring; the epoch (ms) expiries are relative to
//   buckets  BUCKETS × 16 words (one 64-byte line): spin lock (holder = owner + 1),
//            WAYS 16-bit fingerprints, WAYS expiries (ms after the epoch), a bit per
//            way set while its request is in progress
//   slots    BUCKETS × WAYS × 8 words: authenticator (4), identifier<<16 | port,
//            address hash, state | (owner or reply length) << 2, ring position or
//            claim stamp
//   ring     replies at monotonically increasing positions (mod 2^32)
// A key hashes to one bucket; its fingerprint filters the ways before the full key
// is compared. The lock is held for a few hundred nanoseconds, never across an
// await; it is the only atomic besides the ring cursor. A full bucket evicts the
// entry expiring first (the oldest) among those answered.
//
// A request in progress stays until answered or abandoned, however long that takes
// (issue 12 item 7: a PAP check queued behind a storm of crypt(3) checks, a reject
// held by reject_delay), so its retransmits are dropped instead of being queued again;
// only a bucket whose every way is in progress evicts one of them (the oldest).
//
// A cached reply whose bytes the ring has since
// overwritten is treated as absent (the request is processed again; accounting
// records are idempotent in the spool, so that cannot double-count).
//
// Key: the 16-octet Request Authenticator (random for Access-Request, an MD5 over
// the packet for accounting), Identifier, source port and a 32-bit hash of the
// source address. Requests reach this table only after their signature verified, so
// an attacker without the NAS secret cannot plant entries; the address hash can only
// collide for two NASes that also share port, Identifier and a 128-bit authenticator.
//
// Expiries are int32 milliseconds after the epoch, compared by wrapping difference:
// correct for entries younger than 24 days; a slot untouched for a multiple of 49.7
// days can look alive for 5 s, which only makes it a later eviction choice.

const BUCKETS = 65_536;
const WAYS = 8;
const SLOTS = BUCKETS * WAYS;
const BUCKET_WORDS = 16;
const SLOT_WORDS = 8;
/** Bucket words: the lock, then WAYS 16-bit fingerprints (WAYS / 2 words), then WAYS expiries. */
const FINGERPRINTS_AT = 1;
const EXPIRIES_AT = FINGERPRINTS_AT + WAYS / 2;
/** Bit `way` set: that way's request is in progress (never expires, evicted last). */
const BUSY_AT = EXPIRIES_AT + WAYS;
/** Slot words. */
const META = 6;
const WHERE = 7;
const STATE_IN_PROGRESS = 1;
const STATE_DONE = 2;
/**
 * Replies kept: 64 MiB. Sized for the window at full load: ~60,000 requests/s × 5 s
 * × ~150-octet Access-Accepts ≈ 45 MB. A power of two, so ring offsets are positions
 * masked and a 32-bit cursor may wrap.
 */
const RING_BYTES = 64 * 1024 * 1024;

const HEADER_WORDS = 16;
const CURSOR = 0;
const EPOCH_AT = 2; // Float64 at word 2 (byte 8).
const BUCKETS_AT = HEADER_WORDS;
const SLOTS_AT = BUCKETS_AT + BUCKETS * BUCKET_WORDS;
const RING_AT_BYTES = (SLOTS_AT + SLOTS * SLOT_WORDS) * 4;

/** How long a reply stays cached: RFC 5080 §2.2.2 suggests a few seconds; FreeRADIUS uses 5. */
export const DUPLICATE_WINDOW_MS = 5_000;

/** begin(): the original of this request is still being processed. */
export const IN_PROGRESS = -1;

/** The main thread's owner id (workers use their index, 0-based). */
export const MAIN_THREAD_OWNER = 0xffff;

/**
 * The main thread allocates the table once. The bucket and slot pages are touched
 * here, at start-up, rather than by the first requests (a page fault per first touch
 * cost ~5 µs per request in a fresh table); the ring fills sequentially.
 */
export function allocateDuplicateCache(now = Date.now()): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(RING_AT_BYTES + RING_BYTES);
  new Int32Array(buffer, 0, SLOTS_AT + SLOTS * SLOT_WORDS).fill(0);
  new Float64Array(buffer, EPOCH_AT * 4, 1)[0] = now;
  return buffer;
}

export type DuplicateCache = {
  /**
   * Looks up the request in `datagram` (Identifier at octet 1, Request Authenticator
   * at 4..20) from `address`:`port`. Returns the cached reply (a copy) for a
   * duplicate, IN_PROGRESS while the original is being processed, or else a claim
   * (≥ 0) that the caller must complete() or abandon().
   */
  begin(datagram: Uint8Array, address: string, port: number, now: number): Buffer | number;
  /** Stores the reply sent for the request of `claim`. */
  complete(claim: number, reply: Uint8Array, now: number): void;
  /** The request got no reply (dropped, not acknowledged): let its retransmit be processed. */
  abandon(claim: number): void;
  /** Main thread, after a worker died: frees its locks and its in-progress entries. */
  releaseOwner(owner: number): void;
};

function hashAddress(address: string): number {
  // FNV-1a, 32 bits.
  let hash = 0x811c9dc5;
  for (let index = 0; index < address.length; index++) {
    hash ^= address.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

const readWord = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0);

/** `owner` identifies the thread: a worker index, or MAIN_THREAD_OWNER. */
export function openDuplicateCache(buffer: SharedArrayBuffer, owner: number): DuplicateCache {
  const words = new Int32Array(buffer, 0, SLOTS_AT + SLOTS * SLOT_WORDS);
  const halves = new Uint16Array(buffer, 0, (SLOTS_AT + SLOTS * SLOT_WORDS) * 2);
  const ring = Buffer.from(buffer, RING_AT_BYTES, RING_BYTES);
  const epoch = new Float64Array(buffer, EPOCH_AT * 4, 1)[0] ?? 0;
  const holder = owner + 1;
  // Claims carry a stamp so that complete() on a slot evicted and claimed again
  // meanwhile changes nothing: stamp × SLOTS + slot stays below 2^51.
  let stamp = 0;

  // The key of the current begin(), read once.
  let k0 = 0;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  let k5 = 0;

  const since = (now: number) => (now - epoch) | 0;
  const alive = (expiry: number, at: number) => {
    const remaining = (expiry - at) | 0;
    return remaining > 0 && remaining <= DUPLICATE_WINDOW_MS;
  };
  const lock = (at: number) => {
    // Held for a few hundred nanoseconds by another thread at most: spin.
    while (Atomics.compareExchange(words, at, 0, holder) !== 0);
  };

  // A copy of the reply stored in `slot`, or null when the ring has overwritten it.
  const readReply = (slot: number): Buffer | null => {
    const base = SLOTS_AT + slot * SLOT_WORDS;
    const length = words[base + META]! >>> 2;
    const position = words[base + WHERE]!;
    const start = position & (RING_BYTES - 1);
    const reply = Buffer.allocUnsafe(length);
    const first = Math.min(length, RING_BYTES - start);
    ring.copy(reply, 0, start, start + first);
    if (first < length) ring.copy(reply, first, 0, length - first);
    // Reservations advance the cursor before their bytes are written: if the cursor
    // moved more than a ring past our start, the bytes may be another reply's.
    return (Atomics.load(words, CURSOR) - position) >>> 0 <= RING_BYTES - length ? reply : null;
  };

  return {
    begin(datagram, address, port, now) {
      k0 = readWord(datagram, 4);
      k1 = readWord(datagram, 8);
      k2 = readWord(datagram, 12);
      k3 = readWord(datagram, 16);
      k4 = ((datagram[1] ?? 0) << 16) | port;
      k5 = hashAddress(address);
      let hash = Math.imul(k0 ^ (k4 + 0x9e3779b9), 0x85ebca6b);
      hash = Math.imul(hash ^ k1 ^ (hash >>> 15), 0xc2b2ae35);
      hash = Math.imul(hash ^ k2 ^ (hash >>> 13), 0x85ebca6b);
      hash = Math.imul(hash ^ k3 ^ (hash >>> 16), 0xc2b2ae35);
      hash = Math.imul(hash ^ k5 ^ (hash >>> 13), 0x85ebca6b);
      hash ^= hash >>> 16;
      const bucket = hash & (BUCKETS - 1);
      const fingerprint = hash >>> 16;
      const at = BUCKETS_AT + bucket * BUCKET_WORDS;
      const prints = (at + FINGERPRINTS_AT) * 2;
      const expiries = at + EXPIRIES_AT;
      const time = since(now);

      lock(at);
      const busy = words[at + BUSY_AT]!;
      // The answered (or expired) entry to evict, and the oldest in progress as a last resort.
      let victim = -1;
      let victimRemaining = DUPLICATE_WINDOW_MS + 1;
      let oldest = 0;
      let oldestRemaining = 0x7fffffff;
      for (let way = 0; way < WAYS; way++) {
        const expiry = words[expiries + way]!;
        const inProgress = (busy >>> way) & 1;
        if (inProgress === 0 && !alive(expiry, time)) {
          if (victimRemaining > 0) {
            victim = way;
            victimRemaining = 0;
          }
          continue;
        }
        if (halves[prints + way] === fingerprint) {
          const base = SLOTS_AT + (bucket * WAYS + way) * SLOT_WORDS;
          if (
            words[base] === k0 &&
            words[base + 1] === k1 &&
            words[base + 2] === k2 &&
            words[base + 3] === k3 &&
            words[base + 4] === k4 &&
            words[base + 5] === k5
          ) {
            if (inProgress !== 0) {
              Atomics.store(words, at, 0);
              return IN_PROGRESS;
            }
            const reply = readReply(bucket * WAYS + way);
            if (reply !== null) {
              Atomics.store(words, at, 0);
              return reply;
            }
            // Overwritten in the ring: claim this very slot again.
            victim = way;
            break;
          }
        }
        const remaining = (expiry - time) | 0;
        if (inProgress !== 0) {
          if (remaining < oldestRemaining) {
            oldest = way;
            oldestRemaining = remaining;
          }
        } else if (remaining < victimRemaining) {
          victim = way;
          victimRemaining = remaining;
        }
      }
      // Every way in progress: the oldest claim goes (its complete() then changes nothing).
      if (victim < 0) victim = oldest;
      const slot = bucket * WAYS + victim;
      const base = SLOTS_AT + slot * SLOT_WORDS;
      stamp = (stamp + 1) & 0xfffff;
      words[base] = k0;
      words[base + 1] = k1;
      words[base + 2] = k2;
      words[base + 3] = k3;
      words[base + 4] = k4;
      words[base + 5] = k5;
      words[base + META] = STATE_IN_PROGRESS | (holder << 2);
      words[base + WHERE] = stamp;
      halves[prints + victim] = fingerprint;
      words[expiries + victim] = (time + DUPLICATE_WINDOW_MS) | 0;
      words[at + BUSY_AT] = busy | (1 << victim);
      Atomics.store(words, at, 0);
      return stamp * SLOTS + slot;
    },

    complete(claim, reply, now) {
      const slot = claim % SLOTS;
      const claimStamp = (claim - slot) / SLOTS;
      const length = reply.length;
      const position = Atomics.add(words, CURSOR, length);
      const start = position & (RING_BYTES - 1);
      const first = Math.min(length, RING_BYTES - start);
      if (first === length) ring.set(reply, start);
      else for (let index = 0; index < length; index++) ring[(start + index) & (RING_BYTES - 1)] = reply[index]!;
      const bucket = (slot / WAYS) | 0;
      const at = BUCKETS_AT + bucket * BUCKET_WORDS;
      const base = SLOTS_AT + slot * SLOT_WORDS;
      lock(at);
      // Evicted meanwhile (a full bucket under extreme load): nothing to update.
      if (words[base + META] === (STATE_IN_PROGRESS | (holder << 2)) && words[base + WHERE] === claimStamp) {
        words[base + META] = STATE_DONE | (length << 2);
        words[base + WHERE] = position;
        words[at + EXPIRIES_AT + (slot % WAYS)] = (since(now) + DUPLICATE_WINDOW_MS) | 0;
        words[at + BUSY_AT] = words[at + BUSY_AT]! & ~(1 << (slot % WAYS));
      }
      Atomics.store(words, at, 0);
    },

    abandon(claim) {
      const slot = claim % SLOTS;
      const claimStamp = (claim - slot) / SLOTS;
      const at = BUCKETS_AT + ((slot / WAYS) | 0) * BUCKET_WORDS;
      const base = SLOTS_AT + slot * SLOT_WORDS;
      lock(at);
      if (words[base + META] === (STATE_IN_PROGRESS | (holder << 2)) && words[base + WHERE] === claimStamp) {
        words[base + META] = 0;
        words[at + EXPIRIES_AT + (slot % WAYS)] = since(Date.now());
        words[at + BUSY_AT] = words[at + BUSY_AT]! & ~(1 << (slot % WAYS));
      }
      Atomics.store(words, at, 0);
    },

    releaseOwner(dead) {
      const deadHolder = dead + 1;
      const time = since(Date.now());
      for (let bucket = 0; bucket < BUCKETS; bucket++) {
        const at = BUCKETS_AT + bucket * BUCKET_WORDS;
        Atomics.compareExchange(words, at, deadHolder, 0);
        lock(at);
        for (let way = 0; way < WAYS; way++) {
          const base = SLOTS_AT + (bucket * WAYS + way) * SLOT_WORDS;
          if (words[base + META] === (STATE_IN_PROGRESS | (deadHolder << 2))) {
            words[base + META] = 0;
            words[at + EXPIRIES_AT + way] = time;
            words[at + BUSY_AT] = words[at + BUSY_AT]! & ~(1 << way);
          }
        }
        Atomics.store(words, at, 0);
      }
    },
  };
}
