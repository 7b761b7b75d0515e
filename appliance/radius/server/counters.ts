// Per-worker RADIUS counters in a SharedArrayBuffer the main thread allocates. Each
// worker thread is the only writer of its own array (plain increments, no atomics on
// the packet path); the main thread sums the arrays when /metrics is scraped. The
// buffer outlives the thread, so a restarted worker keeps counting where its
// predecessor stopped and the totals never go backwards.
import type { RadiusDecodeReason } from '../decode-error.ts';

export const REQUEST_TYPES = ['access', 'accounting', 'status'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** How an Access-Accept was earned. */
export const ACCEPT_METHODS = ['pap', 'chap', 'mschapv2', 'mac', 'option82', 'captive'] as const;
export type AcceptMethod = (typeof ACCEPT_METHODS)[number];

export const REJECT_REASONS = [
  'unknown_user',
  'no_credentials',
  'missing_attribute',
  'malformed_attribute',
  'wrong_password',
  'unsupported_credential',
  /** RFC 3579 EAP and MS-CHAPv1 (RFC 2548 §2.1.3): not supported yet, refused. */
  'unsupported_eap',
  'unsupported_mschapv1',
  'disabled',
  'suspended',
  'captive_profile_missing',
  'simultaneous_use',
  'sessions_unavailable',
  'reply_failed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const ACCOUNTING_STATUSES = ['start', 'interim', 'stop', 'on', 'off', 'other'] as const;
export type AccountingStatusLabel = (typeof ACCOUNTING_STATUSES)[number];

const DECODE_REASONS = [
  'short_packet',
  'length_mismatch',
  'unknown_code',
  'truncated_attribute',
  'bad_attribute_length',
  'bad_value_length',
  'bad_vsa',
  'duplicate_message_authenticator',
] as const satisfies readonly RadiusDecodeReason[];

/** Every reason a datagram gets no answer. */
export const DROP_REASONS = [
  ...DECODE_REASONS,
  'unknown_client',
  'bad_authenticator',
  'missing_message_authenticator',
  'bad_message_authenticator',
  /** A code this port does not serve (replies, CoA, Access-Request on the accounting port). */
  'unexpected_code',
  'invalid_accounting',
  /** The spool did not confirm the record durable: no answer, the NAS retransmits. */
  'spool_unavailable',
  /** radius.cryptQueueLimit checks against crypt(3) hashes already waiting (a login storm). */
  'crypt_queue_full',
  'internal_error',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** RFC 5080 §2.2.2: answered from the cache, or dropped because the original is still in progress. */
export const DUPLICATE_OUTCOMES = ['cached', 'in_progress'] as const;
export type DuplicateOutcome = (typeof DUPLICATE_OUTCOMES)[number];

/** Upper bounds (seconds) of the request latency histogram. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
] as const;

// Layout: one block per label set, then per request type a histogram of
// LATENCY_BUCKETS.length non-cumulative counts + one overflow count, sum, count.
const HISTOGRAM_WORDS = LATENCY_BUCKETS.length + 3;
const OFFSETS = (() => {
  let at = 0;
  const take = (size: number) => {
    const start = at;
    at += size;
    return start;
  };
  return {
    requests: take(REQUEST_TYPES.length),
    accepts: take(ACCEPT_METHODS.length),
    rejects: take(REJECT_REASONS.length),
    accounting: take(ACCOUNTING_STATUSES.length),
    drops: take(DROP_REASONS.length),
    duplicates: take(DUPLICATE_OUTCOMES.length),
    // crypt(3) checks, and the pool tasks that carried them.
    crypt: take(2),
    latency: take(REQUEST_TYPES.length * HISTOGRAM_WORDS),
    size: at,
  };
})();

export function allocateCounters(): SharedArrayBuffer {
  return new SharedArrayBuffer(OFFSETS.size * Float64Array.BYTES_PER_ELEMENT);
}

const indexOf = <T extends string>(list: readonly T[], value: T): number => list.indexOf(value);

export type WorkerCounters = {
  request(type: RequestType): void;
  accept(method: AcceptMethod): void;
  reject(reason: RejectReason): void;
  accounting(status: AccountingStatusLabel): void;
  drop(reason: DropReason): void;
  duplicate(outcome: DuplicateOutcome): void;
  /** One task of `checks` crypt(3) checks sent to the worker's crypt pool. */
  cryptBatch(checks: number): void;
  /** Time from the datagram's arrival to the reply being handed to the socket. */
  latency(type: RequestType, seconds: number): void;
};

/** The writer's view: one worker thread. */
export function openWorkerCounters(buffer: SharedArrayBuffer): WorkerCounters {
  const values = new Float64Array(buffer);
  const bump = (at: number) => {
    values[at] = (values[at] ?? 0) + 1;
  };
  return {
    request: (type) => bump(OFFSETS.requests + indexOf(REQUEST_TYPES, type)),
    accept: (method) => bump(OFFSETS.accepts + indexOf(ACCEPT_METHODS, method)),
    reject: (reason) => bump(OFFSETS.rejects + indexOf(REJECT_REASONS, reason)),
    accounting: (status) => bump(OFFSETS.accounting + indexOf(ACCOUNTING_STATUSES, status)),
    drop: (reason) => bump(OFFSETS.drops + indexOf(DROP_REASONS, reason)),
    duplicate: (outcome) => bump(OFFSETS.duplicates + indexOf(DUPLICATE_OUTCOMES, outcome)),
    cryptBatch(checks) {
      values[OFFSETS.crypt] = (values[OFFSETS.crypt] ?? 0) + checks;
      bump(OFFSETS.crypt + 1);
    },
    latency(type, seconds) {
      const base = OFFSETS.latency + indexOf(REQUEST_TYPES, type) * HISTOGRAM_WORDS;
      let bucket = 0;
      while (bucket < LATENCY_BUCKETS.length && !(seconds <= LATENCY_BUCKETS[bucket]!)) bucket++;
      bump(base + bucket);
      values[base + LATENCY_BUCKETS.length + 1] = (values[base + LATENCY_BUCKETS.length + 1] ?? 0) + seconds;
      bump(base + LATENCY_BUCKETS.length + 2);
    },
  };
}

export type CounterTotals = {
  requests: Record<RequestType, number>;
  accepts: Record<AcceptMethod, number>;
  rejects: Record<RejectReason, number>;
  accounting: Record<AccountingStatusLabel, number>;
  drops: Record<DropReason, number>;
  duplicates: Record<DuplicateOutcome, number>;
  crypt: { checks: number; batches: number };
  /** Per request type: cumulative bucket counts (per LATENCY_BUCKETS), sum, count. */
  latency: Record<RequestType, { cumulative: number[]; sum: number; count: number }>;
};

/** The reader's view: sums of every worker's counters (main thread, at scrape time). */
export function sumCounters(buffers: readonly SharedArrayBuffer[]): CounterTotals {
  const total = new Float64Array(OFFSETS.size);
  for (const buffer of buffers) {
    const values = new Float64Array(buffer);
    for (let index = 0; index < total.length; index++) total[index] = (total[index] ?? 0) + (values[index] ?? 0);
  }
  const block = <T extends string>(list: readonly T[], offset: number) =>
    Object.fromEntries(list.map((name, index) => [name, total[offset + index] ?? 0])) as Record<T, number>;
  const latency = Object.fromEntries(
    REQUEST_TYPES.map((type, typeIndex) => {
      const base = OFFSETS.latency + typeIndex * HISTOGRAM_WORDS;
      let running = 0;
      const cumulative = LATENCY_BUCKETS.map((_, bucket) => (running += total[base + bucket] ?? 0));
      return [
        type,
        {
          cumulative,
          sum: total[base + LATENCY_BUCKETS.length + 1] ?? 0,
          count: total[base + LATENCY_BUCKETS.length + 2] ?? 0,
        },
      ];
    }),
  ) as CounterTotals['latency'];
  return {
    requests: block(REQUEST_TYPES, OFFSETS.requests),
    accepts: block(ACCEPT_METHODS, OFFSETS.accepts),
    rejects: block(REJECT_REASONS, OFFSETS.rejects),
    accounting: block(ACCOUNTING_STATUSES, OFFSETS.accounting),
    drops: block(DROP_REASONS, OFFSETS.drops),
    duplicates: block(DUPLICATE_OUTCOMES, OFFSETS.duplicates),
    crypt: { checks: total[OFFSETS.crypt] ?? 0, batches: total[OFFSETS.crypt + 1] ?? 0 },
    latency,
  };
}
