// RADIUS protocol layer: the public face of appliance/radius. Everything here is
// synchronous and does no I/O; sockets, clients, replicas and spooling are the
// server's. Secrets are Buffers (convert a NAS's secret once, at load).
//
// Start-up, once per thread:
//   const dictionary = loadDictionary({ extraPaths: config.radius.dictionaries });
//   const framedIp = dictionary.requireAttribute('Framed-IP-Address');   // resolve names once
//
// Per datagram:
//   let request: RadiusPacket;
//   try { request = decodePacket(datagram, dictionary); }
//   catch (error) { if (error instanceof RadiusDecodeError) return drop(error.reason); throw error; }
//   const outcome = verifyRequest(request, nas.secret, { requireMessageAuthenticator: nas.requireMa ?? true });
//   if (outcome !== 'ok') return drop(outcome);
//   const auth = authenticatePap(request, nas.secret, credential);        // or Chap / MsChapV2
//   const reply = auth.ok
//     ? buildReply(request, PacketCode.accessAccept,
//         [...profileAttributes, ...renderRateLimit(nas.vendor, profile), ...auth.reply], nas.secret, dictionary)
//     : buildReply(request, PacketCode.accessReject, auth.reply, nas.secret, dictionary);
//
// Packets
//   decodePacket(datagram: Buffer, dictionary: Dictionary): RadiusPacket
//     Zero-copy: attributes are (vendorId, type, value offset, value length)
//     entries into the datagram. Strict: throws only RadiusDecodeError
//     { reason: RadiusDecodeReason, offset } — drop and count by reason.
//   buildReply(request, code, attributes: AttributeInput[], secret, dictionary, options?): Buffer
//     Message-Authenticator first in Access-Accept/Reject/Challenge and in every
//     Status-Server reply; Proxy-State copied; encrypted attributes keyed by the
//     request; signed. Throws RadiusEncodeError for a bad code or value.
//   buildRequest({ code, identifier, attributes, secret, messageAuthenticator?, authenticator? }, dictionary): Buffer
//     Access-Request/Status-Server (random authenticator, MA first), Accounting,
//     CoA and Disconnect requests (computed authenticator).
//   encodePacket(options, dictionary) + signPacket(data, maOffset, secret, withAuthenticator)
//     The two halves of the builders, for unusual packets.
// Signatures (constant-time comparisons)
//   verifyRequest(packet, secret, { requireMessageAuthenticator }): VerifyOutcome
//     Access-Request: MA checked when present; required by the flag, by EAP-Message
//     and by Proxy-State. Status-Server: MA always required. Accounting/CoA/
//     Disconnect: Request Authenticator, plus MA when present.
//   verifyReply(reply, requestAuthenticator, secret, { requireMessageAuthenticator }): VerifyOutcome
//   computePacketAuthenticator / computeMessageAuthenticator — the raw digests.
// Attributes
//   findAttribute / getOctets / getValue / getValues / getString / getInteger / getTag
//     (packet, AttributeDef | { vendorId, type }); entryVendorId / entryType / entryValue(packet, index).
//   readValue(def, octets) / readTag / writeValue — RFC 8044 data types; parseIpv6Address /
//     formatIpv6Address — the one IPv6 text codec (the replica's prefixes use it too).
//   Dictionary: findAttribute(name) / requireAttribute(name) / attributeByCode(vendorId, type)
//     / findVendor(nameOrId) / listAttributes(); parseDictionary(text) for tests and tools;
//     locateRfcDictionaries() / locateVendorDictionaries() — the shipped files.
// Authentication (stored credential: { kind: 'cleartext', password } | { kind: 'nt-hash', ntHash }
//   | { kind: 'digest', algorithm, hash, salt } | { kind: 'crypt', hash: '$1$…' | '$5$…' | '$6$…' })
//   authenticatePap(request, secret, credential): AuthResult            (every kind; crypt is slow by design)
//   authenticateChap(request, credential): AuthResult                   (cleartext only)
//   authenticateMsChapV2(request, credential): AuthResult               reply: MS-CHAP2-Success,
//     MS-MPPE-Send/Recv-Key, encryption policy/types; on failure MS-CHAP-Error E=691.
//   ntPasswordHash(password) — what the replica stores for 'nt-hash'; cryptPassword(password, setting).
// Profiles and IPoE
//   renderRateLimit(vendor: NasVendor, profile: RateLimitProfile): AttributeInput[]
//   readAgentIds(packet): { circuitId?, remoteId? } — RFC 4679 / DHCP Option 82 (RFC 3046).
// Hiding
//   hideUserPassword / revealUserPassword (RFC 2865 §5.2), saltEncrypt / saltDecrypt
//   (RFC 2868 §3.5 Tunnel-Password, RFC 2548 §2.4.2 MPPE keys).

export { decodePacket, encodePacket, ENTRY_WORDS } from './codec.ts';
export type { AttributeInput, EncodedPacket, EncodeOptions, RadiusPacket } from './codec.ts';
export { RadiusDecodeError } from './decode-error.ts';
export type { RadiusDecodeReason } from './decode-error.ts';
export {
  DictionaryError,
  loadDictionary,
  locateRfcDictionaries,
  locateVendorDictionaries,
  parseDictionary,
} from './dictionary.ts';
export type { AttributeDef, DataType, Dictionary, LoadDictionaryOptions, VendorDef } from './dictionary.ts';
export {
  formatIpv6Address,
  parseIpv6Address,
  readTag,
  readValue,
  RadiusEncodeError,
  writeValue,
} from './attribute-value.ts';
export type { AttributeValue, AttributeValueInput } from './attribute-value.ts';
export {
  entryType,
  entryValue,
  entryVendorId,
  findAttribute,
  getInteger,
  getOctets,
  getString,
  getTag,
  getValue,
  getValues,
} from './attributes.ts';
export type { AttributeKey } from './attributes.ts';
export {
  computeMessageAuthenticator,
  computePacketAuthenticator,
  signPacket,
  verifyReply,
  verifyRequest,
} from './authenticator.ts';
export type { VerifyOutcome, VerifyRequestOptions } from './authenticator.ts';
export { hideUserPassword, revealUserPassword, saltDecrypt, saltEncrypt } from './password.ts';
export { buildReply } from './reply.ts';
export type { BuildReplyOptions } from './reply.ts';
export { buildRequest } from './request.ts';
export type { BuildRequestOptions } from './request.ts';
export { authenticatePap } from './auth/pap.ts';
export { authenticateChap } from './auth/chap.ts';
export { authenticateMsChapV2, ntPasswordHash } from './auth/mschapv2.ts';
export type { AuthFailure, AuthResult, DigestAlgorithm, StoredCredential } from './auth/credential.ts';
export { cryptPassword } from './auth/crypt.ts';
export { renderRateLimit, RateLimitError } from './rate-limit.ts';
export type { NasVendor, RateLimitProfile } from './rate-limit.ts';
export { parseOption82, readAgentIds } from './option82.ts';
export type { AgentIds } from './option82.ts';
export { Attr, KNOWN_CODES, MICROSOFT_VENDOR_ID, MsAttr, PacketCode } from './protocol.ts';
export type { PacketCodeName, PacketCodeNumber } from './protocol.ts';
