// Dynamic Authorization client (RFC 5176): Disconnect-Request and CoA-Request to a
// NAS, with retransmission, reply matching and verification.
//
// One UDP socket per address family, bound on first use. A request takes an
// Identifier from its NAS's pool (identifier-pool.ts) and keeps it, with the same
// bytes (so the same Request Authenticator and Event-Timestamp), across
// retransmissions (RFC 5080 §2.2.1). Every request carries Message-Authenticator
// (first) and Event-Timestamp, which RFC 5176 §6.4 gives the NAS for replay
// protection. A reply is matched by (source address, source port, Identifier), must
// have the code that answers the request, a valid Response Authenticator (RFC 5176
// §3.5) and, because the request carried one, a valid Message-Authenticator (RFC 3579
// §3.2; the BlastRADIUS mitigations require it on every reply to a signed request).
// Anything else is dropped, counted, and the request keeps waiting for a valid answer;
// a reply failing a signature check is also logged (at most one line per 10 s).
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { limitedLog } from '../../log-limiter.ts';
import type { Logger } from '../../log.ts';
import type { MetricsRegistry } from '../../metrics.ts';
import { formatPrefix, parseIpAddress, parsePrefix } from '../../replica/index.ts';
import type { NasClient, ReplicaView } from '../../replica/index.ts';
import type { SpoolClient } from '../../spool/index.ts';
import {
  buildRequest,
  decodePacket,
  DictionaryError,
  getValues,
  loadDictionary,
  PacketCode,
  RadiusDecodeError,
  RadiusEncodeError,
  RateLimitError,
  renderRateLimit,
  verifyReply,
} from '../index.ts';
import type { AttributeInput, RateLimitProfile } from '../index.ts';
import { describeErrorCause } from './error-cause.ts';
import type { ErrorCause } from './error-cause.ts';
import { createIdentifierPool } from './identifier-pool.ts';
import type { IdentifierPool } from './identifier-pool.ts';

/**
 * RFC 5176 §3 session identification attributes. Every one given must match on the
 * NAS; a request matching several sessions applies to all of them.
 */
export type SessionIdentification = {
  userName?: string;
  acctSessionId?: string;
  acctMultiSessionId?: string;
  framedIpAddress?: string;
  framedIpv6Prefix?: string;
  callingStationId?: string;
  calledStationId?: string;
  nasPort?: number;
  nasPortId?: string;
  chargeableUserIdentity?: string;
};

/** RFC 5176 §3 NAS identification attributes; when sent, the NAS checks them against itself. */
export type NasIdentification = {
  nasIpAddress?: string;
  nasIpv6Address?: string;
  nasIdentifier?: string;
};

export type CoaTarget = {
  /** The replica NAS client (what spool sessions record). Either this or nasAddress. */
  nasId?: string;
  /**
   * Where to send. Must lie in the NAS client's prefix (its secret is not sent
   * anywhere else). Default: the client's address when its prefix is one host.
   */
  nasAddress?: string;
  /** Default: the NAS client's coaPort, else config coa.port (RFC 5176 §3: 3799). */
  port?: number;
  session: SessionIdentification;
  nas?: NasIdentification;
};

/** What a CoA-Request changes (RFC 5176 §3.6 lists what it may carry). */
export type AuthorizationChange = {
  /** Rendered for the NAS's vendor (Mikrotik-Rate-Limit, Cisco-AVPair, …). */
  rateLimit?: RateLimitProfile;
  sessionTimeout?: number;
  idleTimeout?: number;
  /** RFC 2865 §5.11 Filter-Id: a filter or policy provisioned on the NAS. */
  filterId?: string;
  /** Anything else, by dictionary name (Mikrotik-Address-List, Cisco-AVPair, …). */
  attributes?: readonly AttributeInput[];
};

export type CoaRequestKind = 'disconnect' | 'coa';

/** Why a request was not (completely) sent. */
export type CoaErrorReason =
  'unknown_nas' | 'no_nas_address' | 'address_outside_nas' | 'invalid_request' | 'send_failed' | 'closed';

type ResultBase = {
  request: CoaRequestKind;
  nasId: string | null;
  address: string | null;
  port: number | null;
  identifier: number | null;
  /** Transmissions: 1 + retries. */
  attempts: number;
  /** From the first transmission to the answer (or giving up). */
  elapsedMs: number;
};

export type CoaResult =
  | (ResultBase & {
      status: 'ack';
      errorCauses: ErrorCause[];
      /** Disconnect-ACK for a session the spool knew: whether it was open and is now closed; null otherwise. */
      sessionClosed: boolean | null;
    })
  | (ResultBase & { status: 'nak'; errorCauses: ErrorCause[] })
  | (ResultBase & { status: 'timeout' })
  | (ResultBase & { status: 'error'; reason: CoaErrorReason; message: string });

export type SubscriberCoaResult = {
  username: string;
  /** One entry per live session in the spool; empty when the subscriber is offline. */
  sessions: Array<{ nasId: string; sessionId: string; result: CoaResult }>;
};

/** One session of a throttle: the CoA-Request, and the Disconnect-Request sent when it was NAKed or timed out. */
export type ThrottledSession = { nasId: string; sessionId: string; result: CoaResult; fallback: CoaResult | null };

export type SubscriberThrottleResult = { username: string; sessions: ThrottledSession[] };

export type CoaClient = {
  disconnect(target: CoaTarget): Promise<CoaResult>;
  changeAuthorization(target: CoaTarget, change: AuthorizationChange): Promise<CoaResult>;
  /** Disconnect every live session of `username` (spool sessions → their NAS). */
  disconnectSubscriber(username: string): Promise<SubscriberCoaResult>;
  changeSubscriber(username: string, change: AuthorizationChange): Promise<SubscriberCoaResult>;
  /**
   * The collections (dunning) throttle rule of the business rules: CoA every live session of
   * `username` with `change`; a session whose CoA is NAKed or times out is disconnected
   * instead, so it comes back through Access-Request with the profile the replica now
   * gives it. Switch the subscriber's profile in the replica first. An exhausted FUP
   * quota is throttled by CoA only, never by disconnect: use changeSubscriber for it.
   */
  throttleSubscriber(username: string, change: AuthorizationChange): Promise<SubscriberThrottleResult>;
  /** Answers requests in flight with status 'error', reason 'closed', and closes the sockets. */
  close(): Promise<void>;
};

export type CoaClientOptions = {
  replica: Pick<ReplicaView, 'getNasClient' | 'findClientByAddress'>;
  /** The main thread's spool client (the owner itself also fits). */
  spool: Pick<SpoolClient, 'listLiveSessions' | 'closeSession'>;
  config: {
    readonly coa: { readonly port: number; readonly timeoutMs: number; readonly retries: number };
    readonly radius: { readonly dictionaries: readonly string[] };
  };
  log: Logger;
  metrics: MetricsRegistry;
  /** Source addresses of the sockets (a NAS accepts CoA only from its configured clients). Default: any. */
  bind?: { readonly ipv4?: string; readonly ipv6?: string };
};

const SESSION_ATTRIBUTES: Readonly<Record<keyof SessionIdentification, string>> = {
  userName: 'User-Name',
  acctSessionId: 'Acct-Session-Id',
  acctMultiSessionId: 'Acct-Multi-Session-Id',
  framedIpAddress: 'Framed-IP-Address',
  framedIpv6Prefix: 'Framed-IPv6-Prefix',
  callingStationId: 'Calling-Station-Id',
  calledStationId: 'Called-Station-Id',
  nasPort: 'NAS-Port',
  nasPortId: 'NAS-Port-Id',
  chargeableUserIdentity: 'Chargeable-User-Identity',
};

const NAS_ATTRIBUTES: Readonly<Record<keyof NasIdentification, string>> = {
  nasIpAddress: 'NAS-IP-Address',
  nasIpv6Address: 'NAS-IPv6-Address',
  nasIdentifier: 'NAS-Identifier',
};

const REQUEST_CODES: Readonly<Record<CoaRequestKind, { request: number; ack: number; nak: number }>> = {
  disconnect: { request: PacketCode.disconnectRequest, ack: PacketCode.disconnectAck, nak: PacketCode.disconnectNak },
  coa: { request: PacketCode.coaRequest, ack: PacketCode.coaAck, nak: PacketCode.coaNak },
};

const SIGNATURE_FAILURES: ReadonlySet<string> = new Set([
  'bad_authenticator',
  'missing_message_authenticator',
  'bad_message_authenticator',
]);

type Pending = {
  kind: CoaRequestKind;
  secret: Buffer;
  /** Our Request Authenticator, data[4..20), which keys the reply's (RFC 5176 §3.5). */
  authenticator: Buffer;
  resolve: (reply: { code: number; errorCauses: ErrorCause[] } | { error: CoaErrorReason; message: string }) => void;
};

type Resolved =
  { client: NasClient; address: string; family: 4 | 6; port: number } | { error: CoaErrorReason; message: string };

function canonicalAddress(text: string): { address: string; family: 4 | 6 } | null {
  const parsed = parseIpAddress(text);
  if (parsed === null) return null;
  const prefix = formatPrefix({ family: parsed.family, network: parsed.value, length: parsed.family === 4 ? 32 : 128 });
  return { address: prefix.slice(0, prefix.lastIndexOf('/')), family: parsed.family };
}

export function createCoaClient(options: CoaClientOptions): CoaClient {
  const { replica, spool, log, metrics } = options;
  const settings = options.config.coa;
  const dictionary = loadDictionary({ extraPaths: options.config.radius.dictionaries });
  const errorCause = dictionary.requireAttribute('Error-Cause');

  const sent = metrics.counter('appliance_coa_requests_total', 'CoA/Disconnect-Requests sent (first transmissions).');
  const retried = metrics.counter(
    'appliance_coa_retries_total',
    'CoA/Disconnect-Request retransmissions after a timeout.',
  );
  const acks = metrics.counter('appliance_coa_acks_total', 'CoA-ACK/Disconnect-ACK received.');
  const naks = metrics.counter(
    'appliance_coa_naks_total',
    'CoA-NAK/Disconnect-NAK received, by first Error-Cause (RFC 5176 §3.5).',
  );
  const timeouts = metrics.counter(
    'appliance_coa_timeouts_total',
    'CoA/Disconnect-Requests unanswered after every retry.',
  );
  const failures = metrics.counter('appliance_coa_failures_total', 'CoA/Disconnect commands not sent, by reason.');
  const dropped = metrics.counter(
    'appliance_coa_replies_dropped_total',
    'Datagrams on the CoA sockets dropped, by reason.',
  );
  const fallbacks = metrics.counter(
    'appliance_coa_throttle_fallbacks_total',
    'Throttles that fell back to Disconnect-Request, by what the CoA got (nak, timeout).',
  );

  // One per NAS address and port, kept for the client's life so the round-robin
  // order survives idle periods (a few hundred bytes per NAS).
  const pools = new Map<string, IdentifierPool>();
  const pending = new Map<string, Pending>();
  const sockets = new Map<4 | 6, Promise<Socket>>();
  let closed = false;

  const signatureLog = limitedLog(log, 'warn', 10_000);
  const drop = (reason: string, from: RemoteInfo) => {
    dropped.inc({ reason });
    // A wrong or missing signature is a misconfigured NAS (or someone forging): say so.
    const fields = { reason, address: from.address, port: from.port };
    if (SIGNATURE_FAILURES.has(reason)) signatureLog('coa reply dropped: signature check failed', fields);
    else log.debug('coa reply dropped', fields);
  };

  const onMessage = (datagram: Buffer, from: RemoteInfo) => {
    if (datagram.length < 20) return drop('malformed', from);
    const sender = canonicalAddress(from.address);
    const key = `${sender?.address ?? from.address}|${from.port}|${datagram[1] ?? 0}`;
    const request = pending.get(key);
    if (request === undefined) return drop('unsolicited', from);
    let reply;
    try {
      reply = decodePacket(datagram, dictionary);
    } catch (error) {
      if (error instanceof RadiusDecodeError) return drop('malformed', from);
      throw error;
    }
    const codes = REQUEST_CODES[request.kind];
    if (reply.code !== codes.ack && reply.code !== codes.nak) return drop('unexpected_code', from);
    // Every request carries Message-Authenticator, so every reply must (RFC 3579 §3.2).
    const outcome = verifyReply(reply, request.authenticator, request.secret, { requireMessageAuthenticator: true });
    if (outcome !== 'ok') return drop(outcome, from);
    const causes = getValues(reply, errorCause).filter((value): value is number => typeof value === 'number');
    request.resolve({ code: reply.code, errorCauses: causes.map(describeErrorCause) });
  };

  const socketFor = (family: 4 | 6): Promise<Socket> => {
    let socket = sockets.get(family);
    if (socket === undefined) {
      socket = new Promise<Socket>((resolve, reject) => {
        const udp = createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
        udp.on('message', onMessage);
        udp.once('error', reject);
        const address = family === 4 ? (options.bind?.ipv4 ?? '0.0.0.0') : (options.bind?.ipv6 ?? '::');
        udp.bind({ address, port: 0 }, () => {
          udp.off('error', reject);
          udp.on('error', (error) => log.error('coa socket error', { family, error }));
          resolve(udp);
        });
      });
      sockets.set(family, socket);
      // A failed bind is retried by the next request.
      socket.catch(() => sockets.delete(family));
    }
    return socket;
  };

  const resolveTarget = (target: CoaTarget): Resolved => {
    // The target's port, else the NAS client's (Cisco ISG: 1700), else config coa.port.
    const portOf = (client: NasClient) => target.port ?? client.coaPort ?? settings.port;
    if (target.nasId !== undefined) {
      const client = replica.getNasClient(target.nasId);
      if (client === undefined) return { error: 'unknown_nas', message: `no NAS client with id "${target.nasId}"` };
      const port = portOf(client);
      if (target.nasAddress === undefined) {
        const prefix = parsePrefix(client.prefix);
        if (prefix === null || prefix.length !== (prefix.family === 4 ? 32 : 128)) {
          return {
            error: 'no_nas_address',
            message: `NAS client "${client.id}" is the prefix ${client.prefix}: give nasAddress`,
          };
        }
        const host = canonicalAddress(client.prefix.slice(0, client.prefix.lastIndexOf('/')));
        if (host === null)
          return { error: 'no_nas_address', message: `NAS client "${client.id}" has no usable address` };
        return { client, ...host, port };
      }
      const host = canonicalAddress(target.nasAddress);
      if (host === null) return { error: 'invalid_request', message: `"${target.nasAddress}" is not an IP address` };
      if (replica.findClientByAddress(host.address)?.id !== client.id) {
        return {
          error: 'address_outside_nas',
          message: `${host.address} is not NAS client "${client.id}" (${client.prefix})`,
        };
      }
      return { client, ...host, port };
    }
    if (target.nasAddress === undefined)
      return { error: 'invalid_request', message: 'a target needs nasId or nasAddress' };
    const host = canonicalAddress(target.nasAddress);
    if (host === null) return { error: 'invalid_request', message: `"${target.nasAddress}" is not an IP address` };
    const client = replica.findClientByAddress(host.address);
    if (client === undefined) return { error: 'unknown_nas', message: `no NAS client covers ${host.address}` };
    return { client, ...host, port: portOf(client) };
  };

  const identification = (target: CoaTarget): AttributeInput[] => {
    const attributes: AttributeInput[] = [];
    for (const [field, name] of Object.entries(NAS_ATTRIBUTES) as Array<[keyof NasIdentification, string]>) {
      const value = target.nas?.[field];
      if (value !== undefined) attributes.push({ attribute: name, value });
    }
    for (const [field, name] of Object.entries(SESSION_ATTRIBUTES) as Array<[keyof SessionIdentification, string]>) {
      const value = target.session[field];
      if (value !== undefined) attributes.push({ attribute: name, value });
    }
    return attributes;
  };

  const changeAttributes = (client: NasClient, change: AuthorizationChange): AttributeInput[] => [
    ...(change.rateLimit === undefined ? [] : renderRateLimit(client.vendor, change.rateLimit)),
    ...(change.sessionTimeout === undefined ? [] : [{ attribute: 'Session-Timeout', value: change.sessionTimeout }]),
    ...(change.idleTimeout === undefined ? [] : [{ attribute: 'Idle-Timeout', value: change.idleTimeout }]),
    ...(change.filterId === undefined ? [] : [{ attribute: 'Filter-Id', value: change.filterId }]),
    ...(change.attributes ?? []),
  ];

  const send = async (
    kind: CoaRequestKind,
    target: CoaTarget,
    change: AuthorizationChange | null,
  ): Promise<CoaResult> => {
    const started = performance.now();
    const base: ResultBase = {
      request: kind,
      nasId: null,
      address: null,
      port: null,
      identifier: null,
      attempts: 0,
      elapsedMs: 0,
    };
    const fail = (reason: CoaErrorReason, message: string): CoaResult => {
      failures.inc({ reason });
      log.warn('coa request not sent', { request: kind, nasId: base.nasId, address: base.address, reason, message });
      return { ...base, elapsedMs: performance.now() - started, status: 'error', reason, message };
    };
    if (closed) return fail('closed', 'the CoA client is closed');
    const resolved = resolveTarget(target);
    if ('error' in resolved) return fail(resolved.error, resolved.message);
    const { client, address, family, port } = resolved;
    base.nasId = client.id;
    base.address = address;
    base.port = port;

    // RFC 5176 §3: the request must identify at least one session.
    if (Object.values(target.session).every((value) => value === undefined)) {
      return fail('invalid_request', 'no session identification attribute (RFC 5176 §3)');
    }
    // RFC 5176 §6.4: seconds since the epoch, for the NAS's replay window; right after
    // Message-Authenticator, before the identification.
    const eventTimestamp: AttributeInput = { attribute: 'Event-Timestamp', value: Math.floor(Date.now() / 1000) };
    let attributes = [eventTimestamp, ...identification(target)];
    if (change !== null) {
      let changes: AttributeInput[];
      try {
        changes = changeAttributes(client, change);
      } catch (error) {
        if (error instanceof RateLimitError) return fail('invalid_request', error.message);
        throw error;
      }
      if (changes.length === 0) return fail('invalid_request', `nothing to change for a ${client.vendor} NAS`);
      attributes = [...attributes, ...changes];
    }

    const poolKey = `${address}|${port}`;
    let pool = pools.get(poolKey);
    if (pool === undefined) {
      pool = createIdentifierPool();
      pools.set(poolKey, pool);
    }
    const identifier = await pool.acquire();
    const release = () => pool.release(identifier);
    base.identifier = identifier;

    let data: Buffer;
    try {
      // RFC 5176 §3.5: Request Authenticator computed over the packet; Message-Authenticator
      // (RFC 3579 §3.2) first, so a reply-forging collision cannot be built around it.
      data = buildRequest(
        {
          code: REQUEST_CODES[kind].request,
          identifier,
          attributes,
          secret: client.secret,
          messageAuthenticator: true,
        },
        dictionary,
      );
    } catch (error) {
      release();
      if (error instanceof RadiusEncodeError || error instanceof DictionaryError)
        return fail('invalid_request', error.message);
      throw error;
    }

    let socket: Socket;
    try {
      socket = await socketFor(family);
    } catch (error) {
      release();
      return fail('send_failed', `cannot bind the IPv${family} CoA socket: ${(error as Error).message}`);
    }
    // close() ran while this request waited for an identifier or the socket.
    if (closed) {
      release();
      return fail('closed', 'the CoA client is closed');
    }

    const key = `${address}|${port}|${identifier}`;
    const answer = await new Promise<Parameters<Pending['resolve']>[0] | 'timeout'>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: Parameters<Pending['resolve']>[0] | 'timeout') => {
        clearTimeout(timer);
        pending.delete(key);
        resolve(outcome);
      };
      const transmit = () => {
        base.attempts++;
        if (base.attempts === 1) sent.inc({ request: kind });
        else retried.inc({ request: kind });
        // The same bytes every time: same Identifier and Request Authenticator (RFC 5080 §2.2.1).
        socket.send(data, port, address, (error) => {
          if (error) finish({ error: 'send_failed', message: error.message });
        });
        timer = setTimeout(
          () => (base.attempts <= settings.retries ? transmit() : finish('timeout')),
          settings.timeoutMs,
        );
      };
      pending.set(key, {
        kind,
        secret: client.secret,
        authenticator: Buffer.from(data.subarray(4, 20)),
        resolve: finish,
      });
      transmit();
    });
    release();
    const elapsedMs = performance.now() - started;

    if (answer === 'timeout') {
      timeouts.inc({ request: kind });
      log.warn('coa request timed out', {
        request: kind,
        nasId: client.id,
        address,
        port,
        identifier,
        attempts: base.attempts,
      });
      return { ...base, elapsedMs, status: 'timeout' };
    }
    if ('error' in answer) return fail(answer.error, answer.message);
    const errorCauses = answer.errorCauses;
    if (answer.code === REQUEST_CODES[kind].nak) {
      naks.inc({ request: kind, cause: errorCauses[0]?.name ?? 'none' });
      log.info('coa request refused', { request: kind, nasId: client.id, address, identifier, errorCauses });
      return { ...base, elapsedMs, status: 'nak', errorCauses };
    }
    acks.inc({ request: kind });
    log.info('coa request acknowledged', {
      request: kind,
      nasId: client.id,
      address,
      identifier,
      attempts: base.attempts,
    });
    const sessionClosed = await closeSpoolSession(kind, client, address, target);
    return { ...base, elapsedMs, status: 'ack', errorCauses, sessionClosed };
  };

  // A Disconnect-ACK ends the session (business rule: sessions close on Stop, on a
  // Disconnect-ACK, or when stale); the NAS's Stop, if it ever comes, is folded in.
  // The session is the one of the NAS the Disconnect went to: a client may be a fleet.
  const closeSpoolSession = async (
    kind: CoaRequestKind,
    client: NasClient,
    address: string,
    target: CoaTarget,
  ): Promise<boolean | null> => {
    const sessionId = target.session.acctSessionId;
    if (kind !== 'disconnect' || sessionId === undefined) return null;
    try {
      return await spool.closeSession(client.id, sessionId, address);
    } catch (error) {
      log.error('closing the disconnected session in the spool failed', { nasId: client.id, sessionId, error });
      return false;
    }
  };

  const forSubscriber = async <T>(
    username: string,
    act: (target: CoaTarget) => Promise<T>,
  ): Promise<Array<{ nasId: string; sessionId: string } & T>> => {
    const rows = await spool.listLiveSessions(username);
    return Promise.all(
      rows.map(async (row) => ({
        nasId: row.nasId,
        sessionId: row.sessionId,
        ...(await act({
          nasId: row.nasId,
          // Needed when the NAS client is a whole prefix; checked against it again in resolveTarget.
          ...(row.nasAddress === null ? {} : { nasAddress: row.nasAddress }),
          session: { userName: row.username ?? username, acctSessionId: row.sessionId },
        })),
      })),
    );
  };

  // Only a NAS that refused or did not answer gets the Disconnect: an error (unknown
  // NAS, no address, bad change) would fail the same way for it.
  const throttle = async (
    target: CoaTarget,
    change: AuthorizationChange,
  ): Promise<{ result: CoaResult; fallback: CoaResult | null }> => {
    const result = await send('coa', target, change);
    if (result.status !== 'nak' && result.status !== 'timeout') return { result, fallback: null };
    fallbacks.inc({ cause: result.status });
    log.info('coa not applied; disconnecting the session instead', {
      nasId: result.nasId,
      sessionId: target.session.acctSessionId,
      coa: result.status,
    });
    return { result, fallback: await send('disconnect', target, null) };
  };

  return {
    disconnect: (target) => send('disconnect', target, null),
    changeAuthorization: (target, change) => send('coa', target, change),
    disconnectSubscriber: async (username) => ({
      username,
      sessions: await forSubscriber(username, async (target) => ({ result: await send('disconnect', target, null) })),
    }),
    changeSubscriber: async (username, change) => ({
      username,
      sessions: await forSubscriber(username, async (target) => ({ result: await send('coa', target, change) })),
    }),
    throttleSubscriber: async (username, change) => ({
      username,
      sessions: await forSubscriber(username, (target) => throttle(target, change)),
    }),
    async close() {
      closed = true;
      for (const request of [...pending.values()])
        request.resolve({ error: 'closed', message: 'the CoA client closed' });
      const open = await Promise.allSettled(sockets.values());
      sockets.clear();
      await Promise.all(
        open.map((entry) =>
          entry.status === 'fulfilled' ? new Promise<void>((done) => entry.value.close(() => done())) : undefined,
        ),
      );
    },
  };
}
