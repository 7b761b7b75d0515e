// Packet signatures: Request/Response Authenticator (RFC 2865 §3, RFC 2866 §3,
// RFC 5176 §3.5) and Message-Authenticator (RFC 3579 §3.2, RFC 5997 §3). Every
// comparison goes through crypto.timingSafeEqual.
import { timingSafeEqual } from 'node:crypto';
import { findAttribute } from './attributes.ts';
import type { RadiusPacket } from './codec.ts';
import { hmacMd5Packet, md5Packet } from './digest.ts';
import { Attr, AUTHENTICATOR_LENGTH, MESSAGE_AUTHENTICATOR_LENGTH, PacketCode } from './protocol.ts';

const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);
const EAP_MESSAGE = { vendorId: 0, type: Attr.eapMessage } as const;
const PROXY_STATE = { vendorId: 0, type: Attr.proxyState } as const;

export type VerifyOutcome =
  | 'ok'
  /** Request/Response Authenticator mismatch: wrong secret or tampering. */
  | 'bad_authenticator'
  /** Required (by policy, EAP, or Status-Server) but absent. */
  | 'missing_message_authenticator'
  | 'bad_message_authenticator'
  /** verifyRequest was handed a reply code, or verifyReply a request code. */
  | 'unexpected_code';

export interface VerifyRequestOptions {
  /**
   * Refuse Access-Requests without Message-Authenticator. Default policy is true
   * (BlastRADIUS, CVE-2024-3596); false only for NAS models that cannot send it,
   * and even then requests carrying EAP-Message or Proxy-State must be signed.
   */
  readonly requireMessageAuthenticator: boolean;
}

/**
 * MD5(Code + Identifier + Length + `authenticatorField` + Attributes + Secret):
 * the Response Authenticator when `authenticatorField` is the request's
 * (RFC 2865 §3), the Accounting/CoA Request Authenticator when it is zeros
 * (RFC 2866 §3, RFC 5176 §3.5).
 */
export function computePacketAuthenticator(data: Buffer, authenticatorField: Buffer, secret: Buffer): Buffer {
  const out = Buffer.allocUnsafe(AUTHENTICATOR_LENGTH);
  md5Packet(data, authenticatorField, secret, out, 0);
  return out;
}

/**
 * RFC 3579 §3.2: HMAC-MD5 keyed by the secret over the packet with the
 * Message-Authenticator value as zeros and `authenticatorField` in the header:
 * the packet's own for Access-Request/Status-Server, the request's for replies,
 * zeros for Accounting/CoA/Disconnect requests (RFC 5176 §3.5).
 */
export function computeMessageAuthenticator(
  data: Buffer,
  messageAuthenticatorOffset: number,
  authenticatorField: Buffer,
  secret: Buffer,
): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_AUTHENTICATOR_LENGTH);
  hmacMd5Packet(data, authenticatorField, messageAuthenticatorOffset, secret, out, 0);
  return out;
}

// Verification writes the expected value here instead of allocating one per packet.
const expected = Buffer.alloc(16);

function messageAuthenticatorMatches(packet: RadiusPacket, authenticatorField: Buffer, secret: Buffer): boolean {
  const offset = packet.messageAuthenticatorOffset;
  hmacMd5Packet(packet.data, authenticatorField, offset, secret, expected, 0);
  return timingSafeEqual(expected, packet.data.subarray(offset, offset + MESSAGE_AUTHENTICATOR_LENGTH));
}

function authenticatorMatches(packet: RadiusPacket, authenticatorField: Buffer, secret: Buffer): boolean {
  md5Packet(packet.data, authenticatorField, secret, expected, 0);
  return timingSafeEqual(expected, packet.authenticator);
}

/** Check a request from a NAS (or, for CoA/Disconnect, from a dynamic-authorization client). */
export function verifyRequest(packet: RadiusPacket, secret: Buffer, options: VerifyRequestOptions): VerifyOutcome {
  const hasMessageAuthenticator = packet.messageAuthenticatorOffset >= 0;
  switch (packet.code) {
    case PacketCode.accessRequest:
      if (!hasMessageAuthenticator) {
        // RFC 3579 §3.2: an EAP-Message without Message-Authenticator is silently
        // discarded. Proxy-State without it is the BlastRADIUS (CVE-2024-3596)
        // injection vector: a NAS never sends Proxy-State, only a proxy does, and
        // a proxy signs (FreeRADIUS 3.2.5 "limit_proxy_state").
        const required =
          options.requireMessageAuthenticator ||
          findAttribute(packet, EAP_MESSAGE) >= 0 ||
          findAttribute(packet, PROXY_STATE) >= 0;
        return required ? 'missing_message_authenticator' : 'ok';
      }
      return messageAuthenticatorMatches(packet, packet.authenticator, secret) ? 'ok' : 'bad_message_authenticator';
    case PacketCode.statusServer:
      // RFC 5997 §3: Status-Server without a valid Message-Authenticator is discarded.
      if (!hasMessageAuthenticator) return 'missing_message_authenticator';
      return messageAuthenticatorMatches(packet, packet.authenticator, secret) ? 'ok' : 'bad_message_authenticator';
    case PacketCode.accountingRequest:
    case PacketCode.coaRequest:
    case PacketCode.disconnectRequest: {
      if (!authenticatorMatches(packet, ZERO_AUTHENTICATOR, secret)) return 'bad_authenticator';
      if (hasMessageAuthenticator && !messageAuthenticatorMatches(packet, ZERO_AUTHENTICATOR, secret)) {
        return 'bad_message_authenticator';
      }
      return 'ok';
    }
    default:
      return 'unexpected_code';
  }
}

const REPLY_CODES: ReadonlySet<number> = new Set<number>([
  PacketCode.accessAccept,
  PacketCode.accessReject,
  PacketCode.accessChallenge,
  PacketCode.accountingResponse,
  PacketCode.coaAck,
  PacketCode.coaNak,
  PacketCode.disconnectAck,
  PacketCode.disconnectNak,
]);

/**
 * Check a reply against the request it answers (client side: CoA/Disconnect,
 * load generators). `requireMessageAuthenticator` should be true whenever the
 * request carried one (RFC 3579 §3.2; BlastRADIUS hardening).
 */
export function verifyReply(
  reply: RadiusPacket,
  requestAuthenticator: Buffer,
  secret: Buffer,
  options: VerifyRequestOptions,
): VerifyOutcome {
  if (!REPLY_CODES.has(reply.code)) return 'unexpected_code';
  if (!authenticatorMatches(reply, requestAuthenticator, secret)) return 'bad_authenticator';
  if (reply.messageAuthenticatorOffset < 0) {
    return options.requireMessageAuthenticator ? 'missing_message_authenticator' : 'ok';
  }
  return messageAuthenticatorMatches(reply, requestAuthenticator, secret) ? 'ok' : 'bad_message_authenticator';
}

/**
 * Sign an encoded packet in place. The header must already hold what RFC 2865 §3
 * puts there while signing (the request's authenticator for replies, zeros for
 * Accounting/CoA/Disconnect requests, the random one for Access-Request) and the
 * Message-Authenticator value must be zeros: then RFC 3579's HMAC covers the
 * buffer as is, and the MD5 authenticator, when `withAuthenticator`, covers the
 * result with the secret appended.
 */
export function signPacket(
  data: Buffer,
  messageAuthenticatorOffset: number,
  secret: Buffer,
  withAuthenticator: boolean,
): void {
  const header = data.subarray(4, 4 + AUTHENTICATOR_LENGTH);
  if (messageAuthenticatorOffset >= 0) {
    hmacMd5Packet(data, header, messageAuthenticatorOffset, secret, data, messageAuthenticatorOffset);
  }
  if (withAuthenticator) md5Packet(data, header, secret, data, 4);
}
