// What happens to one datagram in a worker thread: check the header, find the NAS by
// source address (issue 12: nothing from an unknown source is decoded), decode the
// attributes (strict framing), verify signatures, consult the shared duplicate cache, dispatch to
// the packet type's handler, send the reply. Nothing a datagram contains can throw
// out of here: every failure is a counted drop.
import type { RemoteInfo, Socket } from 'node:dgram';
import type { NasClient } from '../../replica/index.ts';
import { verifyRequest } from '../authenticator.ts';
import { checkHeader, decodePacket } from '../codec.ts';
import { RadiusDecodeError } from '../decode-error.ts';
import { PacketCode } from '../protocol.ts';
import { dispatch, requestType } from '../handlers/index.ts';
import type { HandlerContext, HandlerOutcome, IncomingRequest, PortKind } from '../handlers/index.ts';
import type { DropReason, RequestType } from './counters.ts';
import { IN_PROGRESS } from './duplicate-cache.ts';
import type { DuplicateCache } from './duplicate-cache.ts';
import { createDelayQueue } from './reject-delay.ts';

export type PacketLoop = {
  /** The 'message' listener for one socket. */
  listener(socket: Socket, port: PortKind): (datagram: Buffer, remote: RemoteInfo) => void;
  /** Requests still being processed (accounting waiting for the spool). */
  readonly inFlight: number;
  /** Resolves when nothing is in flight. */
  drained(): Promise<void>;
};

export function createPacketLoop(ctx: HandlerContext, cache: DuplicateCache): PacketLoop {
  const rejects = ctx.config.radius.rejectDelayMs > 0 ? createDelayQueue(ctx.config.radius.rejectDelayMs) : null;
  let inFlight = 0;
  const onDrained: Array<() => void> = [];
  const settle = () => {
    inFlight--;
    if (inFlight === 0) for (const resolve of onDrained.splice(0)) resolve();
  };

  const drop = (reason: DropReason, remote: RemoteInfo, detail?: Record<string, unknown>) => {
    ctx.counters.drop(reason);
    if (ctx.log.isEnabled('debug'))
      ctx.log.debug('datagram dropped', { reason, address: remote.address, port: remote.port, ...detail });
  };

  // Latency is the handling time: a deliberately delayed Access-Reject counts without its delay.
  const handled = (type: RequestType, started: number) =>
    ctx.counters.latency(type, (performance.now() - started) / 1000);

  // Cached before it leaves: a reply the NAS may have seen is always there for its
  // retransmit, even when this thread is terminated right after the send.
  const sendReply = (socket: Socket, remote: RemoteInfo, claim: number, reply: Buffer) => {
    cache.complete(claim, reply, Date.now());
    socket.send(reply, remote.port, remote.address);
  };

  /** Sends the handler's reply; a Promise only while a deliberately delayed Access-Reject waits. */
  const respond = (
    socket: Socket,
    remote: RemoteInfo,
    claim: number,
    type: RequestType,
    started: number,
    outcome: HandlerOutcome,
  ): Promise<void> | undefined => {
    if ('drop' in outcome) {
      cache.abandon(claim);
      drop(outcome.drop, remote);
      return undefined;
    }
    const reply = outcome.reply;
    handled(type, started);
    if (rejects === null || reply[0] !== PacketCode.accessReject) {
      sendReply(socket, remote, claim, reply);
      return undefined;
    }
    // Until the delayed reject leaves, the request stays in progress: a retransmit
    // is dropped, not answered early, and the shutdown drain waits for it.
    return rejects.wait().then(() => sendReply(socket, remote, claim, reply));
  };

  const fail = (claim: number, type: RequestType, nas: NasClient, remote: RemoteInfo, error: unknown) => {
    cache.abandon(claim);
    ctx.log.error('request handler failed', { type, nas: nas.name, error });
    drop('internal_error', remote);
  };

  const handle = (socket: Socket, port: PortKind, datagram: Buffer, remote: RemoteInfo) => {
    const started = performance.now();
    const receivedAt = Date.now();
    try {
      checkHeader(datagram);
    } catch (error) {
      if (error instanceof RadiusDecodeError) return drop(error.reason, remote, { offset: error.offset });
      throw error;
    }
    const code = datagram[0] ?? 0;
    const type = requestType(code, port);
    if (type === null) return drop('unexpected_code', remote, { code, port });
    ctx.counters.request(type);
    // RFC 2865 §3: a request from an unknown client is silently discarded.
    const nas = ctx.replica.findClientByAddress(remote.address);
    if (nas === undefined) return drop('unknown_client', remote);
    let packet;
    try {
      packet = decodePacket(datagram, ctx.dictionary);
    } catch (error) {
      if (error instanceof RadiusDecodeError) {
        return drop(error.reason, remote, { offset: error.offset, nas: nas.name });
      }
      throw error;
    }
    const verified = verifyRequest(packet, nas.secret, {
      requireMessageAuthenticator: nas.requireMessageAuthenticator ?? ctx.config.radius.requireMessageAuthenticator,
    });
    if (verified !== 'ok')
      return drop(verified === 'unexpected_code' ? 'unexpected_code' : verified, remote, { nas: nas.name });
    const request: IncomingRequest = { packet, nas, address: remote.address, port: remote.port, receivedAt };

    // RFC 5997: Status-Server has no side effects; answered without the cache.
    if (type === 'status') {
      const outcome = dispatch(ctx, request, type, port) as HandlerOutcome;
      if ('drop' in outcome) return drop(outcome.drop, remote);
      handled(type, started);
      socket.send(outcome.reply, remote.port, remote.address);
      return;
    }
    // RFC 5080 §2.2.2: same source, Identifier and Request Authenticator = a duplicate.
    const claim = cache.begin(packet.data, remote.address, remote.port, receivedAt);
    if (typeof claim !== 'number') {
      ctx.counters.duplicate('cached');
      socket.send(claim, remote.port, remote.address);
      return;
    }
    if (claim === IN_PROGRESS) {
      ctx.counters.duplicate('in_progress');
      return;
    }
    let outcome: HandlerOutcome | Promise<HandlerOutcome>;
    try {
      outcome = dispatch(ctx, request, type, port);
    } catch (error) {
      return fail(claim, type, nas, remote, error);
    }
    // A handler that needed no I/O (PAP against a stored password) answered at once:
    // no Promise, no microtask between the datagram and its reply.
    if (!(outcome instanceof Promise)) {
      const delayed = respond(socket, remote, claim, type, started, outcome);
      if (delayed !== undefined) {
        inFlight++;
        void delayed.finally(settle);
      }
      return;
    }
    inFlight++;
    void outcome
      .then(
        (settled) => respond(socket, remote, claim, type, started, settled),
        (error: unknown) => fail(claim, type, nas, remote, error),
      )
      .finally(settle);
  };

  return {
    listener: (socket, port) => (datagram, remote) => {
      try {
        handle(socket, port, datagram, remote);
      } catch (error) {
        // A bug, not the datagram's fault: count it, keep the worker serving.
        ctx.log.error('datagram handling failed', { error, address: remote.address });
        ctx.counters.drop('internal_error');
      }
    },
    get inFlight() {
      return inFlight;
    },
    drained: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => onDrained.push(resolve))),
  };
}
