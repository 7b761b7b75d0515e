// Public face of the accounting spool (spool.db under the data dir).
//
// Threading: exactly one thread owns the spool: it calls openSpool() and is the only
// writer of spool.db (main.ts does this in the main thread). RADIUS worker threads
// never open the file. Each gets one end of a MessageChannel and calls
// connectSpool(port), which offers append / countLiveSessions / closeSession with the
// same meaning as on the owner; the owner serves the other end with
// serveSpool(spool, port). Messages carry plain records (structured clone), and a
// worker's appends from one event-loop turn travel as one message, so the owner sees
// few, large appends and its group commit fills its batches.
//
// Guarantees, on either side: append() resolves only after the transaction holding
// the records has committed with synchronous=FULL (fsync); a record whose key is
// already stored resolves with duplicate: true and changes nothing; a rejected
// append means "not acknowledged": do not answer the NAS, it will retransmit.
//
// Moving the owner to a dedicated worker thread changes nothing for the RADIUS
// workers: that worker runs openSpool() + serveSpool() for each port it is handed,
// plus the periodic jobs main.ts runs today (stale sweep, pruning, outbox drain).
// The spool owner's thread blocks during each commit's fsync (libSQL's file driver
// is synchronous underneath its promises); keep latency-sensitive work elsewhere.
export { openSpool, SpoolClosedError, SpoolOverloadedError } from './spool.ts';
export type { AppendResult, OutboxEntry, Spool, SpoolOptions, SpoolStats } from './spool.ts';
export { connectSpool, serveSpool, SpoolRemoteError } from './port-protocol.ts';
export type { SpoolClient } from './port-protocol.ts';
export { combineOctets, recordKey, SpoolRecordError, toSpoolEntry } from './record.ts';
export type { AccountingRecord, AccountingStatus, SpoolEntry } from './record.ts';
export { applyClose, applyToSession, closeForNasRestart, staleAfterMs } from './session-state.ts';
export type { CloseReason, SessionRow, SessionStatus } from './session-state.ts';
