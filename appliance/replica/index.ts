// Public face of the local replica: NAS clients, profiles, subscribers and tenant
// policy in replica.db, mirrored into an in-memory index per thread.
//
// Writer (one per process, main thread): openReplica() → applyBatch / upsert* /
// delete* (edge sync, import). Readers (one per RADIUS worker thread):
// openReplicaReader() → find* on the hot path, plain synchronous Map lookups. How a
// reader learns of changes is described in replica.ts.
export { openReplica, openReplicaReader, replicaChannelName } from './replica.ts';
export type { Replica, ReplicaOptions, ReplicaReader, ReplicaReaderOptions } from './replica.ts';
export type { PolicyDefaults, ReplicaView } from './replica-index.ts';
export { ReplicaWriteError } from './write-changes.ts';
export type { ApplyOptions, ApplyResult } from './write-changes.ts';
export {
  NAS_VENDORS,
  SUBSCRIBER_STATUSES,
  DIGEST_ALGORITHMS,
  credentialsSchema,
  nasClientInputSchema,
  normalizeAgentId,
  normalizeMac,
  profileInputSchema,
  rateLimitSchema,
  replicaChangeSchema,
  replyAttributeSchema,
  subscriberInputSchema,
  tenantPolicyInputSchema,
} from './model.ts';
export type {
  Credentials,
  DigestAlgorithm,
  NasClient,
  NasClientInput,
  NasVendor,
  Profile,
  ProfileInput,
  RateLimit,
  ReplicaChange,
  ReplyAttribute,
  Subscriber,
  SubscriberInput,
  SubscriberStatus,
  SuspendedPolicy,
  TenantPolicy,
  TenantPolicyInput,
} from './model.ts';
export { deriveCredentials, supportedMethods } from './credentials.ts';
export { formatPrefix, parseIpAddress, parsePrefix } from './ip-prefix.ts';
export type { IpAddress, IpPrefix } from './ip-prefix.ts';
