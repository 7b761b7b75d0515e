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

/**
 * The chunk's body: the entries in seq order. Trailing nulls are left out (decodeChunk
 * reads a missing field as null): most NASes send few of the optional fields, and each
 * `null,` would be written twice (WAL, checkpoint) for every record.
 */
export function encodeChunk(entries: readonly SpoolEntry[]): string {
  return JSON.stringify(
    entries.map((entry) => {
      const cells = [
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

/** The entries of the chunk whose first record is `firstSeq`. Throws on a body this code did not write. */
export function decodeChunk(firstSeq: number, body: string): OutboxEntry[] {
  const cells: unknown = JSON.parse(body);
  if (!Array.isArray(cells)) throw new SpoolChunkError(`record chunk ${firstSeq} is not an array`);
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return cells.map((record: unknown, index): OutboxEntry => {
    if (!Array.isArray(record)) throw new SpoolChunkError(`record ${firstSeq + index} is not an array`);
    const [
      key,
      kind,
      nasId,
      nasAddress,
      receivedAt,
      eventAt,
      sessionId,
      username,
      subscriberId,
      sessionTime,
      inputOctets,
      outputOctets,
      inputPackets,
      outputPackets,
      terminateCause,
      framedIp,
      callingStationId,
      nasPortId,
      interimInterval,
      eventTimestamp,
      attributes,
      nasIp,
      framedIpv6Prefix,
      delegatedIpv6Prefix,
      nasPort,
      nasPortType,
      calledStationId,
      nasIdentifier,
      classValue,
      multiSessionId,
    ] = record as unknown[];
    if (
      typeof key !== 'string' ||
      typeof kind !== 'string' ||
      !KINDS.has(kind) ||
      typeof nasId !== 'string' ||
      typeof receivedAt !== 'number' ||
      typeof eventAt !== 'number'
    ) {
      throw new SpoolChunkError(`record ${firstSeq + index} lacks key, kind, NAS or times`);
    }
    return {
      seq: firstSeq + index,
      key,
      kind: kind as SpoolEntry['kind'],
      nasId,
      // Records from before schema 5 lack it: their NAS was where CoA went (record.ts).
      nasIp: text(nasIp) ?? text(nasAddress) ?? '',
      nasAddress: text(nasAddress),
      receivedAt,
      eventAt,
      sessionId: text(sessionId),
      username: text(username),
      subscriberId: text(subscriberId),
      sessionTime: number(sessionTime),
      inputOctets: number(inputOctets),
      outputOctets: number(outputOctets),
      inputPackets: number(inputPackets),
      outputPackets: number(outputPackets),
      terminateCause: text(terminateCause),
      framedIp: text(framedIp),
      callingStationId: text(callingStationId),
      nasPortId: text(nasPortId),
      interimInterval: number(interimInterval),
      eventTimestamp: number(eventTimestamp),
      attributes:
        typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes)
          ? (attributes as Record<string, unknown>)
          : null,
      framedIpv6Prefix: text(framedIpv6Prefix),
      delegatedIpv6Prefix: text(delegatedIpv6Prefix),
      nasPort: number(nasPort),
      nasPortType: text(nasPortType),
      calledStationId: text(calledStationId),
      nasIdentifier: text(nasIdentifier),
      class: text(classValue),
      multiSessionId: text(multiSessionId),
    };
  });
}
