// RADIUS protocol layer: the public face of appliance/radius.
//
// Start-up (once):
//   const dictionary = loadDictionary({ extraPaths: config.radius.dictionaries });
//   const userName = dictionary.requireAttribute('User-Name');   // resolve names once
//
// Per datagram (synchronous, no I/O):
//   let request: RadiusPacket;
//   try { request = decodePacket(datagram, dictionary); }
//   catch (error) { if (error instanceof RadiusDecodeError) drop(error.reason); else throw error; }
//   const outcome = verifyRequest(request, nas.secret, { requireMessageAuthenticator: nas.requireMa });
//   if (outcome !== 'ok') drop(outcome);
//   const auth = authenticatePap(request, nas.secret, credential);      // or Chap / MsChapV2
//   const reply = buildReply(request, auth.ok ? PacketCode.accessAccept : PacketCode.accessReject,
//     auth.ok ? [...profileAttributes, ...renderRateLimit(nas.vendor, profile), ...auth.reply] : auth.reply,
//     nas.secret, dictionary);
//
// decodePacket(datagram: Buffer, dictionary: Dictionary): RadiusPacket
//   Zero-copy: attributes are (vendorId, type, offset, length) entries into the
//   datagram. Throws only RadiusDecodeError { reason: RadiusDecodeReason, offset }.
// verifyRequest(packet, secret: Buffer, { requireMessageAuthenticator }): VerifyOutcome
//   Access-Request/Status-Server: Message-Authenticator (required by flag, by
//   EAP-Message, and always for Status-Server). Accounting/CoA/Disconnect:
//   Request Authenticator, plus Message-Authenticator when present.
// verifyReply(reply, requestAuthenticator, secret, { requireMessageAuthenticator }): VerifyOutcome
// buildReply(request, code, attributes: AttributeInput[], secret, dictionary, options?): Buffer
//   Message-Authenticator first in Access-Accept/Reject/Challenge and Status-Server
//   replies; Proxy-State copied; signed.
// buildRequest({ code, identifier, attributes, secret, messageAuthenticator?, authenticator? }, dictionary): Buffer
// findAttribute / getOctets / getValue / getValues / getString / getInteger / getTag
//   (packet, def | { vendorId, type }) — lookups on a decoded packet.
// readValue(def, octets) / writeValue(...) — typed values of RFC 8044 data types.
// authenticatePap(request, secret, credential): AuthResult
// authenticateChap(request, credential): AuthResult
// authenticateMsChapV2(request, credential): AuthResult — reply has MS-CHAP2-Success and MPPE keys.
//   credential: { kind: 'cleartext', password } | { kind: 'nt-hash', ntHash } (MD4 of UTF-16LE password).
// renderRateLimit(vendor: NasVendor, profile: RateLimitProfile): AttributeInput[]
// readAgentIds(packet): { circuitId?, remoteId? } — DHCP Option 82 / RFC 4679 ids.
// hideUserPassword / revealUserPassword / saltEncrypt / saltDecrypt — RFC 2865 §5.2, RFC 2868 §3.5.

export { decodePacket, encodePacket, ENTRY_WORDS } from './codec.ts';
export type { AttributeInput, EncodedPacket, EncodeOptions, RadiusPacket } from './codec.ts';
export { RadiusDecodeError } from './decode-error.ts';
export type { RadiusDecodeReason } from './decode-error.ts';
export { DictionaryError, loadDictionary, locateRfcDictionaries, locateVendorDictionaries, parseDictionary } from './dictionary.ts';
export type { AttributeDef, DataType, Dictionary, LoadDictionaryOptions, VendorDef } from './dictionary.ts';
export { readTag, readValue, RadiusEncodeError, writeValue } from './attribute-value.ts';
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
export type { AuthFailure, AuthResult, StoredCredential } from './auth/credential.ts';
export { renderRateLimit, RateLimitError } from './rate-limit.ts';
export type { NasVendor, RateLimitProfile } from './rate-limit.ts';
export { parseOption82, readAgentIds } from './option82.ts';
export type { AgentIds } from './option82.ts';
export { Attr, KNOWN_CODES, MICROSOFT_VENDOR_ID, MsAttr, PacketCode } from './protocol.ts';
export type { PacketCodeName, PacketCodeNumber } from './protocol.ts';
