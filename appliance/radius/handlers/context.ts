// What every packet handler works with. Built once per worker thread (server/worker-main.ts).
import type { ApplianceConfig } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { Credentials, NasClient, ReplicaView } from '../../replica/index.ts';
import type { SpoolClient } from '../../spool/index.ts';
import type { RadiusPacket } from '../codec.ts';
import type { Dictionary } from '../dictionary.ts';
import type { WorkerCounters } from '../server/counters.ts';
import type { DropReason } from '../server/counters.ts';
import type { CryptChecker } from '../server/crypt-pool.ts';

export type HandlerContext = {
  readonly config: ApplianceConfig;
  readonly log: Logger;
  readonly dictionary: Dictionary;
  readonly replica: ReplicaView;
  readonly spool: SpoolClient;
  readonly counters: WorkerCounters;
  readonly crypt: CryptChecker;
  /**
   * A password matched subscriber `id`'s crypt(3) hash `verifiedCrypt`: the main thread
   * stores `fast` instead (replica replaceCryptCredential), unless the hash changed.
   */
  restoreCredential(id: string, verifiedCrypt: string, fast: Credentials): void;
};

/** One verified request from a known NAS. */
export type IncomingRequest = {
  readonly packet: RadiusPacket;
  readonly nas: NasClient;
  /** Source address and port of the datagram. */
  readonly address: string;
  readonly port: number;
  /** Server clock at arrival, ms since the epoch. */
  readonly receivedAt: number;
};

/** A reply to send, or no reply (counted by reason). */
export type HandlerOutcome = { readonly reply: Buffer } | { readonly drop: DropReason };

/** The socket a request arrived on: RFC 2865 §3 authentication, RFC 2866 §3 accounting. */
export type PortKind = 'auth' | 'acct';
