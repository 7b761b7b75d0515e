// The one error type the decoder throws. Callers drop the datagram and count it
// by `reason`; nothing else may escape decodePacket (see test/appliance/radius/fuzz).

export type RadiusDecodeReason =
  /** Fewer than the 20 header octets (RFC 2865 §3). */
  | 'short_packet'
  /** Length field < 20, > 4096, or larger than the datagram (RFC 2865 §3: silently discard). */
  | 'length_mismatch'
  /** Code not defined by RFC 2865/2866/5176/5997. */
  | 'unknown_code'
  /** An attribute header or value runs past the end of the packet. */
  | 'truncated_attribute'
  /** Attribute Length field below 3: zero-length or impossible (RFC 2865 §5, RFC 8044 §2). */
  | 'bad_attribute_length'
  /** Value length not allowed for the attribute's data type (RFC 8044 §3, RFC 2865 §5.x). */
  | 'bad_value_length'
  /** Vendor-Specific attribute malformed (RFC 2865 §5.26). */
  | 'bad_vsa'
  /** More than one Message-Authenticator (RFC 3579 §3.2: 0-1 per packet). */
  | 'duplicate_message_authenticator';

export class RadiusDecodeError extends Error {
  readonly reason: RadiusDecodeReason;
  /** Byte offset in the datagram where decoding stopped, for logs. */
  readonly offset: number;

  constructor(reason: RadiusDecodeReason, offset: number) {
    super(`RADIUS decode failed: ${reason} at offset ${offset}`);
    this.name = 'RadiusDecodeError';
    this.reason = reason;
    this.offset = offset;
  }
}
