// How the spool stores a session (table session_rows, schema v4; nas_ip in the key since
// v5): the key, the status and the close time as columns (lookups, loading the open
// sessions, pruning), the rest as one JSON array in `body`, in the field order below.
// The driver binds a statement's values one by one at about a quarter of a microsecond
// each, and a 19-column upsert cost ~15 µs per session on the spool owner under
// accounting load (more than SQLite's own work); six values cost about half that. The `sessions` view shows one column
// per field, as the table did before v4, for operators and tests (sessionsViewSql).
import type { Cell } from '../local-db.ts';
import { snakeCase } from './record-chunk.ts';
import type { CloseReason, SessionRow } from './session-state.ts';

/** Position of each field in a session's body. Append new fields at the end (old bodies lack them: null). */
export const SESSION_BODY_FIELDS = [
  'username',
  'subscriberId',
  'startedAt',
  'updatedAt',
  'closeReason',
  'sessionTime',
  'inputOctets',
  'outputOctets',
  'inputPackets',
  'outputPackets',
  'framedIp',
  'callingStationId',
  'nasPortId',
  'interimInterval',
  'nasAddress',
  'seq',
] as const satisfies ReadonlyArray<keyof SessionRow>;

/** The columns of session_rows, in the order sessionCells gives them. */
export const SESSION_ROW_COLUMNS = ['nas_id', 'nas_ip', 'session_id', 'status', 'closed_at', 'body'] as const;

export function sessionCells(row: SessionRow): Cell[] {
  const body = JSON.stringify([
    row.username,
    row.subscriberId,
    row.startedAt,
    row.updatedAt,
    row.closeReason,
    row.sessionTime,
    row.inputOctets,
    row.outputOctets,
    row.inputPackets,
    row.outputPackets,
    row.framedIp,
    row.callingStationId,
    row.nasPortId,
    row.interimInterval,
    row.nasAddress,
    row.seq,
  ]);
  return [row.nasId, row.nasIp, row.sessionId, row.status, row.closedAt, body];
}

export class SpoolSessionError extends Error {
  override name = 'SpoolSessionError';
}

const CLOSE_REASONS: ReadonlySet<string> = new Set(['stop', 'nas-on', 'nas-off', 'stale', 'disconnect']);

/** A session from its session_rows columns. Throws on a body this code did not write. */
export function sessionFromCells(row: Record<string, unknown>): SessionRow {
  const nasId = String(row.nas_id);
  const sessionId = String(row.session_id);
  const cells: unknown = JSON.parse(String(row.body));
  if (!Array.isArray(cells)) throw new SpoolSessionError(`session ${sessionId} of NAS ${nasId}: body is not an array`);
  const [
    username,
    subscriberId,
    startedAt,
    updatedAt,
    closeReason,
    sessionTime,
    inputOctets,
    outputOctets,
    inputPackets,
    outputPackets,
    framedIp,
    callingStationId,
    nasPortId,
    interimInterval,
    nasAddress,
    seq,
  ] = cells as unknown[];
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const count = (value: unknown) => (typeof value === 'number' ? value : 0);
  if (typeof startedAt !== 'number' || typeof updatedAt !== 'number') {
    throw new SpoolSessionError(`session ${sessionId} of NAS ${nasId}: body lacks its times`);
  }
  return {
    nasId,
    nasIp: String(row.nas_ip),
    nasAddress: text(nasAddress),
    sessionId,
    username: text(username),
    subscriberId: text(subscriberId),
    status: row.status === 'open' ? 'open' : 'closed',
    startedAt,
    updatedAt,
    closedAt: row.closed_at === null || row.closed_at === undefined ? null : Number(row.closed_at),
    closeReason:
      typeof closeReason === 'string' && CLOSE_REASONS.has(closeReason) ? (closeReason as CloseReason) : null,
    sessionTime: count(sessionTime),
    inputOctets: count(inputOctets),
    outputOctets: count(outputOctets),
    inputPackets: count(inputPackets),
    outputPackets: count(outputPackets),
    framedIp: text(framedIp),
    callingStationId: text(callingStationId),
    nasPortId: text(nasPortId),
    interimInterval: typeof interimInterval === 'number' ? interimInterval : null,
    seq: count(seq),
  };
}

/**
 * The `sessions` view: a column per field, in the order the sessions table had them.
 * Made from SESSION_BODY_FIELDS, so it is recreated on every open.
 */
export function sessionsViewSql(): string {
  const fromBody = new Map<string, string>(
    SESSION_BODY_FIELDS.map((field, index) => [snakeCase(field), `body ->> ${index}`]),
  );
  const column = (name: string) => `${fromBody.get(name) ?? name} AS ${name}`;
  const columns = [
    'nas_id',
    'nas_ip',
    'session_id',
    'username',
    'subscriber_id',
    'status',
    'started_at',
    'updated_at',
    'closed_at',
    'close_reason',
    'session_time',
    'input_octets',
    'output_octets',
    'input_packets',
    'output_packets',
    'framed_ip',
    'calling_station_id',
    'nas_port_id',
    'interim_interval',
    'nas_address',
  ].map(column);
  return `DROP VIEW IF EXISTS sessions;
CREATE VIEW sessions AS SELECT ${columns.join(', ')} FROM session_rows;`;
}
