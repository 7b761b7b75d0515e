// PAP against crypt(3) hashes, off the packet loop.
//
// Measured here (Node 24, 2 vCPUs): MD5-crypt 1.1 ms, SHA-256-crypt 14.7 ms,
// SHA-512-crypt 16.0 ms per check, against ~20 µs for a whole PAP request with a
// cleartext or digest credential. Inline, one SHA-crypt user would stall every other
// request on that worker for 16 ms. So each worker thread owns a small Piscina pool
// (one thread, started on first use, stopped when idle) and sends it the checks
// gathered during one event-loop turn as one task: never one task per packet
// (DESIGN.md: per-packet tasks cost 3–4× the RADIUS work).
import { Piscina } from 'piscina';
import type { CryptCheck } from './crypt-task.ts';

//
// The queue is bounded (issue 12 item 7, login storms): a check beyond `maxPending`
// waiting or running is refused at once, and the caller drops the request (the NAS
// retransmits later) rather than answering it long after the NAS gave up.
export type CryptChecker = {
  /** Undefined when `maxPending` checks are already waiting or running. */
  verify(password: Buffer, hash: string): Promise<boolean> | undefined;
  close(): Promise<void>;
};

export type CryptCheckerOptions = {
  maxPending: number;
  /** Learns the size of each task sent to the pool (metrics). */
  onBatch?: (checks: number) => void;
};

const MAX_BATCH = 64;

export function createCryptChecker(options: CryptCheckerOptions): CryptChecker {
  const onBatch = options.onBatch ?? (() => undefined);
  let pool: Piscina | null = null;
  let pending = 0;
  let batch: Array<{ check: CryptCheck; resolve: (ok: boolean) => void; reject: (error: unknown) => void }> = [];

  const send = () => {
    const current = batch;
    if (current.length === 0) return;
    batch = [];
    pool ??= new Piscina({
      filename: new URL('./crypt-task.ts', import.meta.url).href,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 30_000,
    });
    const checks = current.map((entry) => entry.check);
    onBatch(checks.length);
    (pool.run(checks) as Promise<boolean[]>)
      .then(
        (results) => current.forEach((entry, index) => entry.resolve(results[index] === true)),
        (error: unknown) => current.forEach((entry) => entry.reject(error)),
      )
      .finally(() => (pending -= current.length));
  };

  return {
    verify(password, hash) {
      if (pending >= options.maxPending) return undefined;
      pending++;
      return new Promise((resolve, reject) => {
        if (batch.length === 0) setImmediate(send);
        // A copy travels to the pool; the caller zeroes its own buffer.
        batch.push({ check: { password: new Uint8Array(password), hash }, resolve, reject });
        if (batch.length >= MAX_BATCH) send();
      });
    },
    async close() {
      await pool?.destroy();
      pool = null;
    },
  };
}
