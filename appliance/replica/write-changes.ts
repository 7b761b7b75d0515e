// Applies a batch of replica changes in one write transaction: all or nothing, one
// revision for the whole batch, tombstones for deletions, uniqueness of usernames,
// MACs, Option 82 bindings and NAS prefixes checked before commit.
import type { Client, InStatement, Transaction } from '@libsql/client';
import { chunked, multiRowStatements } from '../local-db.ts';
import type { Cell } from '../local-db.ts';
import type { AuthMethod } from '../config.ts';
import { buildCredentials } from './credentials.ts';
import { replicaChangeSchema } from './model.ts';
import type {
  NasClientRecord,
  Profile,
  ReplicaChange,
  ReplicaChangeRecord,
  SubscriberRecord,
  TenantPolicyRecord,
} from './model.ts';
import { readReplicaMeta, sealContext } from './read-rows.ts';
import type { TombstoneKind } from './read-rows.ts';
import type { SecretBox } from './secret-box.ts';

export type ApplyOptions = {
  /**
   * The edge's version of this batch. Batches at or below the stored version are
   * skipped (a re-sent batch is a no-op), and the stored version advances on commit.
   */
  syncVersion?: number;
  /** Delete every NAS client, profile and subscriber the batch does not upsert. */
  replace?: boolean;
};

export type ApplyResult = {
  applied: boolean;
  revision: number;
  syncVersion: number;
  upserted: number;
  deleted: number;
};

/** A change that cannot be applied; `changeIndex` points into the batch when known. */
export class ReplicaWriteError extends Error {
  override name = 'ReplicaWriteError';
  readonly changeIndex: number | null;
  constructor(message: string, changeIndex: number | null) {
    super(message);
    this.changeIndex = changeIndex;
  }
}

export function validateChanges(changes: readonly ReplicaChange[]): ReplicaChangeRecord[] {
  return changes.map((change, index) => {
    const parsed = replicaChangeSchema.safeParse(change);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
      throw new ReplicaWriteError(`invalid change #${index}${where}: ${issue?.message ?? 'invalid'}`, index);
    }
    return parsed.data;
  });
}

type WriteContext = {
  tx: Transaction;
  box: SecretBox;
  methods: readonly AuthMethod[];
  revision: number;
};

type Final<T> = { index: number; value: T | null };

// Only the final state of each row matters inside one transaction: the last change to
// a key wins, and the rest are written with one statement per kind and operation.
function finalStates(changes: readonly ReplicaChangeRecord[]) {
  const nas = new Map<string, Final<NasClientRecord>>();
  const profiles = new Map<string, Final<Profile>>();
  const subscribers = new Map<string, Final<SubscriberRecord>>();
  let policy: Final<TenantPolicyRecord> | null = null;
  for (const [index, change] of changes.entries()) {
    switch (change.op) {
      case 'upsert-nas-client':
        nas.set(change.value.id, { index, value: change.value });
        break;
      case 'delete-nas-client':
        nas.set(change.id, { index, value: null });
        break;
      case 'upsert-profile':
        profiles.set(change.value.name, { index, value: change.value });
        break;
      case 'delete-profile':
        profiles.set(change.name, { index, value: null });
        break;
      case 'upsert-subscriber':
        subscribers.set(change.value.id, { index, value: change.value });
        break;
      case 'delete-subscriber':
        subscribers.set(change.id, { index, value: null });
        break;
      case 'set-tenant-policy':
        policy = { index, value: change.value };
        break;
    }
  }
  return { nas, profiles, subscribers, policy };
}

function upserts<T>(states: Map<string, Final<T>>): Array<[string, T]> {
  return [...states].flatMap(([key, state]) => (state.value === null ? [] : [[key, state.value] as [string, T]]));
}

export async function writeChanges(
  client: Client,
  box: SecretBox,
  methods: readonly AuthMethod[],
  changes: readonly ReplicaChangeRecord[],
  options: ApplyOptions,
): Promise<ApplyResult> {
  const tx = await client.transaction('write');
  try {
    const meta = await readReplicaMeta(tx);
    if (options.syncVersion !== undefined && options.syncVersion <= meta.syncVersion) {
      await tx.rollback();
      return { applied: false, revision: meta.revision, syncVersion: meta.syncVersion, upserted: 0, deleted: 0 };
    }
    const context: WriteContext = { tx, box, methods, revision: meta.revision + 1 };
    const states = finalStates(changes);

    if (options.replace === true) {
      for (const [kind, map] of [
        ['nas-client', states.nas],
        ['profile', states.profiles],
        ['subscriber', states.subscribers],
      ] as const) {
        const { table, key } = TABLES[kind];
        const existing = await tx.execute(`SELECT ${key} AS k FROM ${table}`);
        for (const row of existing.rows) {
          const rowKey = String(row.k);
          if (!map.has(rowKey)) map.set(rowKey, { index: -1, value: null });
        }
      }
    }

    let deleted = 0;
    deleted += await deleteRows(context, 'nas-client', states.nas);
    deleted += await deleteRows(context, 'profile', states.profiles);
    deleted += await deleteRows(context, 'subscriber', states.subscribers);

    const nas = upserts(states.nas);
    const profiles = upserts(states.profiles);
    const subscribers = upserts(states.subscribers);
    await tx.batch([
      ...upsertNasClientRows(
        context,
        nas.map(([, value]) => value),
      ),
      ...upsertProfileRows(
        context,
        profiles.map(([, value]) => value),
      ),
      ...upsertSubscriberRows(
        context,
        subscribers.map(([, value]) => value),
      ),
      ...clearTombstones(
        'nas-client',
        nas.map(([key]) => key),
      ),
      ...clearTombstones(
        'profile',
        profiles.map(([key]) => key),
      ),
      ...clearTombstones(
        'subscriber',
        subscribers.map(([key]) => key),
      ),
    ]);
    if (states.policy !== null && states.policy.value !== null) await setTenantPolicyRow(context, states.policy.value);

    const touched = (map: Map<string, Final<unknown>>) =>
      new Map(
        [...map].flatMap(([key, state]) => (state.value === null ? [] : [[key, state.index] as [string, number]])),
      );
    await checkUniqueness(tx, { 'nas-client': touched(states.nas), subscriber: touched(states.subscribers) });

    const syncVersion = options.syncVersion ?? meta.syncVersion;
    await tx.batch([
      { sql: "UPDATE meta SET value = ? WHERE key = 'revision'", args: [context.revision] },
      { sql: "UPDATE meta SET value = ? WHERE key = 'sync_version'", args: [syncVersion] },
    ]);
    await tx.commit();
    const upserted = nas.length + profiles.length + subscribers.length + (states.policy === null ? 0 : 1);
    return { applied: true, revision: context.revision, syncVersion, upserted, deleted };
  } finally {
    tx.close();
  }
}

const TABLES: Record<TombstoneKind, { table: string; key: string }> = {
  'nas-client': { table: 'nas_clients', key: 'id' },
  profile: { table: 'profiles', key: 'name' },
  subscriber: { table: 'subscribers', key: 'id' },
};

/** Deletes the rows whose final state is "deleted", leaving tombstones for those that existed. */
async function deleteRows(
  context: WriteContext,
  kind: TombstoneKind,
  states: Map<string, Final<unknown>>,
): Promise<number> {
  const keys = [...states].flatMap(([key, state]) => (state.value === null ? [key] : []));
  const { table, key: column } = TABLES[kind];
  let deleted = 0;
  for (const chunk of chunked(keys)) {
    const result = await context.tx.execute({
      sql: `DELETE FROM ${table} WHERE ${column} IN (${chunk.map(() => '?').join(', ')}) RETURNING ${column} AS k`,
      args: chunk,
    });
    const gone = result.rows.map((row): Cell[] => [kind, String(row.k), context.revision]);
    deleted += gone.length;
    if (gone.length > 0) {
      await context.tx.batch(
        multiRowStatements(
          'INSERT INTO tombstones',
          ['kind', 'key', 'revision'],
          gone,
          'ON CONFLICT (kind, key) DO UPDATE SET revision = excluded.revision',
        ),
      );
    }
  }
  return deleted;
}

function clearTombstones(kind: TombstoneKind, keys: string[]): InStatement[] {
  return chunked(keys).map((chunk) => ({
    sql: `DELETE FROM tombstones WHERE kind = ? AND key IN (${chunk.map(() => '?').join(', ')})`,
    args: [kind, ...chunk],
  }));
}

function updateAll(columns: readonly string[], key: string): string {
  return columns
    .filter((column) => column !== key)
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
}

const NAS_COLUMNS = [
  'id',
  'prefix',
  'name',
  'vendor',
  'secret',
  'require_message_authenticator',
  'coa_port',
  'ipoe',
  'revision',
] as const;

function upsertNasClientRows(context: WriteContext, values: NasClientRecord[]): InStatement[] {
  const rows = values.map((value): Cell[] => [
    value.id,
    value.address,
    value.name,
    value.vendor,
    context.box.seal(value.secret, sealContext('nas-client', value.id)),
    value.requireMessageAuthenticator === null ? null : value.requireMessageAuthenticator ? 1 : 0,
    value.coaPort,
    value.ipoe ? 1 : 0,
    context.revision,
  ]);
  return multiRowStatements(
    'INSERT INTO nas_clients',
    NAS_COLUMNS,
    rows,
    `ON CONFLICT (id) DO UPDATE SET ${updateAll(NAS_COLUMNS, 'id')}`,
  );
}

const PROFILE_COLUMNS = [
  'name',
  'rate_up_kbps',
  'rate_down_kbps',
  'burst_up_kbps',
  'burst_down_kbps',
  'burst_threshold_up_kbps',
  'burst_threshold_down_kbps',
  'burst_time_up_seconds',
  'burst_time_down_seconds',
  'framed_pool',
  'framed_ipv6_pool',
  'delegated_ipv6_pool',
  'session_timeout',
  'idle_timeout',
  'interim_interval',
  'vlan',
  'address_list',
  'extra_reply',
  'revision',
] as const;

function upsertProfileRows(context: WriteContext, values: Profile[]): InStatement[] {
  const rows = values.map((value): Cell[] => {
    const rate = value.rateLimit;
    return [
      value.name,
      rate?.upKbps ?? null,
      rate?.downKbps ?? null,
      rate?.burstUpKbps ?? null,
      rate?.burstDownKbps ?? null,
      rate?.burstThresholdUpKbps ?? null,
      rate?.burstThresholdDownKbps ?? null,
      rate?.burstTimeUpSeconds ?? null,
      rate?.burstTimeDownSeconds ?? null,
      value.framedPool,
      value.framedIpv6Pool,
      value.delegatedIpv6Pool,
      value.sessionTimeout,
      value.idleTimeout,
      value.interimInterval,
      value.vlan,
      value.addressList,
      JSON.stringify(value.extraReply),
      context.revision,
    ];
  });
  return multiRowStatements(
    'INSERT INTO profiles',
    PROFILE_COLUMNS,
    rows,
    `ON CONFLICT (name) DO UPDATE SET ${updateAll(PROFILE_COLUMNS, 'name')}`,
  );
}

const SUBSCRIBER_COLUMNS = [
  'id',
  'username',
  'credentials',
  'status',
  'profile',
  'framed_ip',
  'framed_ipv6_prefix',
  'delegated_ipv6_prefix',
  'mac',
  'circuit_id',
  'remote_id',
  'simultaneous_use',
  'reply_attributes',
  'revision',
] as const;

function upsertSubscriberRows(context: WriteContext, values: SubscriberRecord[]): InStatement[] {
  const rows = values.map((value): Cell[] => [
    value.id,
    value.username,
    context.box.seal(
      JSON.stringify(buildCredentials(value.password, value.credentials, context.methods)),
      sealContext('subscriber', value.id),
    ),
    value.status,
    value.profile,
    value.framedIp,
    value.framedIpv6Prefix,
    value.delegatedIpv6Prefix,
    value.mac,
    value.circuitId,
    value.remoteId,
    value.simultaneousUse,
    JSON.stringify(value.replyAttributes),
    context.revision,
  ]);
  return multiRowStatements(
    'INSERT INTO subscribers',
    SUBSCRIBER_COLUMNS,
    rows,
    `ON CONFLICT (id) DO UPDATE SET ${updateAll(SUBSCRIBER_COLUMNS, 'id')}`,
  );
}

async function setTenantPolicyRow(context: WriteContext, value: TenantPolicyRecord): Promise<void> {
  await context.tx.execute({
    sql: `INSERT INTO tenant_policy (id, suspended_policy, captive_profile, revision) VALUES (1, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET suspended_policy = excluded.suspended_policy,
            captive_profile = excluded.captive_profile, revision = excluded.revision`,
    args: [value.suspendedPolicy, value.captiveProfile, context.revision],
  });
}

// Per-row probes are cheap for the small batches the sync sends; an import of
// thousands of rows is checked with one grouped scan per key instead.
const SET_CHECK_THRESHOLD = 200;

const SUBSCRIBER_KEYS: ReadonlyArray<{ label: string; probe: string; scan: string }> = [
  {
    label: 'username',
    probe: `SELECT other.id AS other, mine.username AS value FROM subscribers AS mine
            JOIN subscribers AS other ON other.username = mine.username AND other.id <> mine.id
            WHERE mine.id = ? LIMIT 1`,
    scan: `SELECT username AS value, min(id) AS a, max(id) AS b FROM subscribers
           GROUP BY username HAVING count(*) > 1 LIMIT 1`,
  },
  {
    label: 'MAC',
    probe: `SELECT other.id AS other, mine.mac AS value FROM subscribers AS mine
            JOIN subscribers AS other ON other.mac = mine.mac AND other.id <> mine.id
            WHERE mine.id = ? AND mine.mac IS NOT NULL LIMIT 1`,
    scan: `SELECT mac AS value, min(id) AS a, max(id) AS b FROM subscribers
           WHERE mac IS NOT NULL GROUP BY mac HAVING count(*) > 1 LIMIT 1`,
  },
  {
    label: 'Option 82 circuit/remote id',
    probe: `SELECT other.id AS other, mine.circuit_id || '/' || coalesce(mine.remote_id, '*') AS value
            FROM subscribers AS mine
            JOIN subscribers AS other ON other.circuit_id = mine.circuit_id AND other.remote_id IS mine.remote_id
            AND other.id <> mine.id
            WHERE mine.id = ? AND mine.circuit_id IS NOT NULL LIMIT 1`,
    scan: `SELECT circuit_id || '/' || coalesce(remote_id, '*') AS value, min(id) AS a, max(id) AS b FROM subscribers
           WHERE circuit_id IS NOT NULL GROUP BY circuit_id, remote_id HAVING count(*) > 1 LIMIT 1`,
  },
];

const NAS_KEY = {
  label: 'NAS prefix',
  probe: `SELECT other.id AS other, mine.prefix AS value FROM nas_clients AS mine
          JOIN nas_clients AS other ON other.prefix = mine.prefix AND other.id <> mine.id WHERE mine.id = ? LIMIT 1`,
  scan: `SELECT prefix AS value, min(id) AS a, max(id) AS b FROM nas_clients
         GROUP BY prefix HAVING count(*) > 1 LIMIT 1`,
};

async function checkUniqueness(
  tx: Transaction,
  touched: { 'nas-client': Map<string, number>; subscriber: Map<string, number> },
): Promise<void> {
  await checkKeys(tx, touched['nas-client'], [NAS_KEY], 'NAS clients');
  await checkKeys(tx, touched.subscriber, SUBSCRIBER_KEYS, 'subscribers');
}

async function checkKeys(
  tx: Transaction,
  touched: Map<string, number>,
  keys: ReadonlyArray<{ label: string; probe: string; scan: string }>,
  what: string,
): Promise<void> {
  if (touched.size === 0) return;
  for (const key of keys) {
    if (touched.size > SET_CHECK_THRESHOLD) {
      const row = (await tx.execute(key.scan)).rows[0];
      if (row === undefined) continue;
      const a = String(row.a);
      const b = String(row.b);
      // Name the change that introduced the clash (the touched one, else the later one).
      const index = touched.get(b) ?? touched.get(a) ?? null;
      throw new ReplicaWriteError(`${key.label} ${String(row.value)} is used by ${what} "${a}" and "${b}"`, index);
    }
    for (const [id, index] of touched) {
      const row = (await tx.execute({ sql: key.probe, args: [id] })).rows[0];
      if (row !== undefined) {
        throw new ReplicaWriteError(
          `${key.label} ${String(row.value)} is used by ${what} "${id}" and "${String(row.other)}"`,
          index,
        );
      }
    }
  }
}
