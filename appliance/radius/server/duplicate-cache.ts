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
// Layout: BUCKETS buckets of WAYS slots. A key hashes to one bucket; the bucket is
// guarded by a spin lock (Int32, holder = worker index + 1) held for a few hundred
// nanoseconds, never across an await. Reply bytes go into a ring (the arena) at a
// monotonically increasing position; a cached reply whose bytes the ring has since
// overwritten is treated as absent (the request is processed again; accounting
// records are idempotent in the spool, so that cannot double-count). A full bucket
// evicts the entry expiring first.
//
// Key: the 16-octet Request Authenticator (random for Access-Request, an MD5 over
// the packet for accounting), Identifier, source port and a 32-bit hash of the
// source address. Requests reach this table only after their signature verified, so
// an attacker without the NAS secret cannot plant entries; the address hash can only
// collide for two NASes that also share port, Identifier and a 128-bit authenticator.

const BUCKETS = 32_768;
const WAYS = 8;
const SLOTS = BUCKETS * WAYS;
// Slot words: authenticator (4), identifier|port (1), address hash (1), state (1), owner (1).
const SLOT_WORDS = 8;
const STATE_EMPTY = 0;
const STATE_IN_PROGRESS = 1;
const STATE_DONE = 2;
/** Replies kept: 32 MiB ≈ 300,000 typical replies (Access-Accepts of ~100 octets, 20-octet Accounting-Responses). */
const ARENA_BYTES = 32 * 1024 * 1024;

const LOCKS_BYTES = BUCKETS * 4;
const SLOTS_BYTES = SLOTS * SLOT_WORDS * 4;
const FLOATS_BYTES = SLOTS * 8;
const CURSOR_BYTES = 8;

/** How long a reply stays cached: RFC 5080 §2.2.2 suggests a few seconds; FreeRADIUS uses 5. */
export const DUPLICATE_WINDOW_MS = 5_000;

export function allocateDuplicateCache(): SharedArrayBuffer {
  return new SharedArrayBuffer(CURSOR_BYTES + LOCKS_BYTES + SLOTS_BYTES + 2 * FLOATS_BYTES + ARENA_BYTES);
}

/** The identity of one request (RFC 5080 §2.2.2). */
export type RequestKey = {
  readonly address: string;
  readonly port: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
};

export type Lookup =
  | { readonly kind: 'new'; readonly slot: number }
  | { readonly kind: 'cached'; readonly reply: Buffer }
  | { readonly kind: 'in_progress' };

export type DuplicateCache = {
  /** Looks `key` up; when new, claims a slot the caller must complete() or abandon(). */
  begin(key: RequestKey, now: number): Lookup;
  /** Stores the reply sent for the request claimed in `slot`. */
  complete(slot: number, key: RequestKey, reply: Buffer, now: number): void;
  /** The request got no reply (dropped, not acknowledged): let its retransmit be processed. */
  abandon(slot: number, key: RequestKey): void;
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

/** The main thread's owner id (workers use their index, 0-based). */
export const MAIN_THREAD_OWNER = 0xffff;

/** `owner` identifies the thread: a worker index, or MAIN_THREAD_OWNER. */
export function openDuplicateCache(buffer: SharedArrayBuffer, owner: number): DuplicateCache {
  let at = 0;
  const cursor = new BigInt64Array(buffer, at, 1);
  at += CURSOR_BYTES;
  const locks = new Int32Array(buffer, at, BUCKETS);
  at += LOCKS_BYTES;
  const slots = new Int32Array(buffer, at, SLOTS * SLOT_WORDS);
  at += SLOTS_BYTES;
  const expiries = new Float64Array(buffer, at, SLOTS);
  at += FLOATS_BYTES;
  const positions = new Float64Array(buffer, at, SLOTS);
  at += FLOATS_BYTES;
  const arena = new Uint8Array(buffer, at, ARENA_BYTES);
  const holder = owner + 1;
  const words = new Int32Array(6);

  const load = (key: RequestKey) => {
    const auth = key.authenticator;
    words[0] = auth.readInt32BE(0);
    words[1] = auth.readInt32BE(4);
    words[2] = auth.readInt32BE(8);
    words[3] = auth.readInt32BE(12);
    words[4] = (key.identifier << 16) | key.port;
    words[5] = hashAddress(key.address);
    let hash = 0;
    for (let index = 0; index < 6; index++) hash = Math.imul(hash ^ (words[index] ?? 0), 0x9e3779b1);
    return ((hash ^ (hash >>> 15)) >>> 0) % BUCKETS;
  };

  const matches = (slot: number) => {
    const base = slot * SLOT_WORDS;
    for (let index = 0; index < 6; index++) if (slots[base + index] !== words[index]) return false;
    return true;
  };

  const lock = (bucket: number) => {
    // Held for a few hundred nanoseconds by another thread at most: spin.
    while (Atomics.compareExchange(locks, bucket, 0, holder) !== 0);
  };
  const unlock = (bucket: number) => Atomics.store(locks, bucket, 0);

  const readReply = (slot: number, length: number): Buffer | undefined => {
    const position = positions[slot] ?? 0;
    const start = position % ARENA_BYTES;
    const reply = Buffer.allocUnsafe(length);
    const first = Math.min(length, ARENA_BYTES - start);
    reply.set(arena.subarray(start, start + first), 0);
    if (first < length) reply.set(arena.subarray(0, length - first), first);
    // Reservations advance the cursor before their bytes are written: if the cursor
    // moved a full ring past our start, the bytes may be another reply's.
    return Number(Atomics.load(cursor, 0)) - position <= ARENA_BYTES - length ? reply : undefined;
  };

  return {
    begin(key, now) {
      const bucket = load(key);
      const first = bucket * WAYS;
      lock(bucket);
      try {
        let victim = -1;
        let victimExpiry = Infinity;
        for (let slot = first; slot < first + WAYS; slot++) {
          const state = slots[slot * SLOT_WORDS + 6];
          const expiry = expiries[slot] ?? 0;
          if (state !== STATE_EMPTY && expiry > now && matches(slot)) {
            if (state === STATE_IN_PROGRESS) return { kind: 'in_progress' };
            const reply = readReply(slot, slots[slot * SLOT_WORDS + 7] ?? 0);
            if (reply !== undefined) return { kind: 'cached', reply };
            victim = slot;
            break;
          }
          const free = state === STATE_EMPTY || expiry <= now ? -Infinity : expiry;
          if (free < victimExpiry) {
            victim = slot;
            victimExpiry = free;
          }
        }
        const base = victim * SLOT_WORDS;
        for (let index = 0; index < 6; index++) slots[base + index] = words[index] ?? 0;
        slots[base + 6] = STATE_IN_PROGRESS;
        slots[base + 7] = holder;
        expiries[victim] = now + DUPLICATE_WINDOW_MS;
        return { kind: 'new', slot: victim };
      } finally {
        unlock(bucket);
      }
    },
    complete(slot, key, reply, now) {
      const position = Number(Atomics.add(cursor, 0, BigInt(reply.length)));
      const start = position % ARENA_BYTES;
      const first = Math.min(reply.length, ARENA_BYTES - start);
      arena.set(reply.subarray(0, first), start);
      if (first < reply.length) arena.set(reply.subarray(first), 0);
      const bucket = load(key);
      lock(bucket);
      try {
        // Evicted meanwhile (a full bucket under extreme load): nothing to update.
        if (!matches(slot) || slots[slot * SLOT_WORDS + 6] !== STATE_IN_PROGRESS) return;
        slots[slot * SLOT_WORDS + 6] = STATE_DONE;
        slots[slot * SLOT_WORDS + 7] = reply.length;
        positions[slot] = position;
        expiries[slot] = now + DUPLICATE_WINDOW_MS;
      } finally {
        unlock(bucket);
      }
    },
    abandon(slot, key) {
      const bucket = load(key);
      lock(bucket);
      try {
        if (matches(slot) && slots[slot * SLOT_WORDS + 6] === STATE_IN_PROGRESS) slots[slot * SLOT_WORDS + 6] = STATE_EMPTY;
      } finally {
        unlock(bucket);
      }
    },
    releaseOwner(dead) {
      const deadHolder = dead + 1;
      for (let bucket = 0; bucket < BUCKETS; bucket++) {
        Atomics.compareExchange(locks, bucket, deadHolder, 0);
        lock(bucket);
        for (let slot = bucket * WAYS; slot < (bucket + 1) * WAYS; slot++) {
          const base = slot * SLOT_WORDS;
          if (slots[base + 6] === STATE_IN_PROGRESS && slots[base + 7] === deadHolder) slots[base + 6] = STATE_EMPTY;
        }
        unlock(bucket);
      }
    },
  };
}
