// Replies to requests we received (RFC 2865 §3, RFC 2866 §4, RFC 5997, RFC 5176).
// Message-Authenticator goes FIRST in every Access-Accept/Reject/Challenge and in
// every Status-Server reply: with it first, a chosen-prefix MD5 collision cannot
// be appended around it (BlastRADIUS, CVE-2024-3596; RFC 3579 §3.2).
import { signPacket } from './authenticator.ts';
import { RadiusEncodeError } from './attribute-value.ts';
import { encodePacket } from './codec.ts';
import type { AttributeInput, RadiusPacket } from './codec.ts';
import { entryValue, findAttribute } from './attributes.ts';
import type { Dictionary } from './dictionary.ts';
import { Attr, PacketCode } from './protocol.ts';

const PROXY_STATE = { vendorId: 0, type: Attr.proxyState } as const;

/** Reply codes each request code may be answered with. */
const ALLOWED_REPLIES: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [
    PacketCode.accessRequest,
    new Set<number>([PacketCode.accessAccept, PacketCode.accessReject, PacketCode.accessChallenge]),
  ],
  [PacketCode.accountingRequest, new Set<number>([PacketCode.accountingResponse])],
  // RFC 5997 §3: Access-Accept on the authentication port, Accounting-Response on the accounting port.
  [PacketCode.statusServer, new Set<number>([PacketCode.accessAccept, PacketCode.accountingResponse])],
  [PacketCode.coaRequest, new Set<number>([PacketCode.coaAck, PacketCode.coaNak])],
  [PacketCode.disconnectRequest, new Set<number>([PacketCode.disconnectAck, PacketCode.disconnectNak])],
]);

const ALWAYS_SIGNED: ReadonlySet<number> = new Set<number>([
  PacketCode.accessAccept,
  PacketCode.accessReject,
  PacketCode.accessChallenge,
]);

export interface BuildReplyOptions {
  /**
   * Message-Authenticator on replies that do not require it (Accounting-Response,
   * CoA/Disconnect ACK/NAK). Defaults to "if the request had one".
   */
  readonly messageAuthenticator?: boolean;
}

/**
 * Encode and sign the reply to `request`. Proxy-State attributes of the request
 * are copied unmodified, in order, at the end (RFC 2865 §5.33). Encrypted
 * attributes (Tunnel-Password, MS-MPPE keys) are keyed by the request's
 * authenticator. Throws RadiusEncodeError for a code that does not answer the
 * request or an attribute that does not fit.
 */
export function buildReply(
  request: RadiusPacket,
  code: number,
  attributes: readonly AttributeInput[],
  secret: Buffer,
  dictionary: Dictionary,
  options: BuildReplyOptions = {},
): Buffer {
  if (!ALLOWED_REPLIES.get(request.code)?.has(code)) {
    throw new RadiusEncodeError(`code ${code} does not answer a code ${request.code} request`);
  }
  const messageAuthenticator =
    ALWAYS_SIGNED.has(code) ||
    request.code === PacketCode.statusServer ||
    (options.messageAuthenticator ?? request.messageAuthenticatorOffset >= 0);
  let all = attributes;
  const firstProxyState = findAttribute(request, PROXY_STATE);
  if (firstProxyState >= 0) {
    const proxyState = dictionary.requireAttribute('Proxy-State');
    const copies: AttributeInput[] = [];
    for (let index = firstProxyState; index >= 0; index = findAttribute(request, PROXY_STATE, index + 1)) {
      copies.push({ attribute: proxyState, value: entryValue(request, index) });
    }
    all = [...attributes, ...copies];
  }
  const encoded = encodePacket(
    {
      code,
      identifier: request.identifier,
      authenticator: request.authenticator,
      attributes: all,
      messageAuthenticator,
      secret,
      cryptAuthenticator: request.authenticator,
    },
    dictionary,
  );
  // RFC 2865 §3 / RFC 3579 §3.2: HMAC first (request authenticator in the header),
  // then the Response Authenticator over the packet including that HMAC.
  signPacket(encoded.data, encoded.messageAuthenticatorOffset, secret, true);
  return encoded.data;
}
