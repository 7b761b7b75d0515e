// RADIUS Identifiers for requests to one NAS (one destination address and port; we
// send from one socket per address family, so that is one identifier space, RFC 2865
// §3 / RFC 5080 §2.2.2). An identifier stays taken while its request is in flight,
// retransmissions included (they reuse it, RFC 5080 §2.2.1); identifiers are handed
// out round-robin so a just-released one is the last to come back, which keeps a late
// reply to an abandoned request away from the next request for as long as possible.
// With all 256 in flight, callers wait in FIFO order.
import { randomInt } from 'node:crypto';

const SPACE = 256;

export type IdentifierPool = {
  /** The next free identifier, waiting while all 256 are in flight. */
  acquire(): Promise<number>;
  release(identifier: number): void;
};

export function createIdentifierPool(): IdentifierPool {
  const inFlight = new Uint8Array(SPACE);
  // A random start: after a restart, the first ids do not repeat the last run's.
  let cursor = randomInt(SPACE);
  const waiters: Array<(identifier: number) => void> = [];

  const take = (): number => {
    for (let step = 0; step < SPACE; step++) {
      const identifier = (cursor + step) % SPACE;
      if (inFlight[identifier] === 0) {
        inFlight[identifier] = 1;
        cursor = (identifier + 1) % SPACE;
        return identifier;
      }
    }
    return -1;
  };

  return {
    acquire() {
      const identifier = take();
      if (identifier >= 0) return Promise.resolve(identifier);
      return new Promise((resolve) => waiters.push(resolve));
    },
    release(identifier) {
      if (inFlight[identifier] !== 1) throw new Error(`identifier ${identifier} is not in flight`);
      inFlight[identifier] = 0;
      const next = waiters.shift();
      if (next !== undefined) next(take());
    },
  };
}
