// The sessions table's state machine, as pure functions over one row. The spool loads
// the rows a batch touches, folds the batch's records through these in arrival order,
// and writes the rows back in the same transaction as the records.
//
// Times are the server's clock (eventAt = receipt − Acct-Delay-Time), never the NAS's,
// so they compare with the sweep's `now`. Counters only grow: a late Interim-Update
// cannot lower what a Stop reported.
import type { SpoolEntry } from './record.ts';

export type SessionStatus = 'open' | 'closed';

/**
 * Why a session closed: its Stop, the NAS rebooting (Accounting-On/Off), no interim for too long, or a Disconnect-ACK.
 */
export type CloseReason = 'stop' | 'nas-on' | 'nas-off' | 'stale' | 'disconnect';

export type SessionRow = {
  nasId: string;
  /** The NAS within its client (record.ts, AccountingRecord.nasIp): part of the session's identity. */
  nasIp: string;
  /**
   * Where CoA/Disconnect for this session goes: the NAS's own address as its last
   * accounting request gave it (accounting-request.ts decides which). Null only for
   * sessions from a spool older than schema 2 whose records carried none.
   */
  nasAddress: string | null;
  sessionId: string;
  username: string | null;
  subscriberId: string | null;
  status: SessionStatus;
  startedAt: number;
  updatedAt: number;
  closedAt: number | null;
  closeReason: CloseReason | null;
  sessionTime: number;
  inputOctets: number;
  outputOctets: number;
  inputPackets: number;
  outputPackets: number;
  framedIp: string | null;
  callingStationId: string | null;
  nasPortId: string | null;
  interimInterval: number | null;
  /** Seq of the last record folded into the row (the spool sets it; 0 in a row written before it was kept). */
  seq: number;
};

// Two estimates of one session's start (a Start's event time; an update's event time
// minus Acct-Session-Time) differ by the seconds between the NAS counting session time
// and sending the Start, plus one-second rounding of both attributes and of
// Acct-Delay-Time. Estimates further apart belong to different sessions.
const SAME_SESSION_TOLERANCE_MS = 30_000;

export function sessionKey(nasId: string, nasIp: string, sessionId: string): string {
  return `${nasId}\u0000${nasIp}\u0000${sessionId}`;
}

function startOf(entry: SpoolEntry): number {
  return entry.eventAt - (entry.sessionTime ?? 0) * 1000;
}

function freshSession(entry: SpoolEntry, sessionId: string): SessionRow {
  const closed = entry.kind === 'stop';
  return {
    nasId: entry.nasId,
    nasIp: entry.nasIp,
    nasAddress: entry.nasAddress,
    sessionId,
    username: entry.username,
    subscriberId: entry.subscriberId,
    status: closed ? 'closed' : 'open',
    startedAt: startOf(entry),
    updatedAt: entry.eventAt,
    closedAt: closed ? entry.eventAt : null,
    closeReason: closed ? 'stop' : null,
    sessionTime: entry.sessionTime ?? 0,
    inputOctets: entry.inputOctets ?? 0,
    outputOctets: entry.outputOctets ?? 0,
    inputPackets: entry.inputPackets ?? 0,
    outputPackets: entry.outputPackets ?? 0,
    framedIp: entry.framedIp,
    callingStationId: entry.callingStationId,
    nasPortId: entry.nasPortId,
    interimInterval: entry.interimInterval,
    seq: 0,
  };
}

function merged(current: SessionRow, entry: SpoolEntry): SessionRow {
  return {
    ...current,
    // The latest address wins: a NAS that renumbered is reached where it is now.
    nasAddress: entry.nasAddress ?? current.nasAddress,
    username: entry.username ?? current.username,
    subscriberId: entry.subscriberId ?? current.subscriberId,
    updatedAt: Math.max(current.updatedAt, entry.eventAt),
    sessionTime: Math.max(current.sessionTime, entry.sessionTime ?? 0),
    inputOctets: Math.max(current.inputOctets, entry.inputOctets ?? 0),
    outputOctets: Math.max(current.outputOctets, entry.outputOctets ?? 0),
    inputPackets: Math.max(current.inputPackets, entry.inputPackets ?? 0),
    outputPackets: Math.max(current.outputPackets, entry.outputPackets ?? 0),
    framedIp: entry.framedIp ?? current.framedIp,
    callingStationId: entry.callingStationId ?? current.callingStationId,
    nasPortId: entry.nasPortId ?? current.nasPortId,
    interimInterval: entry.interimInterval ?? current.interimInterval,
  };
}

/**
 * Folds a start, interim or stop into the session it belongs to.
 *
 * - No row yet: a Start or Interim opens one (an Interim stands in for a lost Start);
 *   a Stop records a closed one.
 * - A record whose session began clearly later than the row's is a new session reusing
 *   the id (NASes restart their counters after a reboot): it replaces the row. So does
 *   a Start after the NAS restarted (the row was closed by Accounting-On/Off).
 * - A record whose session began clearly earlier belongs to a session the row already
 *   replaced: it changes nothing.
 * - Otherwise merge. A Stop closes; a Start/Interim reopens a session the stale sweep
 *   closed (it proved alive); a Stop after a NAS-restart or stale close supplies the
 *   real end. Counters never go down.
 */
export function applyToSession(current: SessionRow | undefined, entry: SpoolEntry): SessionRow {
  const sessionId = entry.sessionId;
  if (sessionId === null) throw new Error(`session record without session id (${entry.kind})`);
  if (current === undefined) return freshSession(entry, sessionId);

  if (entry.kind === 'start' || entry.sessionTime !== null) {
    const start = startOf(entry);
    if (start > current.startedAt + SAME_SESSION_TOLERANCE_MS) return freshSession(entry, sessionId);
    if (start < current.startedAt - SAME_SESSION_TOLERANCE_MS) return current;
    const restarted = current.closeReason === 'nas-on' || current.closeReason === 'nas-off';
    if (entry.kind === 'start' && restarted && current.closedAt !== null && entry.eventAt >= current.closedAt)
      return freshSession(entry, sessionId);
  }

  const next = merged(current, entry);
  if (entry.kind === 'stop') {
    if (current.status === 'closed' && current.closeReason === 'stop') return next;
    return { ...next, status: 'closed', closedAt: entry.eventAt, closeReason: 'stop' };
  }
  if (current.status === 'closed' && current.closeReason === 'stale') {
    return { ...next, status: 'open', closedAt: null, closeReason: null };
  }
  return next;
}

/**
 * Accounting-On/Off (RFC 2866 §5.1): every session the NAS had open before it is over.
 * A session that started after the event (a Start that overtook the On) stays open.
 */
export function closeForNasRestart(current: SessionRow, entry: SpoolEntry): SessionRow {
  if (current.status !== 'open' || current.startedAt > entry.eventAt) return current;
  return {
    ...current,
    status: 'closed',
    closedAt: entry.eventAt,
    closeReason: entry.kind === 'off' ? 'nas-off' : 'nas-on',
  };
}

const CLOSE_REASONS: readonly CloseReason[] = ['stop', 'nas-on', 'nas-off', 'stale', 'disconnect'];

/**
 * A close the appliance decided itself (stale sweep, Disconnect-ACK), replayed from its
 * 'close' record. Only an open session closes, and only if the NAS has not been heard
 * from since the decision (the record's attributes.lastUpdateAt): an Interim-Update
 * that raced the sweep keeps the session open.
 */
export function applyClose(current: SessionRow | undefined, entry: SpoolEntry): SessionRow | undefined {
  if (current === undefined || current.status !== 'open') return current;
  const decidedAt = entry.attributes?.lastUpdateAt;
  if (typeof decidedAt === 'number' && current.updatedAt > decidedAt) return current;
  const reason = CLOSE_REASONS.find((candidate) => candidate === entry.terminateCause) ?? 'stale';
  return { ...current, status: 'closed', closedAt: entry.eventAt, closeReason: reason };
}

/** How long a session may go without an interim before the sweep closes it. */
export function staleAfterMs(
  row: Pick<SessionRow, 'interimInterval'>,
  factor: number,
  defaultInterimSeconds: number,
): number {
  return Math.ceil(factor * (row.interimInterval ?? defaultInterimSeconds) * 1000);
}
