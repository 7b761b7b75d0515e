// How the spool stores accounting records: the records of one commit in one row of
// record_chunks, as a JSON array of positional arrays (the field order below). One row
// per commit instead of one per record cut the owner thread's SQLite work per record
// by about three quarters, and the bytes written to the WAL (and again at checkpoint)
// by half: no per-row overhead, no field names. The `records` view shows the same
// records one row each, for operators and tests (recordsViewSql).
import type { SpoolEntry } from './record.ts';

/** A stored record and its place in the log. */
export type OutboxEntry = SpoolEntry & { seq: number };

/** Position of each field in a stored record. Append new fields at the end (old chunks lack them: null). */
export const CHUNK_FIELDS = [
  'key',
  'kind',
  'nasId',
  'nasAddress',
  'receivedAt',
  'eventAt',
  'sessionId',
  'username',
  'subscriberId',
  'sessionTime',
  'inputOctets',
  'outputOctets',
  'inputPackets',
  'outputPackets',
  'terminateCause',
  'framedIp',
  'callingStationId',
  'nasPortId',
  'interimInterval',
  'eventTimestamp',
  'attributes',
  'nasIp',
  'framedIpv6Prefix',
  'delegatedIpv6Prefix',
  'nasPort',
  'nasPortType',
  'calledStationId',
  'nasIdentifier',
  'class',
  'multiSessionId',
] as const satisfies ReadonlyArray<keyof SpoolEntry>;

/** An entry's fields in CHUNK_FIELDS order (the stored form, and how a spool port carries it). */
export function entryCells(entry: SpoolEntry): Array<SpoolEntry[keyof SpoolEntry]> {
  return [
    entry.key,
    entry.kind,
    entry.nasId,
    entry.nasAddress,
    entry.receivedAt,
    entry.eventAt,
    entry.sessionId,
    entry.username,
    entry.subscriberId,
    entry.sessionTime,
    entry.inputOctets,
    entry.outputOctets,
    entry.inputPackets,
    entry.outputPackets,
    entry.terminateCause,
    entry.framedIp,
    entry.callingStationId,
    entry.nasPortId,
    entry.interimInterval,
    entry.eventTimestamp,
    entry.attributes,
    entry.nasIp,
    entry.framedIpv6Prefix,
    entry.delegatedIpv6Prefix,
    entry.nasPort,
    entry.nasPortType,
    entry.calledStationId,
    entry.nasIdentifier,
    entry.class,
    entry.multiSessionId,
  ];
}

/**
 * The chunk's body: the entries in seq order. Trailing nulls are left out (decodeChunk
 * reads a missing field as null): most NASes send few of the optional fields, and each
 * `null,` would be written twice (WAL, checkpoint) for every record.
 */
export function encodeChunk(entries: readonly SpoolEntry[]): string {
  return JSON.stringify(
    entries.map((entry) => {
      const cells = entryCells(entry);
      while (cells.length > 0 && cells[cells.length - 1] === null) cells.pop();
      return cells;
    }),
  );
}

/** A field's name as a SQL column (inputOctets → input_octets). */
export const snakeCase = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * The `records` view: one row per stored record, a column per field. Made from
 * CHUNK_FIELDS, so it is recreated on every open rather than frozen in a migration.
 */
export function recordsViewSql(): string {
  const nasAddress = CHUNK_FIELDS.indexOf('nasAddress');
  const columns = CHUNK_FIELDS.map((field, index) => {
    // As decodeChunk reads it: records from before schema 5 lack nasIp.
    if (field === 'nasIp') return `coalesce(item.value ->> ${index}, item.value ->> ${nasAddress}, '') AS nas_ip`;
    return `item.value ${field === 'attributes' ? '->' : '->>'} ${index} AS ${snakeCase(field)}`;
  });
  return `DROP VIEW IF EXISTS records;
CREATE VIEW records AS
  SELECT chunk.first_seq + item.key AS seq, ${columns.join(', ')}
  FROM record_chunks AS chunk, json_each(chunk.body) AS item;`;
}

const KINDS: ReadonlySet<string> = new Set(['start', 'interim', 'stop', 'on', 'off', 'close']);

export class SpoolChunkError extends Error {
  override name = 'SpoolChunkError';
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);
const number = (value: unknown) => (typeof value === 'number' ? value : null);

/**
 * The entry whose fields start at `at` in `cells` (CHUNK_FIELDS order; a field past the
 * end reads as null). Throws, naming the record as `what`, when the key, kind, NAS or
 * times are missing: a body or message this code did not write.
 */
export function entryFromCells(cells: readonly unknown[], at: number, what: string): SpoolEntry {
  const key = cells[at];
  const kind = cells[at + 1];
  const nasId = cells[at + 2];
  const nasAddress = text(cells[at + 3]);
  const receivedAt = cells[at + 4];
  const eventAt = cells[at + 5];
  if (
    typeof key !== 'string' ||
    typeof kind !== 'string' ||
    !KINDS.has(kind) ||
    typeof nasId !== 'string' ||
    typeof receivedAt !== 'number' ||
    typeof eventAt !== 'number'
  ) {
    throw new SpoolChunkError(`${what} lacks key, kind, NAS or times`);
  }
  const attributes = cells[at + 20];
  return {
    key,
    kind: kind as SpoolEntry['kind'],
    nasId,
    // Records from before schema 5 lack it: their NAS was where CoA went (record.ts).
    nasIp: text(cells[at + 21]) ?? nasAddress ?? '',
    nasAddress,
    receivedAt,
    eventAt,
    sessionId: text(cells[at + 6]),
    username: text(cells[at + 7]),
    subscriberId: text(cells[at + 8]),
    sessionTime: number(cells[at + 9]),
    inputOctets: number(cells[at + 10]),
    outputOctets: number(cells[at + 11]),
    inputPackets: number(cells[at + 12]),
    outputPackets: number(cells[at + 13]),
    terminateCause: text(cells[at + 14]),
    framedIp: text(cells[at + 15]),
    callingStationId: text(cells[at + 16]),
    nasPortId: text(cells[at + 17]),
    interimInterval: number(cells[at + 18]),
    eventTimestamp: number(cells[at + 19]),
    attributes:
      typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes)
        ? (attributes as Record<string, unknown>)
        : null,
    framedIpv6Prefix: text(cells[at + 22]),
    delegatedIpv6Prefix: text(cells[at + 23]),
    nasPort: number(cells[at + 24]),
    nasPortType: text(cells[at + 25]),
    calledStationId: text(cells[at + 26]),
    nasIdentifier: text(cells[at + 27]),
    class: text(cells[at + 28]),
    multiSessionId: text(cells[at + 29]),
  };
}

/** The entries of the chunk whose first record is `firstSeq`. Throws on a body this code did not write. */
export function decodeChunk(firstSeq: number, body: string): OutboxEntry[] {
  const cells: unknown = JSON.parse(body);
  if (!Array.isArray(cells)) throw new SpoolChunkError(`record chunk ${firstSeq} is not an array`);
  return cells.map((record: unknown, index): OutboxEntry => {
    if (!Array.isArray(record)) throw new SpoolChunkError(`record ${firstSeq + index} is not an array`);
    return { seq: firstSeq + index, ...entryFromCells(record, 0, `record ${firstSeq + index}`) };
  });
}
