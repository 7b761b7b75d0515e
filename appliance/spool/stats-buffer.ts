// The spool's stats in shared memory: the owner thread writes them after every commit
// (before the commit's appends resolve), the main thread reads them synchronously for
// /metrics and /health. One float64 per field; a reader may see one field of a
// commit newer than another, which is fine for gauges and counters.
//
// The buffer outlives the owner thread: a restarted owner adds its counts to what the
// previous one had counted, so the *_total metrics keep counting across restarts (as
// the RADIUS workers' counters do).
import type { SpoolStats } from './spool.ts';

const FIELDS = [
  'appended',
  'duplicates',
  'commits',
  'failedCommits',
  'lastBatchSize',
  'maxBatchSize',
  'commitMillisTotal',
  'queued',
  'depth',
  'shippedSeq',
  'lastSeq',
  'openSessions',
  'diskDuplicateProbes',
  'walSyncs',
  'lastCommitFailed',
  'backlogBytes',
  'backlogOldestAt',
  'prunedRecords',
] as const satisfies ReadonlyArray<keyof SpoolStats>;

/** Counted since the owner opened the spool: carried over from the previous owner. */
const CUMULATIVE: ReadonlySet<string> = new Set([
  'appended',
  'duplicates',
  'commits',
  'failedCommits',
  'commitMillisTotal',
  'diskDuplicateProbes',
  'walSyncs',
  'prunedRecords',
]);

export function allocateSpoolStats(): SharedArrayBuffer {
  return new SharedArrayBuffer(FIELDS.length * Float64Array.BYTES_PER_ELEMENT);
}

/** Owner side: returns a function that publishes `source.stats()`. */
export function writeSpoolStats(buffer: SharedArrayBuffer, source: { stats(): SpoolStats }): () => void {
  const view = new Float64Array(buffer);
  // What earlier owners counted.
  const base = FIELDS.map((field, index) => (CUMULATIVE.has(field) ? (view[index] ?? 0) : 0));
  return () => {
    const stats = source.stats();
    FIELDS.forEach((field, index) => {
      const value = stats[field];
      view[index] = (typeof value === 'boolean' ? Number(value) : value) + (base[index] ?? 0);
    });
  };
}

/** Reader side (main thread). */
export function readSpoolStats(buffer: SharedArrayBuffer): SpoolStats {
  const view = new Float64Array(buffer);
  const value = (field: (typeof FIELDS)[number]) => view[FIELDS.indexOf(field)] ?? 0;
  return {
    appended: value('appended'),
    duplicates: value('duplicates'),
    commits: value('commits'),
    failedCommits: value('failedCommits'),
    lastBatchSize: value('lastBatchSize'),
    maxBatchSize: value('maxBatchSize'),
    commitMillisTotal: value('commitMillisTotal'),
    queued: value('queued'),
    depth: value('depth'),
    shippedSeq: value('shippedSeq'),
    lastSeq: value('lastSeq'),
    openSessions: value('openSessions'),
    diskDuplicateProbes: value('diskDuplicateProbes'),
    walSyncs: value('walSyncs'),
    lastCommitFailed: value('lastCommitFailed') !== 0,
    backlogBytes: value('backlogBytes'),
    backlogOldestAt: value('backlogOldestAt'),
    prunedRecords: value('prunedRecords'),
  };
}
