// The in-memory index the RADIUS hot path reads: plain Maps, no I/O, no awaits.
// Loaded in full at start, then patched with deltas (read-rows.ts). A delta is applied
// in one synchronous step, so a lookup never sees half of a write.
import type { SuspendedPolicy } from '../config.ts';
import { createPrefixTable, parsePrefix } from './ip-prefix.ts';
import type { PrefixTable } from './ip-prefix.ts';
import { normalizeAgentId, normalizeMac } from './model.ts';
import type { NasClient, Profile, Subscriber, TenantPolicy } from './model.ts';
import type { ReplicaDelta } from './read-rows.ts';

export type PolicyDefaults = { suspendedPolicy: SuspendedPolicy; captiveProfile: string };

/** The read API of the replica, identical in the writer and in every reader thread. */
export type ReplicaView = {
  /** The NAS client for a packet's source address (longest prefix wins). */
  findClientByAddress(address: string): NasClient | undefined;
  /** A NAS client by its id (what spool sessions record), e.g. to send it a CoA/Disconnect-Request. */
  getNasClient(id: string): NasClient | undefined;
  findSubscriberByUsername(username: string): Subscriber | undefined;
  /** IPoE by MAC: any common MAC notation (Calling-Station-Id formats vary by NAS). */
  findSubscriberByMac(mac: string): Subscriber | undefined;
  /**
   * IPoE by DHCP Option 82 (RFC 3046): a binding with circuit id and remote id matches
   * only that pair; a binding with circuit id alone matches any remote id.
   */
  findSubscriberByCircuit(
    circuitId: string | Uint8Array,
    remoteId?: string | Uint8Array | null,
  ): Subscriber | undefined;
  getProfile(name: string): Profile | undefined;
  getTenantPolicy(): TenantPolicy;
  /** Local change counter: bumps with every committed write transaction. */
  readonly revision: number;
  /** The edge's version this replica is synced to (0 when never synced). */
  readonly syncVersion: number;
  counts(): { nasClients: number; profiles: number; subscribers: number };
};

export type ReplicaIndex = ReplicaView & {
  apply(delta: ReplicaDelta): void;
};

export function createReplicaIndex(defaults: PolicyDefaults): ReplicaIndex {
  let revision = -1;
  let syncVersion = 0;
  let policy: ReplicaDelta['policy'] = null;
  const clients = new Map<string, NasClient>();
  let clientTable: PrefixTable<NasClient> = createPrefixTable<NasClient>([]);
  const profiles = new Map<string, Profile>();
  const subscribers = new Map<string, Subscriber>();
  const byUsername = new Map<string, Subscriber>();
  const byMac = new Map<string, Subscriber>();
  const byCircuit = new Map<string, Subscriber>();

  const circuitKey = (circuitId: string, remoteId: string | null) => `${circuitId}/${remoteId ?? '*'}`;

  // Secondary keys point at the subscriber object; removing only when the key still
  // points at this subscriber keeps a key that moved to another subscriber intact.
  const unindexSubscriber = (subscriber: Subscriber) => {
    if (byUsername.get(subscriber.username) === subscriber) byUsername.delete(subscriber.username);
    if (subscriber.mac !== null && byMac.get(subscriber.mac) === subscriber) byMac.delete(subscriber.mac);
    if (subscriber.circuitId !== null) {
      const key = circuitKey(subscriber.circuitId, subscriber.remoteId);
      if (byCircuit.get(key) === subscriber) byCircuit.delete(key);
    }
  };
  const indexSubscriber = (subscriber: Subscriber) => {
    byUsername.set(subscriber.username, subscriber);
    if (subscriber.mac !== null) byMac.set(subscriber.mac, subscriber);
    if (subscriber.circuitId !== null) byCircuit.set(circuitKey(subscriber.circuitId, subscriber.remoteId), subscriber);
  };

  const rebuildClientTable = () => {
    const entries: Array<{ prefix: NonNullable<ReturnType<typeof parsePrefix>>; value: NasClient }> = [];
    for (const client of clients.values()) {
      const prefix = parsePrefix(client.prefix);
      if (prefix !== null) entries.push({ prefix, value: client });
    }
    clientTable = createPrefixTable(entries);
  };

  return {
    get revision() {
      return revision;
    },
    get syncVersion() {
      return syncVersion;
    },
    apply(delta) {
      if (delta.full) {
        clients.clear();
        profiles.clear();
        subscribers.clear();
        byUsername.clear();
        byMac.clear();
        byCircuit.clear();
        policy = null;
      }
      let clientsChanged = delta.full;
      for (const tombstone of delta.tombstones) {
        if (tombstone.kind === 'nas-client') clientsChanged = clients.delete(tombstone.key) || clientsChanged;
        else if (tombstone.kind === 'profile') profiles.delete(tombstone.key);
        else {
          const old = subscribers.get(tombstone.key);
          if (old !== undefined) {
            unindexSubscriber(old);
            subscribers.delete(tombstone.key);
          }
        }
      }
      for (const client of delta.nasClients) {
        clients.set(client.id, client);
        clientsChanged = true;
      }
      for (const profile of delta.profiles) profiles.set(profile.name, profile);
      for (const subscriber of delta.subscribers) {
        const old = subscribers.get(subscriber.id);
        if (old !== undefined) unindexSubscriber(old);
        subscribers.set(subscriber.id, subscriber);
      }
      // Index after all removals, so a key moved between two subscribers in one delta
      // ends up on its new owner whatever the row order.
      for (const subscriber of delta.subscribers) indexSubscriber(subscriber);
      if (delta.policy !== null) policy = delta.policy;
      if (clientsChanged) rebuildClientTable();
      revision = delta.revision;
      syncVersion = delta.syncVersion;
    },
    findClientByAddress: (address) => clientTable.lookup(address),
    getNasClient: (id) => clients.get(id),
    findSubscriberByUsername: (username) => byUsername.get(username),
    findSubscriberByMac(mac) {
      const normalized = normalizeMac(mac);
      return normalized === null ? undefined : byMac.get(normalized);
    },
    findSubscriberByCircuit(circuitId, remoteId) {
      const circuit = normalizeAgentId(circuitId);
      if (remoteId !== undefined && remoteId !== null) {
        const exact = byCircuit.get(circuitKey(circuit, normalizeAgentId(remoteId)));
        if (exact !== undefined) return exact;
      }
      return byCircuit.get(circuitKey(circuit, null));
    },
    getProfile: (name) => profiles.get(name),
    getTenantPolicy: () => ({
      suspendedPolicy: policy?.suspendedPolicy ?? defaults.suspendedPolicy,
      captiveProfile: policy?.captiveProfile ?? defaults.captiveProfile,
    }),
    counts: () => ({ nasClients: clients.size, profiles: profiles.size, subscribers: subscribers.size }),
  };
}
