// Requests we originate: CoA/Disconnect to a NAS (RFC 5176), and the Access,
// Accounting and Status-Server requests that tests and load generators send.
import { randomBytes } from 'node:crypto';
import { signPacket } from './authenticator.ts';
import { RadiusEncodeError } from './attribute-value.ts';
import { encodePacket } from './codec.ts';
import type { AttributeInput } from './codec.ts';
import type { Dictionary } from './dictionary.ts';
import { AUTHENTICATOR_LENGTH, PacketCode } from './protocol.ts';

const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);

export interface BuildRequestOptions {
  readonly code: number;
  readonly identifier: number;
  readonly attributes: readonly AttributeInput[];
  readonly secret: Buffer;
  /** Default: true for Access-Request and Status-Server (always first), false otherwise. */
  readonly messageAuthenticator?: boolean;
  /**
   * Access-Request/Status-Server only: the Request Authenticator. RFC 2865 §3
   * wants it unpredictable, so leave it to the default (16 random octets) outside tests.
   */
  readonly authenticator?: Buffer;
}

/**
 * Encode and sign a request. Access-Request and Status-Server carry a random
 * authenticator (RFC 2865 §3) that also keys User-Password hiding; Accounting,
 * CoA and Disconnect requests carry MD5 over the packet with a zero authenticator
 * (RFC 2866 §3, RFC 5176 §3.5), and their encrypted attributes are keyed by that
 * zero authenticator, as FreeRADIUS does. Read the authenticator back from
 * data[4..20) to check the reply with verifyReply.
 */
export function buildRequest(options: BuildRequestOptions, dictionary: Dictionary): Buffer {
  const random = options.code === PacketCode.accessRequest || options.code === PacketCode.statusServer;
  const computed =
    options.code === PacketCode.accountingRequest ||
    options.code === PacketCode.coaRequest ||
    options.code === PacketCode.disconnectRequest;
  if (!random && !computed) throw new RadiusEncodeError(`code ${options.code} is not a request`);
  if (options.authenticator && !random)
    throw new RadiusEncodeError('only Access-Request/Status-Server take an authenticator');
  // RFC 5997 §3: Status-Server MUST carry Message-Authenticator.
  const messageAuthenticator = options.code === PacketCode.statusServer || (options.messageAuthenticator ?? random);
  const authenticator = random ? (options.authenticator ?? randomBytes(AUTHENTICATOR_LENGTH)) : ZERO_AUTHENTICATOR;
  const encoded = encodePacket(
    {
      code: options.code,
      identifier: options.identifier,
      authenticator,
      attributes: options.attributes,
      messageAuthenticator,
      secret: options.secret,
      cryptAuthenticator: authenticator,
    },
    dictionary,
  );
  signPacket(encoded.data, encoded.messageAuthenticatorOffset, options.secret, computed);
  return encoded.data;
}
