// Schema of replica.db. Every row carries the `revision` of the transaction that last
// wrote it, and deletions leave a tombstone with theirs, so a reader that has loaded
// revision N catches up by reading only rows and tombstones with revision > N.
import type { Client } from '@libsql/client';

const SCHEMA_V1 = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('revision', 0), ('sync_version', 0), ('tombstone_floor', 0);

CREATE TABLE nas_clients (
  id TEXT PRIMARY KEY,
  prefix TEXT NOT NULL,
  name TEXT NOT NULL,
  vendor TEXT NOT NULL CHECK (vendor IN ('mikrotik', 'cisco', 'juniper', 'huawei', 'other')),
  secret TEXT NOT NULL,
  require_message_authenticator INTEGER CHECK (require_message_authenticator IN (0, 1)),
  revision INTEGER NOT NULL
) STRICT;
CREATE INDEX nas_clients_prefix ON nas_clients (prefix);
CREATE INDEX nas_clients_revision ON nas_clients (revision);

CREATE TABLE profiles (
  name TEXT PRIMARY KEY,
  rate_up_kbps INTEGER,
  rate_down_kbps INTEGER,
  burst_up_kbps INTEGER,
  burst_down_kbps INTEGER,
  burst_threshold_up_kbps INTEGER,
  burst_threshold_down_kbps INTEGER,
  burst_time_up_seconds INTEGER,
  burst_time_down_seconds INTEGER,
  framed_pool TEXT,
  framed_ipv6_pool TEXT,
  delegated_ipv6_pool TEXT,
  session_timeout INTEGER,
  idle_timeout INTEGER,
  interim_interval INTEGER,
  vlan INTEGER,
  address_list TEXT,
  extra_reply TEXT NOT NULL DEFAULT '[]',
  revision INTEGER NOT NULL
) STRICT;
CREATE INDEX profiles_revision ON profiles (revision);

CREATE TABLE subscribers (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  credentials TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'disabled')),
  profile TEXT,
  framed_ip TEXT,
  framed_ipv6_prefix TEXT,
  delegated_ipv6_prefix TEXT,
  mac TEXT,
  circuit_id TEXT,
  remote_id TEXT,
  simultaneous_use INTEGER,
  reply_attributes TEXT NOT NULL DEFAULT '[]',
  revision INTEGER NOT NULL
) STRICT;
-- Not UNIQUE: uniqueness is checked at the end of each write transaction, so a batch
-- may move a username, MAC or circuit from one subscriber to another in any order.
CREATE INDEX subscribers_username ON subscribers (username);
CREATE INDEX subscribers_mac ON subscribers (mac) WHERE mac IS NOT NULL;
CREATE INDEX subscribers_circuit ON subscribers (circuit_id, remote_id) WHERE circuit_id IS NOT NULL;
CREATE INDEX subscribers_revision ON subscribers (revision);

CREATE TABLE tenant_policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  suspended_policy TEXT CHECK (suspended_policy IN ('reject', 'captive')),
  captive_profile TEXT,
  revision INTEGER NOT NULL
) STRICT;

CREATE TABLE tombstones (
  kind TEXT NOT NULL CHECK (kind IN ('nas-client', 'profile', 'subscriber')),
  key TEXT NOT NULL,
  revision INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
) STRICT;
CREATE INDEX tombstones_revision ON tombstones (revision);
`;

// v2: the NAS's CoA/Disconnect port (null: config coa.port). Existing rows keep their
// revision: null is what readers that loaded them already assume.
const SCHEMA_V2 = `
ALTER TABLE nas_clients ADD COLUMN coa_port INTEGER CHECK (coa_port BETWEEN 1 AND 65535);
`;

// v3: whether the NAS relays IPoE requests that may match subscribers by MAC or DHCP
// Option 82 (issue 12: off unless set, so no other NAS's request can reach a binding).
// A replica that already holds such bindings served them from every NAS: its existing
// clients are marked, so an upgrade does not cut IPoE subscribers off (README: review them).
const SCHEMA_V3 = `
ALTER TABLE nas_clients ADD COLUMN ipoe INTEGER NOT NULL DEFAULT 0 CHECK (ipoe IN (0, 1));
UPDATE nas_clients SET ipoe = 1
  WHERE EXISTS (SELECT 1 FROM subscribers WHERE mac IS NOT NULL OR circuit_id IS NOT NULL);
`;

/** Migration i brings a replica from version i to i + 1. */
const MIGRATIONS: readonly string[] = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3];

export const REPLICA_SCHEMA_VERSION = MIGRATIONS.length;

export async function migrateReplica(client: Client): Promise<void> {
  // BEGIN IMMEDIATE first, then read the version: two processes opening a fresh data
  // dir at once (daemon and `import`) serialize here instead of both creating tables.
  const tx = await client.transaction('write');
  try {
    const current = Number((await tx.execute('PRAGMA user_version')).rows[0]?.[0] ?? 0);
    if (current > REPLICA_SCHEMA_VERSION) {
      throw new Error(
        `replica schema version ${current} is newer than this appliance (${REPLICA_SCHEMA_VERSION}); upgrade the ` +
          `appliance`,
      );
    }
    for (const migration of MIGRATIONS.slice(current)) await tx.executeMultiple(migration);
    if (current < REPLICA_SCHEMA_VERSION) await tx.execute(`PRAGMA user_version = ${REPLICA_SCHEMA_VERSION}`);
    await tx.commit();
  } finally {
    tx.close();
  }
}
