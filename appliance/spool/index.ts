// Public face of the accounting spool (spool.db under the data dir).
//
// Threading: exactly one thread owns the spool, the spool owner thread
// (owner-main.ts), started, restarted and closed by the main thread through
// startSpoolThread() (owner-thread.ts). It calls openSpool() and is the only writer of
// spool.db; it also runs the stale-session sweep and pruning. Every other thread (the
// RADIUS workers, the main thread) gets one end of a MessageChannel and calls
// connectSpool(port), which offers append / countLiveSessions / listLiveSessions /
// closeSession / readOutbox / markShipped with the same meaning as on the owner; the
// owner serves the other end with serveSpool(() => spool, port). Messages carry plain
// records (structured clone), and a client's appends from one event-loop turn travel
// as one message, so the owner sees few, large appends and its group commit fills its
// batches. The owner publishes its stats() into shared memory (stats-buffer.ts).
//
// Guarantees, on either side: append() resolves only after the transaction holding
// the records has committed and the WAL holding the commit has been fsynced
// (spool.ts); a record whose key is already stored resolves with duplicate: true and
// changes nothing; a rejected append means "not acknowledged": do not answer the
// NAS, it will retransmit.
//
// The owner thread runs each commit's statements synchronously (libSQL's file driver
// is synchronous underneath its promises); the fsync runs on a thread of its own
// (wal-sync.ts), which publishes how far the log is durable in shared memory
// (durable-waiter.ts): a client's append resolves when that counter reaches its
// commit, without a second message from the owner.
export { openSpool, SpoolClosedError, SpoolOverloadedError } from './spool.ts';
export type { AppendResult, CommittedAppend, OutboxEntry, Spool, SpoolOptions, SpoolStats } from './spool.ts';
export { SpoolSyncError } from './durable-waiter.ts';
export { connectSpool, serveSpool, SpoolRemoteError } from './port-protocol.ts';
export { startSpoolThread } from './owner-thread.ts';
export type { SpoolPortLease, SpoolThread, SpoolThreadStatus } from './owner-thread.ts';
export type { SpoolClient } from './port-protocol.ts';
export { combineOctets, recordKey, SpoolRecordError, toSpoolEntry } from './record.ts';
export type { AccountingRecord, AccountingStatus, SpoolEntry } from './record.ts';
export { applyClose, applyToSession, closeForNasRestart, staleAfterMs } from './session-state.ts';
export type { CloseReason, SessionRow, SessionStatus } from './session-state.ts';
