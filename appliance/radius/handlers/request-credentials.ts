// What an Access-Request offers as proof, found in one pass over its attributes. A
// request that offers anything is authenticated by its User-Name and never matched as
// IPoE (issue 12: a password with someone else's MAC must not borrow their binding).
import { entryType, entryValue, entryVendorId } from '../attributes.ts';
import type { RadiusPacket } from '../codec.ts';
import { Attr, MICROSOFT_VENDOR_ID, MsAttr } from '../protocol.ts';

/**
 * `eap` (RFC 3579) and `mschapv1` (RFC 2548 §2.1.3) are refused until supported;
 * `incomplete`: MS-CHAP attributes without a response to check (RFC 2548 §2);
 * `malformed`: a Microsoft VSA the decoder kept raw (a value that does not fit its
 * type), which may be a credential: never a request without credentials.
 */
export type CredentialKind = 'pap' | 'chap' | 'mschapv2' | 'mschapv1' | 'eap' | 'incomplete' | 'malformed';

// Microsoft attributes whose names start with MS-CHAP (RFC 2548 §2.1, §2.3): 1-6, 10-12, 25-27.
const MS_CHAP_TYPES = new Set([1, 2, 3, 4, 5, 6, 10, 11, 12, 25, 26, 27]);

/** The credential the request carries, or null for none (a DHCP-triggered IPoE request). */
export function credentialKind(packet: RadiusPacket): CredentialKind | null {
  let pap = false;
  let chap = false;
  let msChapV2 = false;
  let msChapV1 = false;
  let msChap = false;
  let malformed = false;
  for (let index = 0; index < packet.attributeCount; index++) {
    const type = entryType(packet, index);
    const vendorId = entryVendorId(packet, index);
    if (vendorId === 0) {
      // RFC 3579 §3.1: EAP-Message carries the credentials in an EAP exchange.
      if (type === Attr.eapMessage) return 'eap';
      if (type === Attr.userPassword) pap = true;
      else if (type === Attr.chapPassword) chap = true;
      else if (type === Attr.vendorSpecific) {
        malformed ||= entryValue(packet, index).readUInt32BE(0) === MICROSOFT_VENDOR_ID;
      }
    } else if (vendorId === MICROSOFT_VENDOR_ID && MS_CHAP_TYPES.has(type)) {
      msChap = true;
      if (type === MsAttr.chap2Response) msChapV2 = true;
      else if (type === MsAttr.chapResponse) msChapV1 = true;
    }
  }
  if (malformed) return 'malformed';
  if (pap) return 'pap';
  if (chap) return 'chap';
  if (msChapV2) return 'mschapv2';
  if (msChapV1) return 'mschapv1';
  return msChap ? 'incomplete' : null;
}
