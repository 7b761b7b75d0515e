// The replica's two faces: one writer (main thread: edge sync, import) and any number
// of readers (one per RADIUS worker thread), each with its own in-memory index.
//
// How a reader learns that the replica changed:
//  1. In-process, immediately: after each commit the writer posts {revision} on a
//     BroadcastChannel named after the database path. Every reader in every worker
//     thread of the process receives it and applies the delta (rows with a revision
//     above the one it holds), typically within a millisecond.
//  2. Out of process (an `appliance import` run while the daemon is up) and as a
//     safety net: each reader polls `SELECT value FROM meta WHERE key = 'revision'`
//     every replica.pollIntervalMs (one indexed read, default once a second).
// Reads on the hot path never wait for either: they use the index as it is, and the
// delta is swapped in synchronously between two packets.
import type { Client } from '@libsql/client';
import { BroadcastChannel } from 'node:worker_threads';
import type { AuthMethod } from '../config.ts';
import { openLocalDatabase } from '../local-db.ts';
import type { Logger } from '../log.ts';
import { credentialsSchema } from './model.ts';
import type {
  Credentials,
  NasClientInput,
  ProfileInput,
  ReplicaChange,
  SubscriberInput,
  TenantPolicyInput,
} from './model.ts';
import { readReplicaDelta, readReplicaMeta } from './read-rows.ts';
import { replaceCryptCredential } from './replace-crypt-credential.ts';
import { createReplicaIndex } from './replica-index.ts';
import type { PolicyDefaults, ReplicaView } from './replica-index.ts';
import { migrateReplica } from './schema.ts';
import { createSecretBox, loadKey } from './secret-box.ts';
import type { SecretBox } from './secret-box.ts';
import { validateChanges, writeChanges } from './write-changes.ts';
import type { ApplyOptions, ApplyResult } from './write-changes.ts';

export type ReplicaReaderOptions = {
  path: string;
  keyFile: string;
  log: Logger;
  defaults: PolicyDefaults;
  /** How often to look for out-of-process writes; 0 disables polling. */
  pollIntervalMs: number;
};

export type ReplicaOptions = ReplicaReaderOptions & {
  /** Enabled auth methods: decide which credential forms are stored. */
  authMethods: readonly AuthMethod[];
};

export type ReplicaReader = ReplicaView & {
  /** Loads whatever changed since the index's revision; true if anything did. */
  refresh(): Promise<boolean>;
  close(): void;
};

export type Replica = ReplicaReader & {
  /**
   * The edge sync's entry point: applies `changes` atomically if `version` is newer than
   * the stored sync version, and records it. Re-sending a batch is a no-op.
   */
  applyBatch(changes: readonly ReplicaChange[], version: number): Promise<ApplyResult>;
  /** Local writes (import, tools): one transaction, no sync version. */
  applyChanges(changes: readonly ReplicaChange[], options?: ApplyOptions): Promise<ApplyResult>;
  upsertNasClient(value: NasClientInput): Promise<ApplyResult>;
  deleteNasClient(id: string): Promise<ApplyResult>;
  upsertProfile(value: ProfileInput): Promise<ApplyResult>;
  deleteProfile(name: string): Promise<ApplyResult>;
  upsertSubscriber(value: SubscriberInput): Promise<ApplyResult>;
  deleteSubscriber(id: string): Promise<ApplyResult>;
  setTenantPolicy(value: TenantPolicyInput): Promise<ApplyResult>;
  /** Drops tombstones below `revision`; readers older than that reload in full. */
  pruneTombstones(revision: number): Promise<void>;
  /**
   * After a PAP check against subscriber `id`'s crypt(3) hash succeeded: stores `fast`
   * (derived from that password for the enabled methods) instead of the hash, unless the
   * hash changed meanwhile. True when it was replaced.
   */
  replaceCryptCredential(id: string, verifiedCrypt: string, fast: Credentials): Promise<boolean>;
};

const TOMBSTONE_WINDOW = 1_000;

export function replicaChannelName(path: string): string {
  return `isp-appliance/replica/${path}`;
}

type ChangeNotice = { revision: number };

function isChangeNotice(value: unknown): value is ChangeNotice {
  return typeof value === 'object' && value !== null && typeof (value as ChangeNotice).revision === 'number';
}

// Shared by writer and reader: index, refresh queue, change notices and polling.
function createReaderCore(client: Client, box: SecretBox, options: ReplicaReaderOptions) {
  const index = createReplicaIndex(options.defaults);
  const log = options.log.child({ component: 'replica' });
  let queued: Promise<boolean> | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  const load = async (): Promise<boolean> => {
    if (closed) return false;
    if (index.revision >= 0) {
      const meta = await readReplicaMeta(client);
      if (meta.revision === index.revision) return false;
    }
    const delta = await readReplicaDelta(client, box, index.revision >= 0 ? index.revision : null);
    index.apply(delta);
    log.debug('replica refreshed', {
      revision: delta.revision,
      full: delta.full,
      subscribers: delta.subscribers.length,
    });
    return true;
  };

  // Serial, and coalescing: calls that arrive while one refresh waits share it.
  const refresh = (): Promise<boolean> => {
    if (queued !== null) return queued;
    const next = chain.then(() => {
      queued = null;
      return load();
    });
    queued = next;
    chain = next.catch(() => undefined);
    return next;
  };

  const refreshInBackground = (reason: string) => {
    refresh().catch((error: unknown) =>
      log.error('replica refresh failed; serving the previous revision', { reason, error }),
    );
  };

  const channel = new BroadcastChannel(replicaChannelName(options.path));
  channel.onmessage = (event) => {
    if (isChangeNotice(event.data) && event.data.revision > index.revision) refreshInBackground('notice');
  };
  channel.unref();

  const timer =
    options.pollIntervalMs > 0 ? setInterval(() => refreshInBackground('poll'), options.pollIntervalMs) : null;
  timer?.unref();

  return {
    index,
    refresh,
    chainAfter<T>(work: () => Promise<T>): Promise<T> {
      const next = chain.then(work);
      chain = next.catch(() => undefined);
      return next;
    },
    notify(revision: number) {
      channel.postMessage({ revision } satisfies ChangeNotice);
    },
    close() {
      closed = true;
      if (timer !== null) clearInterval(timer);
      channel.close();
      client.close();
    },
  };
}

// The view reads through to the live index (getters), so it stays current as deltas land.
function withView<T extends object>(core: ReturnType<typeof createReaderCore>, extra: T): ReplicaView & T {
  const { index } = core;
  return {
    ...extra,
    get revision() {
      return index.revision;
    },
    get syncVersion() {
      return index.syncVersion;
    },
    findClientByAddress: index.findClientByAddress,
    getNasClient: index.getNasClient,
    findSubscriberByUsername: index.findSubscriberByUsername,
    findSubscriberByMac: index.findSubscriberByMac,
    findSubscriberByCircuit: index.findSubscriberByCircuit,
    getProfile: index.getProfile,
    getTenantPolicy: index.getTenantPolicy,
    counts: index.counts,
  };
}

/**
 * Opens replica.db for reading (one per worker thread). The connection is query_only;
 * the key file must exist (the writer creates it).
 */
export async function openReplicaReader(options: ReplicaReaderOptions): Promise<ReplicaReader> {
  const box = createSecretBox(loadKey(options.keyFile, false));
  const client = await openLocalDatabase({ path: options.path, synchronous: 'NORMAL', queryOnly: true });
  const core = createReaderCore(client, box, options);
  try {
    await core.refresh();
  } catch (error) {
    core.close();
    throw error;
  }
  return withView(core, { refresh: core.refresh, close: core.close });
}

/**
 * Opens (creating if needed) replica.db for writing. synchronous=NORMAL: the replica is
 * a copy of the edge's data; after a power loss it may lose its last transactions,
 * sync_version goes back with them, and the sync re-sends from there.
 */
export async function openReplica(options: ReplicaOptions): Promise<Replica> {
  const box = createSecretBox(loadKey(options.keyFile, true));
  const client = await openLocalDatabase({ path: options.path, synchronous: 'NORMAL' });
  try {
    await migrateReplica(client);
  } catch (error) {
    client.close();
    throw error;
  }
  const core = createReaderCore(client, box, options);
  try {
    await core.refresh();
  } catch (error) {
    core.close();
    throw error;
  }

  const pruneTombstones = (revision: number) =>
    core.chainAfter(async () => {
      await client.batch(
        [
          { sql: 'DELETE FROM tombstones WHERE revision < ?', args: [revision] },
          { sql: "UPDATE meta SET value = max(value, ?) WHERE key = 'tombstone_floor'", args: [revision] },
        ],
        'write',
      );
    });

  const apply = async (changes: readonly ReplicaChange[], applyOptions: ApplyOptions = {}): Promise<ApplyResult> => {
    const records = validateChanges(changes);
    const result = await core.chainAfter(() => writeChanges(client, box, options.authMethods, records, applyOptions));
    if (result.applied) {
      await core.refresh();
      core.notify(result.revision);
      // Tombstones only serve readers that lag; keep a window and let older ones reload.
      if (result.revision % TOMBSTONE_WINDOW === 0) await pruneTombstones(result.revision - TOMBSTONE_WINDOW);
    }
    return result;
  };

  return withView(core, {
    refresh: core.refresh,
    close: core.close,
    applyBatch: (changes: readonly ReplicaChange[], version: number) => apply(changes, { syncVersion: version }),
    applyChanges: apply,
    upsertNasClient: (value: NasClientInput) => apply([{ op: 'upsert-nas-client', value }]),
    deleteNasClient: (id: string) => apply([{ op: 'delete-nas-client', id }]),
    upsertProfile: (value: ProfileInput) => apply([{ op: 'upsert-profile', value }]),
    deleteProfile: (name: string) => apply([{ op: 'delete-profile', name }]),
    upsertSubscriber: (value: SubscriberInput) => apply([{ op: 'upsert-subscriber', value }]),
    deleteSubscriber: (id: string) => apply([{ op: 'delete-subscriber', id }]),
    setTenantPolicy: (value: TenantPolicyInput) => apply([{ op: 'set-tenant-policy', value }]),
    pruneTombstones,
    async replaceCryptCredential(id: string, verifiedCrypt: string, fast: Credentials): Promise<boolean> {
      const credentials = credentialsSchema.parse(fast);
      const revision = await core.chainAfter(() => replaceCryptCredential(client, box, id, verifiedCrypt, credentials));
      if (revision === null) return false;
      await core.refresh();
      core.notify(revision);
      return true;
    },
  });
}
