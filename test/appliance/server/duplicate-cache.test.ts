// The shared RFC 5080 duplicate table on its own: outcomes of begin(), what makes a
// key, expiry, abandon, the reply ring wrapping and overwriting, another thread's
// entries, and a dead owner's in-progress entries.
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  allocateDuplicateCache,
  DUPLICATE_WINDOW_MS,
  IN_PROGRESS,
  openDuplicateCache,
} from '../../../appliance/radius/server/duplicate-cache.ts';

const T0 = 1_760_000_000_000;
const request = (identifier = 9) => {
  const datagram = randomBytes(60);
  datagram[0] = 1;
  datagram[1] = identifier;
  return datagram;
};
const claimOf = (outcome: Buffer | number): number => {
  if (typeof outcome !== 'number' || outcome < 0) throw new Error(`expected a claim, got ${String(outcome)}`);
  return outcome;
};

describe('duplicate cache', () => {
  it('claims a new request, drops its duplicate while in progress, then answers it from the cache', () => {
    const cache = openDuplicateCache(allocateDuplicateCache(T0), 0);
    const datagram = request();
    const claim = claimOf(cache.begin(datagram, '192.0.2.1', 1812, T0));
    expect(cache.begin(datagram, '192.0.2.1', 1812, T0 + 10)).toBe(IN_PROGRESS);
    const reply = randomBytes(100);
    cache.complete(claim, reply, T0 + 20);
    const cached = cache.begin(datagram, '192.0.2.1', 1812, T0 + 1_000);
    expect(Buffer.isBuffer(cached) && cached.equals(reply)).toBe(true);
    // A copy: the ring's bytes are not handed out.
    (cached as Buffer).fill(0);
    expect(cache.begin(datagram, '192.0.2.1', 1812, T0 + 1_001)).toEqual(reply);
  });

  // Issue 12 item 7: a PAP check queued behind a crypt(3) storm can take longer than
  // the window; its retransmits must still be dropped, not queued for a second check.
  it('keeps a request in progress past the window until it is answered', () => {
    const cache = openDuplicateCache(allocateDuplicateCache(T0), 0);
    const datagram = request();
    const claim = claimOf(cache.begin(datagram, '192.0.2.1', 1812, T0));
    expect(cache.begin(datagram, '192.0.2.1', 1812, T0 + DUPLICATE_WINDOW_MS + 1)).toBe(IN_PROGRESS);
    expect(cache.begin(datagram, '192.0.2.1', 1812, T0 + 3 * DUPLICATE_WINDOW_MS)).toBe(IN_PROGRESS);
    const reply = randomBytes(40);
    cache.complete(claim, reply, T0 + 3 * DUPLICATE_WINDOW_MS + 10);
    // The window starts when the reply is stored.
    expect(cache.begin(datagram, '192.0.2.1', 1812, T0 + 4 * DUPLICATE_WINDOW_MS)).toEqual(reply);
    expect(cache.begin(datagram, '192.0.2.1', 1812, T0 + 5 * DUPLICATE_WINDOW_MS)).toBeGreaterThanOrEqual(0);
  });

  it('tells requests apart by address, port, Identifier and Request Authenticator', () => {
    const cache = openDuplicateCache(allocateDuplicateCache(T0), 0);
    const datagram = request(9);
    cache.complete(claimOf(cache.begin(datagram, '192.0.2.1', 1812, T0)), randomBytes(20), T0);
    const otherIdentifier = Buffer.from(datagram);
    otherIdentifier[1] = 10;
    const otherAuthenticator = Buffer.from(datagram);
    otherAuthenticator[19] = (otherAuthenticator[19] ?? 0) ^ 1;
    // Octets outside the key (code, length, attributes) do not matter.
    const sameKey = Buffer.from(datagram);
    sameKey[30] = (sameKey[30] ?? 0) ^ 0xff;
    expect(typeof cache.begin(datagram, '192.0.2.2', 1812, T0)).toBe('number');
    expect(typeof cache.begin(datagram, '192.0.2.1', 1813, T0)).toBe('number');
    expect(typeof cache.begin(otherIdentifier, '192.0.2.1', 1812, T0)).toBe('number');
    expect(typeof cache.begin(otherAuthenticator, '192.0.2.1', 1812, T0)).toBe('number');
    expect(Buffer.isBuffer(cache.begin(sameKey, '192.0.2.1', 1812, T0))).toBe(true);
  });

  it('forgets a reply after the window and an abandoned request at once', () => {
    const cache = openDuplicateCache(allocateDuplicateCache(T0), 0);
    const answered = request();
    cache.complete(claimOf(cache.begin(answered, '192.0.2.1', 1812, T0)), randomBytes(20), T0);
    expect(Buffer.isBuffer(cache.begin(answered, '192.0.2.1', 1812, T0 + DUPLICATE_WINDOW_MS - 1))).toBe(true);
    expect(cache.begin(answered, '192.0.2.1', 1812, T0 + DUPLICATE_WINDOW_MS + 1)).toBeGreaterThanOrEqual(0);

    const dropped = request();
    cache.abandon(claimOf(cache.begin(dropped, '192.0.2.1', 1812, Date.now())));
    expect(cache.begin(dropped, '192.0.2.1', 1812, Date.now())).toBeGreaterThanOrEqual(0);
  });

  it('reads replies that wrap around the ring, and never one the ring has overwritten', () => {
    const cache = openDuplicateCache(allocateDuplicateCache(T0), 0);
    // 17,000 replies of 4,093 octets: more than the 64 MiB ring, and one straddles its end.
    const datagrams = Array.from({ length: 17_000 }, (_, index) => request(index & 0xff));
    const replies = datagrams.map((_, index) => Buffer.alloc(4_093, index & 0xff));
    datagrams.forEach((datagram, index) => {
      const reply = replies[index]!;
      reply.writeUInt32BE(index, 0);
      cache.complete(claimOf(cache.begin(datagram, '192.0.2.1', 1812, T0)), reply, T0);
    });
    expect(cache.begin(datagrams[0]!, '192.0.2.1', 1812, T0)).toBeGreaterThanOrEqual(0);
    const wrapAt = Math.floor((64 * 1024 * 1024) / 4_093);
    for (const index of [wrapAt - 1, wrapAt, wrapAt + 1, 16_999]) {
      expect(cache.begin(datagrams[index]!, '192.0.2.1', 1812, T0), `reply ${index}`).toEqual(replies[index]);
    }
  });

  it('answers from another thread’s entry, and frees a dead thread’s in-progress entries only', async () => {
    const buffer = allocateDuplicateCache(T0);
    const main = openDuplicateCache(buffer, 0);
    const inWorker = (owner: number, datagram: Buffer, reply: Buffer, finish: boolean) =>
      new Promise<number | string>((resolve, reject) => {
        const worker = new Worker(new URL('./duplicate-cache-worker.ts', import.meta.url), {
          workerData: { buffer, owner, datagram, reply, now: T0, finish },
        });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    const answered = request(1);
    const reply = randomBytes(40);
    expect(await inWorker(1, answered, reply, true)).toBeGreaterThanOrEqual(0);
    expect(main.begin(answered, '192.0.2.7', 40_000, T0 + 100)).toEqual(reply);

    const stuck = request(2);
    expect(await inWorker(1, stuck, reply, false)).toBeGreaterThanOrEqual(0);
    const mine = request(3);
    claimOf(main.begin(mine, '192.0.2.7', 40_000, T0));
    expect(main.begin(stuck, '192.0.2.7', 40_000, T0 + 100)).toBe(IN_PROGRESS);
    main.releaseOwner(1);
    expect(main.begin(stuck, '192.0.2.7', 40_000, T0 + 200)).toBeGreaterThanOrEqual(0);
    expect(main.begin(mine, '192.0.2.7', 40_000, T0 + 200)).toBe(IN_PROGRESS);
    expect(main.begin(answered, '192.0.2.7', 40_000, T0 + 200)).toEqual(reply);
  });
});
