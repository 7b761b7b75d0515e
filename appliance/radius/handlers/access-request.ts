// Access-Request (RFC 2865 §4.1): identify the subscriber (by User-Name with PAP,
// CHAP or MS-CHAPv2 credentials, or IPoE by DHCP Option 82 / MAC), check its
// status, Simultaneous-Use, and answer Access-Accept with its profile or
// Access-Reject. Every reject is counted and logged at debug with its reason.
import { deriveCredentials } from '../../replica/index.ts';
import type { Profile, Subscriber } from '../../replica/index.ts';
import { authenticateChap } from '../auth/chap.ts';
import type { AuthResult } from '../auth/credential.ts';
import { authenticateMsChapV2 } from '../auth/mschapv2.ts';
import { authenticatePap } from '../auth/pap.ts';
import { getInteger, getOctets, getString } from '../attributes.ts';
import type { AttributeInput } from '../codec.ts';
import type { AttributeDef, Dictionary } from '../dictionary.ts';
import { readAgentIds } from '../option82.ts';
import { revealUserPassword } from '../password.ts';
import { Attr, PacketCode } from '../protocol.ts';
import { buildReply } from '../reply.ts';
import type { AcceptMethod, RejectReason } from '../server/counters.ts';
import type { HandlerContext, HandlerOutcome, IncomingRequest } from './context.ts';
import { acceptAttributes } from './reply-attributes.ts';
import { credentialKind } from './request-credentials.ts';
import { identityAttributes } from './service-line.ts';
import { checkSimultaneousUse } from './simultaneous-use.ts';
import { credentialFor } from './stored-credential.ts';
import type { AuthMethodName } from './stored-credential.ts';

const USER_PASSWORD = { vendorId: 0, type: Attr.userPassword } as const;
const NO_ATTRIBUTES: readonly AttributeInput[] = [];

type Definitions = {
  readonly userName: AttributeDef;
  readonly framedProtocol: AttributeDef;
  readonly callingStationId: AttributeDef;
  /** RFC 6911 Delegated-IPv6-Prefix-Pool is in the dictionary. */
  readonly delegatedPoolAttribute: boolean;
};

// A worker's dictionary never changes once loaded: its definitions are looked up once.
const definitions = new WeakMap<Dictionary, Definitions>();

function definitionsOf(dictionary: Dictionary): Definitions {
  let found = definitions.get(dictionary);
  if (found === undefined) {
    found = {
      userName: dictionary.requireAttribute('User-Name'),
      framedProtocol: dictionary.requireAttribute('Framed-Protocol'),
      callingStationId: dictionary.requireAttribute('Calling-Station-Id'),
      delegatedPoolAttribute: dictionary.findAttribute('Delegated-IPv6-Prefix-Pool') !== undefined,
    };
    definitions.set(dictionary, found);
  }
  return found;
}

/**
 * IPoE (business rules): DHCP Option 82 first, then Calling-Station-Id, then User-Name
 * as a MAC. Only for requests without credentials from a NAS marked for IPoE (issue 12).
 */
function findIpoeSubscriber(
  ctx: HandlerContext,
  request: IncomingRequest,
  userName: string | undefined,
): { subscriber: Subscriber; method: AcceptMethod } | null {
  const agent = readAgentIds(request.packet);
  if (agent.circuitId !== undefined) {
    const subscriber = ctx.replica.findSubscriberByCircuit(agent.circuitId, agent.remoteId ?? null);
    if (subscriber !== undefined) return { subscriber, method: 'option82' };
  }
  const station = getString(request.packet, definitionsOf(ctx.dictionary).callingStationId);
  for (const candidate of [station, userName]) {
    if (candidate === undefined) continue;
    const subscriber = ctx.replica.findSubscriberByMac(candidate);
    if (subscriber !== undefined) return { subscriber, method: 'mac' };
  }
  return null;
}

/**
 * The password check; a Promise only for crypt(3), which runs off the packet loop
 * (server/crypt-pool.ts): every other form is checked at once. Null when the crypt
 * queue is full (the request is dropped; the NAS retransmits).
 */
function checkPassword(
  ctx: HandlerContext,
  request: IncomingRequest,
  subscriber: Subscriber,
  method: AuthMethodName,
): AuthResult | Promise<AuthResult> | null {
  const credential = credentialFor(subscriber, method);
  if (credential === undefined) return { ok: false, reason: 'unsupported_credential', reply: NO_ATTRIBUTES };
  switch (method) {
    case 'pap':
      if (credential.kind === 'crypt') return checkCrypt(ctx, request, subscriber, credential.hash);
      return authenticatePap(request.packet, request.nas.secret, credential);
    case 'chap':
      return authenticateChap(request.packet, credential);
    case 'mschapv2':
      return authenticateMsChapV2(request.packet, credential);
  }
}

// Subscribers whose fast credential was already asked for (one request per storm).
const restoring = new WeakSet<Subscriber>();

/**
 * crypt(3) takes milliseconds by design: off the packet loop (server/crypt-pool.ts).
 * Null when the queue is full. After a match the password is stored again in the fast
 * form the enabled methods allow (issue 12 item 7), so the next login costs microseconds.
 */
function checkCrypt(
  ctx: HandlerContext,
  request: IncomingRequest,
  subscriber: Subscriber,
  hash: string,
): Promise<AuthResult> | null {
  const hidden = getOctets(request.packet, USER_PASSWORD);
  const password = hidden && revealUserPassword(hidden, request.nas.secret, request.packet.authenticator);
  if (!password) return Promise.resolve({ ok: false, reason: 'malformed_attribute', reply: NO_ATTRIBUTES });
  const verified = ctx.crypt.verify(password, hash);
  if (verified === undefined) {
    password.fill(0);
    return null;
  }
  return verified
    .then((ok): AuthResult => {
      if (!ok) return { ok: false, reason: 'wrong_password', reply: NO_ATTRIBUTES };
      if (!restoring.has(subscriber)) {
        restoring.add(subscriber);
        const fast = deriveCredentials(password.toString('utf8'), ctx.config.auth.methods);
        ctx.restoreCredential(subscriber.id, hash, fast);
      }
      return { ok: true, reply: NO_ATTRIBUTES };
    })
    .finally(() => password.fill(0));
}

function reject(
  ctx: HandlerContext,
  request: IncomingRequest,
  userName: string | undefined,
  reason: RejectReason,
  attributes: readonly AttributeInput[] = NO_ATTRIBUTES,
): HandlerOutcome {
  ctx.counters.reject(reason);
  ctx.log.debug('access rejected', { reason, user: userName, nas: request.nas.name, address: request.address });
  return { reply: buildReply(request.packet, PacketCode.accessReject, attributes, request.nas.secret, ctx.dictionary) };
}

/**
 * A Promise only when the answer needs I/O (SHA-crypt, Simultaneous-Use): PAP
 * against a stored password is answered synchronously, with no await on the path.
 */
export function handleAccessRequest(
  ctx: HandlerContext,
  request: IncomingRequest,
): HandlerOutcome | Promise<HandlerOutcome> {
  const userName = getString(request.packet, definitionsOf(ctx.dictionary).userName);
  const byName = userName === undefined ? undefined : ctx.replica.findSubscriberByUsername(userName);

  // Who is asking, and did they prove it? A request with credentials is only ever
  // checked against its User-Name's subscriber, never matched as IPoE.
  const kind = credentialKind(request.packet);
  switch (kind) {
    case null:
      break;
    case 'eap':
      return reject(ctx, request, userName, 'unsupported_eap');
    case 'mschapv1':
      return reject(ctx, request, userName, 'unsupported_mschapv1');
    case 'incomplete':
      return reject(ctx, request, userName, 'missing_attribute');
    case 'malformed':
      return reject(ctx, request, userName, 'malformed_attribute');
    default: {
      if (byName === undefined) return reject(ctx, request, userName, 'unknown_user');
      const result = checkPassword(ctx, request, byName, kind);
      if (result === null) return { drop: 'crypt_queue_full' };
      if (result instanceof Promise) {
        return result.then((settled) => afterPassword(ctx, request, userName, byName, kind, settled));
      }
      return afterPassword(ctx, request, userName, byName, kind, result);
    }
  }
  // No credentials: a DHCP-triggered IPoE request, if its NAS relays those.
  const ipoe = request.nas.ipoe ? findIpoeSubscriber(ctx, request, userName) : null;
  if (ipoe === null) return reject(ctx, request, userName, byName !== undefined ? 'no_credentials' : 'unknown_user');
  return authorize(ctx, request, userName, ipoe.subscriber, ipoe.method, NO_ATTRIBUTES);
}

function afterPassword(
  ctx: HandlerContext,
  request: IncomingRequest,
  userName: string | undefined,
  subscriber: Subscriber,
  method: AuthMethodName,
  result: AuthResult,
): HandlerOutcome | Promise<HandlerOutcome> {
  if (!result.ok) return reject(ctx, request, userName, result.reason, result.reply);
  return authorize(ctx, request, userName, subscriber, method, result.reply);
}

/** The identified subscriber: status, Simultaneous-Use, then the Access-Accept. */
function authorize(
  ctx: HandlerContext,
  request: IncomingRequest,
  userName: string | undefined,
  subscriber: Subscriber,
  method: AcceptMethod,
  authReply: readonly AttributeInput[],
): HandlerOutcome | Promise<HandlerOutcome> {
  let acceptMethod = method;
  // Status after the password, so a wrong password learns nothing about the account.
  let profile: Profile | null =
    subscriber.profile === null ? null : (ctx.replica.getProfile(subscriber.profile) ?? null);
  if (subscriber.status === 'disabled') return reject(ctx, request, userName, 'disabled');
  if (subscriber.status === 'suspended') {
    const policy = ctx.replica.getTenantPolicy();
    if (policy.suspendedPolicy === 'reject') return reject(ctx, request, userName, 'suspended');
    // Captive: the "please pay" profile (captive pool, 1M/1M, address list) instead of
    // the subscriber's own; never reject markers in reply attributes (business rules).
    const captive = ctx.replica.getProfile(policy.captiveProfile);
    if (captive === undefined) {
      ctx.log.warn('captive profile missing from the replica; rejecting suspended subscriber', {
        profile: policy.captiveProfile,
      });
      return reject(ctx, request, userName, 'captive_profile_missing');
    }
    profile = captive;
    acceptMethod = 'captive';
  }
  if (subscriber.simultaneousUse === null)
    return accept(ctx, request, userName, subscriber, profile, acceptMethod, authReply);

  // Simultaneous-Use against the spool's live sessions (stale ones never count).
  return checkSimultaneousUse(ctx, subscriber.username, subscriber.simultaneousUse).then((verdict) =>
    verdict === 'allow'
      ? accept(ctx, request, userName, subscriber, profile, acceptMethod, authReply)
      : reject(ctx, request, userName, verdict),
  );
}

function accept(
  ctx: HandlerContext,
  request: IncomingRequest,
  userName: string | undefined,
  subscriber: Subscriber,
  profile: Profile | null,
  acceptMethod: AcceptMethod,
  authReply: readonly AttributeInput[],
): HandlerOutcome {
  const { packet, nas } = request;
  const captive = acceptMethod === 'captive';
  try {
    const defs = definitionsOf(ctx.dictionary);
    const attributes = acceptAttributes(ctx.dictionary, nas, captive ? null : subscriber, profile, {
      // RFC 2865 §5.7 Framed-Protocol 1 = PPP.
      ppp: getInteger(packet, defs.framedProtocol) === 1,
      defaultInterimInterval: ctx.config.sessions.defaultInterimInterval,
      delegatedPoolAttribute: defs.delegatedPoolAttribute,
    });
    // The cached attributes of a subscriber start with its User-Name and Class; the
    // captive profile's are shared by every suspended subscriber, so theirs go first here.
    const identity = captive ? identityAttributes(subscriber) : [];
    const all = identity.length + authReply.length === 0 ? attributes : [...identity, ...attributes, ...authReply];
    const reply = buildReply(packet, PacketCode.accessAccept, all, nas.secret, ctx.dictionary);
    ctx.counters.accept(acceptMethod);
    return { reply };
  } catch (error) {
    ctx.log.error('cannot build Access-Accept; rejecting', {
      user: subscriber.username,
      profile: profile?.name,
      error,
    });
    return reject(ctx, request, userName, 'reply_failed');
  }
}
