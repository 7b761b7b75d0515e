// The spool's sessions: every open session lives in memory (Simultaneous-Use counts
// are Map lookups). Changed sessions are written to session_rows every sessionFlushMs,
// a slice at a time, each row with the seq of the last record folded into it, and
// sessions_seq with the last record before the oldest change not yet written; on open,
// records after sessions_seq are replayed (skipping what a row already has), so a
// crash loses nothing and folds nothing twice. session-state.ts holds the state
// machine of one row; this file holds the rows.
import type { Client } from '@libsql/client';
import { recordKey } from './record.ts';
import type { SpoolEntry } from './record.ts';
import type { RecordWriter } from './record-writer.ts';
import { SESSION_ROW_COLUMNS, sessionCells, sessionFromCells } from './session-body.ts';
import { applyClose, applyToSession, closeForNasRestart, sessionKey } from './session-state.ts';
import type { CloseReason, SessionRow } from './session-state.ts';

export type SessionTable = {
  /**
   * Folds entries (with their seqs) into session state without touching memory: the
   * caller applies the returned rows (apply) only once the records are committed.
   */
  fold(entries: readonly SpoolEntry[], seqs: readonly number[]): Map<string, SessionRow>;
  /** Takes a fold's rows into memory; `firstSeq`: the seq of the first record folded into them. */
  apply(overlay: Map<string, SessionRow>, firstSeq: number): void;
  /**
   * Writes the `limit` oldest dirty sessions and moves sessions_seq up to just before
   * the oldest change still unwritten (to `lastSeq` once none is). Returns how many it wrote.
   */
  write(limit: number, lastSeq: number): number;
  /** Sessions changed since their last write. */
  readonly dirtyCount: number;
  /** Every record through this seq is in session_rows. */
  readonly sessionsSeq: number;
  /**
   * The open session `sessionId` of client `nasId` whose NAS is `address`: its nasIp, or
   * where CoA reaches it (a NAS behind NAT names itself by an address CoA cannot use), or
   * a session whose records named no NAS ('': the client is one NAS).
   */
  findOpen(nasId: string, sessionId: string, address: string): SessionRow | undefined;
  /** Open sessions of `username` for which `live` holds. */
  openOf(username: string, live: (row: SessionRow) => boolean): SessionRow[];
  openRows(): IterableIterator<SessionRow>;
  readonly openCount: number;
};

export async function openSessionTable(client: Client, writer: RecordWriter): Promise<SessionTable> {
  let sessionsSeq = Number(
    (await client.execute("SELECT value FROM spool_meta WHERE key = 'sessions_seq'")).rows[0]?.value ?? 0,
  );
  const openSessions = new Map<string, SessionRow>();
  const openByUser = new Map<string, Set<string>>();
  // Changed since their last write to session_rows (open or closed), in the order they
  // first changed: the sessions write takes them oldest first, a slice at a time.
  const dirty = new Map<string, SessionRow>();
  // Seq of a commit's first record, for each session that commit made dirty: every
  // record before the oldest dirty session's is in session_rows (sessions_seq).
  const dirtySince = new Map<string, number>();

  const indexOpen = (key: string, row: SessionRow) => {
    const previous = openSessions.get(key);
    if (previous?.username != null && previous.username !== row.username)
      openByUser.get(previous.username)?.delete(key);
    if (row.status === 'open') {
      openSessions.set(key, row);
      if (row.username !== null) {
        let keys = openByUser.get(row.username);
        if (keys === undefined) {
          keys = new Set();
          openByUser.set(row.username, keys);
        }
        keys.add(key);
      }
    } else {
      openSessions.delete(key);
      if (previous?.username != null) {
        const keys = openByUser.get(previous.username);
        keys?.delete(key);
        if (keys?.size === 0) openByUser.delete(previous.username);
      }
    }
  };

  const stored = await client.execute(
    `SELECT ${SESSION_ROW_COLUMNS.join(', ')} FROM session_rows WHERE status = 'open'`,
  );
  for (const row of stored.rows) {
    const session = sessionFromCells(row);
    indexOpen(sessionKey(session.nasId, session.nasIp, session.sessionId), session);
  }

  const loadSessions = (wanted: Array<[string, string, string]>): Map<string, SessionRow> => {
    const rows = new Map<string, SessionRow>();
    for (const row of writer.readSessions(wanted)) {
      const session = sessionFromCells(row);
      rows.set(sessionKey(session.nasId, session.nasIp, session.sessionId), session);
    }
    return rows;
  };

  // A record at or before a row's seq is already in it: replay after a crash re-reads
  // records that a sessions write had already folded into some rows (sessions_seq is
  // the oldest unwritten change, not the newest written one).
  const fold = (entries: readonly SpoolEntry[], seqs: readonly number[]): Map<string, SessionRow> => {
    const overlay = new Map<string, SessionRow>();
    // Each entry's session key, made once ('' for On/Off, which have none).
    const keys = entries.map((entry) =>
      entry.sessionId === null ? '' : sessionKey(entry.nasId, entry.nasIp, entry.sessionId),
    );
    const missing = new Map<string, [string, string, string]>();
    entries.forEach((entry, index) => {
      const key = keys[index] ?? '';
      if (entry.sessionId !== null && !openSessions.has(key) && !dirty.has(key)) {
        missing.set(key, [entry.nasId, entry.nasIp, entry.sessionId]);
      }
    });
    const loaded = missing.size > 0 ? loadSessions([...missing.values()]) : undefined;
    const current = (key: string) => overlay.get(key) ?? openSessions.get(key) ?? dirty.get(key) ?? loaded?.get(key);

    const folded = (key: string, row: SessionRow | undefined, next: SessionRow | undefined, seq: number) => {
      if (next === undefined || next === row) return;
      // Every changed row is a new object (session-state.ts), ours to stamp.
      next.seq = seq;
      overlay.set(key, next);
    };
    entries.forEach((entry, index) => {
      const seq = seqs[index] ?? 0;
      if (entry.kind === 'on' || entry.kind === 'off') {
        // Only this NAS's sessions: its client may be a whole fleet.
        const ofNas = (row: SessionRow) => row.nasId === entry.nasId && row.nasIp === entry.nasIp;
        const closing = new Set<string>();
        for (const [key, row] of openSessions) if (ofNas(row)) closing.add(key);
        for (const [key, row] of overlay) if (ofNas(row) && row.status === 'open') closing.add(key);
        for (const key of closing) {
          const row = current(key);
          if (row === undefined || row.seq >= seq) continue;
          folded(key, row, closeForNasRestart(row, entry), seq);
        }
        return;
      }
      if (entry.sessionId === null) return;
      const key = keys[index] ?? '';
      const row = current(key);
      if (row !== undefined && row.seq >= seq) return;
      folded(key, row, entry.kind === 'close' ? applyClose(row, entry) : applyToSession(row, entry), seq);
    });
    return overlay;
  };

  return {
    fold,
    apply(overlay, firstSeq) {
      for (const [key, row] of overlay) {
        if (!dirty.has(key)) dirtySince.set(key, firstSeq);
        dirty.set(key, row);
        indexOpen(key, row);
      }
    },
    // They stay dirty until the write succeeded.
    write(limit, lastSeq) {
      if (dirty.size === 0 && sessionsSeq === lastSeq) return 0;
      const keys: string[] = [];
      const rows: SessionRow[] = [];
      let through = lastSeq;
      for (const [key, row] of dirty) {
        if (rows.length === limit) {
          through = (dirtySince.get(key) ?? 1) - 1;
          break;
        }
        keys.push(key);
        rows.push(row);
      }
      writer.writeSessions(rows.map(sessionCells), through);
      for (const key of keys) {
        dirty.delete(key);
        dirtySince.delete(key);
      }
      sessionsSeq = through;
      return rows.length;
    },
    get dirtyCount() {
      return dirty.size;
    },
    get sessionsSeq() {
      return sessionsSeq;
    },
    findOpen(nasId, sessionId, address) {
      const row =
        openSessions.get(sessionKey(nasId, address, sessionId)) ?? openSessions.get(sessionKey(nasId, '', sessionId));
      if (row !== undefined) return row;
      // A walk over every open session, for the rare NAS whose nasIp CoA cannot reach.
      for (const candidate of openSessions.values()) {
        if (candidate.nasId === nasId && candidate.sessionId === sessionId && candidate.nasAddress === address) {
          return candidate;
        }
      }
      return undefined;
    },
    openOf(username, live) {
      const rows: SessionRow[] = [];
      for (const key of openByUser.get(username) ?? []) {
        const row = openSessions.get(key);
        if (row !== undefined && live(row)) rows.push(row);
      }
      return rows;
    },
    openRows: () => openSessions.values(),
    get openCount() {
      return openSessions.size;
    },
  };
}

/** A 'close' record: the appliance closed a session itself; the edge and replay learn it from the log. */
export function closeEntry(row: SessionRow, reason: CloseReason, at: number): SpoolEntry {
  const entry: SpoolEntry = {
    key: '',
    kind: 'close',
    nasId: row.nasId,
    nasIp: row.nasIp,
    nasAddress: null,
    receivedAt: at,
    eventAt: at,
    sessionId: row.sessionId,
    username: row.username,
    subscriberId: row.subscriberId,
    sessionTime: row.sessionTime,
    inputOctets: row.inputOctets,
    outputOctets: row.outputOctets,
    inputPackets: row.inputPackets,
    outputPackets: row.outputPackets,
    terminateCause: reason,
    framedIp: row.framedIp,
    callingStationId: row.callingStationId,
    nasPortId: row.nasPortId,
    interimInterval: row.interimInterval,
    eventTimestamp: null,
    attributes: { lastUpdateAt: row.updatedAt },
    framedIpv6Prefix: null,
    delegatedIpv6Prefix: null,
    nasPort: null,
    nasPortType: null,
    calledStationId: null,
    nasIdentifier: null,
    class: null,
    multiSessionId: null,
  };
  entry.key = recordKey(entry, 0);
  return entry;
}
