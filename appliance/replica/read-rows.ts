// Reads replica.db into the hot path's shapes: everything since a revision (or
// everything), inside one read transaction so the rows form one consistent snapshot.
import type { Client, InStatement, ResultSet, Row } from '@libsql/client';
import { credentialsSchema, replyAttributeSchema } from './model.ts';
import type {
  NasClient,
  NasVendor,
  Profile,
  ReplyAttribute,
  Subscriber,
  SubscriberStatus,
  SuspendedPolicy,
} from './model.ts';
import type { SecretBox } from './secret-box.ts';
import { z } from 'zod';

export type TombstoneKind = 'nas-client' | 'profile' | 'subscriber';

export type ReplicaDelta = {
  /** True when this is the whole replica rather than the changes since a revision. */
  full: boolean;
  revision: number;
  syncVersion: number;
  nasClients: NasClient[];
  profiles: Profile[];
  subscribers: Subscriber[];
  tombstones: Array<{ kind: TombstoneKind; key: string }>;
  /** Present when the policy row changed (or on a full read). */
  policy: { suspendedPolicy: SuspendedPolicy | null; captiveProfile: string | null } | null;
};

export type ReplicaMeta = { revision: number; syncVersion: number; tombstoneFloor: number };

/** A client or an open transaction. */
export type Executor = { execute(statement: InStatement): Promise<ResultSet> };

export async function readReplicaMeta(client: Executor): Promise<ReplicaMeta> {
  const result = await client.execute('SELECT key, value FROM meta');
  return metaFromRows(result.rows);
}

function metaFromRows(rows: Row[]): ReplicaMeta {
  const values = new Map(rows.map((row) => [String(row.key), Number(row.value)]));
  return {
    revision: values.get('revision') ?? 0,
    syncVersion: values.get('sync_version') ?? 0,
    tombstoneFloor: values.get('tombstone_floor') ?? 0,
  };
}

/**
 * Everything with revision > `since`, or the whole replica when `since` is null or
 * older than the tombstone floor (tombstones below it were pruned, so a delta from
 * there could miss deletions).
 */
export async function readReplicaDelta(client: Client, box: SecretBox, since: number | null): Promise<ReplicaDelta> {
  const full = since === null;
  const after = since ?? -1;
  // Meta and rows come from one read transaction (one batch), so the revision we
  // record is exactly the one the rows are at.
  const results = await client.batch(
    [
      'SELECT key, value FROM meta',
      { sql: 'SELECT * FROM nas_clients WHERE revision > ?', args: [after] },
      { sql: 'SELECT * FROM profiles WHERE revision > ?', args: [after] },
      { sql: 'SELECT * FROM subscribers WHERE revision > ?', args: [after] },
      { sql: 'SELECT kind, key FROM tombstones WHERE revision > ?', args: [full ? Number.MAX_SAFE_INTEGER : after] },
      { sql: 'SELECT * FROM tenant_policy WHERE revision > ?', args: [after] },
    ],
    'read',
  );
  const [snapshotMeta, nas, profiles, subscribers, tombstones, policy] = results;
  const current = metaFromRows(snapshotMeta?.rows ?? []);
  if (!full && since < current.tombstoneFloor) return readReplicaDelta(client, box, null);
  const policyRow = policy?.rows[0];
  return {
    full,
    revision: current.revision,
    syncVersion: current.syncVersion,
    nasClients: (nas?.rows ?? []).map((row) => nasClientFromRow(row, box)),
    profiles: (profiles?.rows ?? []).map(profileFromRow),
    subscribers: (subscribers?.rows ?? []).map((row) => subscriberFromRow(row, box)),
    tombstones: (tombstones?.rows ?? []).map((row) => ({
      kind: String(row.kind) as TombstoneKind,
      key: String(row.key),
    })),
    policy:
      policyRow === undefined
        ? null
        : {
            suspendedPolicy: optionalText(policyRow, 'suspended_policy') as SuspendedPolicy | null,
            captiveProfile: optionalText(policyRow, 'captive_profile'),
          },
  };
}

export function sealContext(kind: TombstoneKind, key: string): string {
  return `${kind}:${key}`;
}

function nasClientFromRow(row: Row, box: SecretBox): NasClient {
  const id = text(row, 'id');
  const requireMa = optionalInteger(row, 'require_message_authenticator');
  return Object.freeze({
    id,
    prefix: text(row, 'prefix'),
    name: text(row, 'name'),
    vendor: text(row, 'vendor') as NasVendor,
    secret: Buffer.from(box.open(text(row, 'secret'), sealContext('nas-client', id)), 'utf8'),
    requireMessageAuthenticator: requireMa === null ? null : requireMa === 1,
    coaPort: optionalInteger(row, 'coa_port'),
    ipoe: optionalInteger(row, 'ipoe') === 1,
  });
}

const replyListSchema = z.array(replyAttributeSchema);

function profileFromRow(row: Row): Profile {
  const up = optionalInteger(row, 'rate_up_kbps');
  const down = optionalInteger(row, 'rate_down_kbps');
  return Object.freeze({
    name: text(row, 'name'),
    rateLimit:
      up === null || down === null
        ? null
        : {
            upKbps: up,
            downKbps: down,
            burstUpKbps: optionalInteger(row, 'burst_up_kbps'),
            burstDownKbps: optionalInteger(row, 'burst_down_kbps'),
            burstThresholdUpKbps: optionalInteger(row, 'burst_threshold_up_kbps'),
            burstThresholdDownKbps: optionalInteger(row, 'burst_threshold_down_kbps'),
            burstTimeUpSeconds: optionalInteger(row, 'burst_time_up_seconds'),
            burstTimeDownSeconds: optionalInteger(row, 'burst_time_down_seconds'),
          },
    framedPool: optionalText(row, 'framed_pool'),
    framedIpv6Pool: optionalText(row, 'framed_ipv6_pool'),
    delegatedIpv6Pool: optionalText(row, 'delegated_ipv6_pool'),
    sessionTimeout: optionalInteger(row, 'session_timeout'),
    idleTimeout: optionalInteger(row, 'idle_timeout'),
    interimInterval: optionalInteger(row, 'interim_interval'),
    vlan: optionalInteger(row, 'vlan'),
    addressList: optionalText(row, 'address_list'),
    extraReply: parseReplyList(text(row, 'extra_reply')),
  });
}

function subscriberFromRow(row: Row, box: SecretBox): Subscriber {
  const id = text(row, 'id');
  const credentials = credentialsSchema.parse(
    JSON.parse(box.open(text(row, 'credentials'), sealContext('subscriber', id))),
  );
  // Frozen: every thread's hot path shares these objects and must not alter them.
  return Object.freeze({
    id,
    username: text(row, 'username'),
    credentials: Object.freeze(credentials),
    status: text(row, 'status') as SubscriberStatus,
    profile: optionalText(row, 'profile'),
    framedIp: optionalText(row, 'framed_ip'),
    framedIpv6Prefix: optionalText(row, 'framed_ipv6_prefix'),
    delegatedIpv6Prefix: optionalText(row, 'delegated_ipv6_prefix'),
    mac: optionalText(row, 'mac'),
    circuitId: optionalText(row, 'circuit_id'),
    remoteId: optionalText(row, 'remote_id'),
    simultaneousUse: optionalInteger(row, 'simultaneous_use'),
    replyAttributes: Object.freeze(parseReplyList(text(row, 'reply_attributes'))),
  });
}

function parseReplyList(json: string): ReplyAttribute[] {
  return replyListSchema.parse(JSON.parse(json));
}

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`replica column ${column}: expected text, got ${typeof value}`);
  return value;
}

function optionalText(row: Row, column: string): string | null {
  const value = row[column];
  return value === null || value === undefined ? null : String(value);
}

function optionalInteger(row: Row, column: string): number | null {
  const value = row[column];
  return value === null || value === undefined ? null : Number(value);
}
