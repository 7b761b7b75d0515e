// Schema of spool.db: the accounting records (the log, and the outbox the sync drains
// in seq order; record_chunks since v3), the outbox cursor, and the sessions (a
// checkpoint of the state the log implies; session_rows since v4, per NAS of a client
// since v5). PRAGMA user_version is the schema
// version; migrateSpool brings an older spool.db up step by step, in place, in one
// transaction. Migrations are frozen: a fresh spool runs them all.
import type { Client, Transaction } from '@libsql/client';
import { rekeyPerNas } from './rekey-v5.ts';

const SCHEMA_V1 = `
-- The log. Append-only in seq order, so inserts write sequential pages. seq values
-- are assigned by the spool (contiguous, never reused: AUTOINCREMENT keeps the high
-- mark in sqlite_sequence even after pruning), so a row can never land below the
-- outbox cursor. No index on key: a random index costs one page write per record and
-- grows slower with the table; duplicate detection is in spool.ts.
CREATE TABLE records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('start', 'interim', 'stop', 'on', 'off', 'close')),
  nas_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  event_at INTEGER NOT NULL,
  session_id TEXT,
  body TEXT NOT NULL
) STRICT;
-- Event times grow with seq, give or take Acct-Delay-Time: inserts land near the right
-- edge. Finds the original of a late retransmit by event time and key (spool.ts,
-- probeDisk) without touching the rows.
CREATE INDEX records_event_at ON records (event_at, key);

CREATE TABLE spool_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
-- shipped_seq: the outbox cursor. sessions_seq: the last record folded into the
-- sessions table (a checkpoint; later records are replayed on open).
INSERT INTO spool_meta (key, value) VALUES ('shipped_seq', 0), ('sessions_seq', 0);

-- Per NAS: seq of its last Accounting-On/Off record, part of Start keys (record.ts).
CREATE TABLE nas_epochs (
  nas_id TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
  nas_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  username TEXT,
  subscriber_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  close_reason TEXT CHECK (close_reason IN ('stop', 'nas-on', 'nas-off', 'stale', 'disconnect')),
  session_time INTEGER NOT NULL,
  input_octets INTEGER NOT NULL,
  output_octets INTEGER NOT NULL,
  input_packets INTEGER NOT NULL,
  output_packets INTEGER NOT NULL,
  framed_ip TEXT,
  calling_station_id TEXT,
  nas_port_id TEXT,
  interim_interval INTEGER,
  PRIMARY KEY (nas_id, session_id)
) STRICT;
CREATE INDEX sessions_open ON sessions (status) WHERE status = 'open';
CREATE INDEX sessions_closed_at ON sessions (closed_at) WHERE status = 'closed';
`;

// v2: the address CoA/Disconnect for a session goes to (a NAS client may be a whole
// prefix). Sessions already there take it from their latest record that has one
// (every record body has carried nasAddress since v1); a bare column beside max()
// comes from the row holding the maximum (SQLite), so one pass over the log does.
const SCHEMA_V2 = `
ALTER TABLE sessions ADD COLUMN nas_address TEXT;
UPDATE sessions SET nas_address = latest.address
  FROM (
    SELECT nas_id, session_id, json_extract(body, '$.nasAddress') AS address, max(seq)
    FROM records
    WHERE session_id IS NOT NULL AND json_extract(body, '$.nasAddress') IS NOT NULL
    GROUP BY nas_id, session_id
  ) AS latest
  WHERE sessions.nas_id = latest.nas_id AND sessions.session_id = latest.session_id;
`;

// v3: the records of one commit in one row (record-chunk.ts says why and how), and the
// keys of duplicate detection in their own narrow table. Each record of a v2 spool
// becomes a chunk of one, in the field order of record-chunk.ts at v3. seq_floor keeps
// the high mark of seq when every chunk has been pruned (AUTOINCREMENT did before).
const SCHEMA_V3 = `
CREATE TABLE record_chunks (
  first_seq INTEGER PRIMARY KEY,
  count INTEGER NOT NULL CHECK (count > 0),
  -- Receipt of the chunk's newest record, server clock (ms): pruning by age.
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL
) STRICT;
-- Event times grow with seq, give or take Acct-Delay-Time: inserts land near the right
-- edge. Finds the original of a late retransmit by event time and key (spool.ts,
-- probeDisk).
CREATE TABLE record_keys (
  event_at INTEGER NOT NULL,
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (event_at, key, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO record_chunks (first_seq, count, received_at, body)
  SELECT seq, 1, received_at, json_array(json_array(
    key, kind, nas_id, body ->> '$.nasAddress', received_at, event_at, session_id, body ->> '$.username',
    body ->> '$.subscriberId', body ->> '$.sessionTime', body ->> '$.inputOctets', body ->> '$.outputOctets',
    body ->> '$.inputPackets', body ->> '$.outputPackets', body ->> '$.terminateCause', body ->> '$.framedIp',
    body ->> '$.callingStationId', body ->> '$.nasPortId', body ->> '$.interimInterval', body ->> '$.eventTimestamp',
    json_extract(body, '$.attributes')))
  FROM records;
INSERT INTO record_keys (event_at, key, seq) SELECT event_at, key, seq FROM records;
INSERT INTO spool_meta (key, value)
  VALUES ('seq_floor', coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0));
DROP TABLE records;
`;

// v4: a session's key, status and close time stay columns, the rest is one JSON array
// (session-body.ts says why, and gives the field order; this is its order at v4). The
// table has no rowid (its key is its primary key) and no index on open rows: they are
// read once, on open. The `sessions` view (recreated on open) shows the old columns.
const SCHEMA_V4 = `
CREATE TABLE session_rows (
  nas_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  closed_at INTEGER,
  body TEXT NOT NULL,
  PRIMARY KEY (nas_id, session_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX session_rows_closed_at ON session_rows (closed_at) WHERE status = 'closed';
INSERT INTO session_rows (nas_id, session_id, status, closed_at, body)
  SELECT nas_id, session_id, status, closed_at, json_array(
    username, subscriber_id, started_at, updated_at, close_reason, session_time, input_octets, output_octets,
    input_packets, output_packets, framed_ip, calling_station_id, nas_port_id, interim_interval, nas_address)
  FROM sessions;
DROP TABLE sessions;
`;

// v5: sessions, record keys and Accounting-On/Off epochs belong to the NAS within its
// client (a client may be a prefix: a fleet), named by nas_ip (record.ts,
// AccountingRecord.nasIp). Until now the NAS was known only by where CoA went (the
// session body's nasAddress, position 14; a record's, position 3): that is what an old
// session, and an old record (record-chunk.ts, decodeChunk), takes. Every key and
// the epochs are then derived again from the log (rekey-v5.ts), so a retransmit of a
// record stored before the upgrade is still recognized. The views are recreated on open (and a view
// naming a dropped table blocks RENAME).
const SCHEMA_V5 = `
DROP VIEW IF EXISTS sessions;
DROP VIEW IF EXISTS records;
CREATE TABLE session_rows_v5 (
  nas_id TEXT NOT NULL,
  nas_ip TEXT NOT NULL,
  session_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  closed_at INTEGER,
  body TEXT NOT NULL,
  PRIMARY KEY (nas_id, nas_ip, session_id)
) STRICT, WITHOUT ROWID;
INSERT INTO session_rows_v5 (nas_id, nas_ip, session_id, status, closed_at, body)
  SELECT nas_id, coalesce(body ->> 14, ''), session_id, status, closed_at, body FROM session_rows;
DROP TABLE session_rows;
ALTER TABLE session_rows_v5 RENAME TO session_rows;
CREATE INDEX session_rows_closed_at ON session_rows (closed_at) WHERE status = 'closed';
CREATE TABLE nas_epochs_v5 (
  nas_id TEXT NOT NULL,
  nas_ip TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  PRIMARY KEY (nas_id, nas_ip)
) STRICT;
DROP TABLE nas_epochs;
ALTER TABLE nas_epochs_v5 RENAME TO nas_epochs;
`;

/** SQL, or SQL and then work the SQL cannot do (in the same transaction). */
type Migration = string | { sql: string; then: (tx: Transaction) => Promise<void> };

/** Migration i brings a spool from version i to i + 1. */
export const SPOOL_MIGRATIONS: readonly Migration[] = [
  SCHEMA_V1,
  SCHEMA_V2,
  SCHEMA_V3,
  SCHEMA_V4,
  { sql: SCHEMA_V5, then: rekeyPerNas },
];

export const SPOOL_SCHEMA_VERSION = SPOOL_MIGRATIONS.length;

/** spool.db was written by a newer appliance: not corrupt, and not ours to change. */
export class SpoolVersionError extends Error {
  override name = 'SpoolVersionError';
}

export async function migrateSpool(client: Client): Promise<void> {
  const tx = await client.transaction('write');
  try {
    const current = Number((await tx.execute('PRAGMA user_version')).rows[0]?.[0] ?? 0);
    if (current > SPOOL_SCHEMA_VERSION) {
      throw new SpoolVersionError(
        `spool schema version ${current} is newer than this appliance (${SPOOL_SCHEMA_VERSION}); upgrade the appliance`,
      );
    }
    for (const migration of SPOOL_MIGRATIONS.slice(current)) {
      if (typeof migration === 'string') {
        await tx.executeMultiple(migration);
      } else {
        await tx.executeMultiple(migration.sql);
        await migration.then(tx);
      }
    }
    if (current < SPOOL_SCHEMA_VERSION) await tx.execute(`PRAGMA user_version = ${SPOOL_SCHEMA_VERSION}`);
    await tx.commit();
  } finally {
    tx.close();
  }
}
