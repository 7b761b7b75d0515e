// Packet codes and the attribute numbers the protocol layer itself relies on.
// Everything else is looked up by name through the dictionary.

/** RFC 2865 §3, RFC 2866 §3, RFC 5997 §2, RFC 5176 §2.3. */
export const PacketCode = {
  accessRequest: 1,
  accessAccept: 2,
  accessReject: 3,
  accountingRequest: 4,
  accountingResponse: 5,
  accessChallenge: 11,
  statusServer: 12,
  disconnectRequest: 40,
  disconnectAck: 41,
  disconnectNak: 42,
  coaRequest: 43,
  coaAck: 44,
  coaNak: 45,
} as const;

export type PacketCodeName = keyof typeof PacketCode;
export type PacketCodeNumber = (typeof PacketCode)[PacketCodeName];

/** Codes the decoder accepts; anything else is dropped as 'unknown_code'. */
export const KNOWN_CODES: ReadonlySet<number> = new Set<number>(Object.values(PacketCode));

/** Standard attribute numbers (RFC 2865 §5, RFC 2869 §5, RFC 3579 §3). */
export const Attr = {
  userName: 1,
  userPassword: 2,
  chapPassword: 3,
  vendorSpecific: 26,
  proxyState: 33,
  chapChallenge: 60,
  eapMessage: 79,
  messageAuthenticator: 80,
} as const;

/** Microsoft vendor attributes (RFC 2548 §2). */
export const MICROSOFT_VENDOR_ID = 311;
export const MsAttr = {
  /** MS-CHAP (v1) response, RFC 2548 §2.1.3. */
  chapResponse: 1,
  chapChallenge: 11,
  chap2Response: 25,
} as const;

/** RFC 2865 §3: "The maximum length is 4096". */
export const MAX_PACKET_LENGTH = 4096;
/** RFC 2865 §3: Code(1) Identifier(1) Length(2) Authenticator(16). */
export const HEADER_LENGTH = 20;
export const AUTHENTICATOR_LENGTH = 16;
/** RFC 3579 §3.2: HMAC-MD5, 16 octets. */
export const MESSAGE_AUTHENTICATOR_LENGTH = 16;
