// The Class (RFC 2865 §5.25) an Access-Accept gives the NAS to echo in the session's
// Accounting-Requests: it names the service line (the subscriber's username), so
// accounting finds the subscriber even when the NAS reports another User-Name (IPoE:
// the MAC, or whatever the DHCP server put there). Other Class values (an imported
// user's own, a NAS's) are left alone: only values with this prefix are ours.
import type { ReplicaView, Subscriber } from '../../replica/index.ts';
import { findAttribute, entryValue } from '../attributes.ts';
import type { AttributeInput, RadiusPacket } from '../codec.ts';

const PREFIX = 'line:';
const PREFIX_BYTES = Buffer.from(PREFIX, 'latin1');
const CLASS = { vendorId: 0, type: 25 } as const;
/** RFC 2865 §5: at most 253 octets of value. */
const MAX_VALUE = 253;

// Subscribers from the replica are frozen and replaced on change: one value each.
const values = new WeakMap<Subscriber, Buffer | null>();

/** Our Class value for `subscriber`, or null when its username is too long to fit. */
export function serviceLineClass(subscriber: Subscriber): Buffer | null {
  let value = values.get(subscriber);
  if (value === undefined) {
    const encoded = Buffer.from(PREFIX + subscriber.username, 'utf8');
    value = encoded.length <= MAX_VALUE ? encoded : null;
    values.set(subscriber, value);
  }
  return value;
}

/**
 * What every Access-Accept starts with: User-Name, the subscriber's (RFC 2865 §5.1: the
 * NAS accounts under it; for IPoE not the MAC), and our Class (§5.25) when it fits.
 */
export function identityAttributes(subscriber: Subscriber): AttributeInput[] {
  const serviceLine = serviceLineClass(subscriber);
  const identity: AttributeInput[] = [{ attribute: 'User-Name', value: subscriber.username }];
  if (serviceLine !== null) identity.push({ attribute: 'Class', value: serviceLine });
  return identity;
}

/** The service line named by the request's first Class of ours, or undefined. */
export function serviceLineOf(packet: RadiusPacket): string | undefined {
  for (let index = findAttribute(packet, CLASS); index >= 0; index = findAttribute(packet, CLASS, index + 1)) {
    const value = entryValue(packet, index);
    if (value.length > PREFIX_BYTES.length && value.subarray(0, PREFIX_BYTES.length).equals(PREFIX_BYTES)) {
      return value.toString('utf8', PREFIX_BYTES.length);
    }
  }
  return undefined;
}

/**
 * The subscriber an Accounting-Request is for: by our Class first (issue 12: an IPoE
 * session's User-Name is the MAC or whatever the DHCP side put there), then by
 * User-Name, then User-Name as a MAC.
 */
export function accountingSubscriber(
  replica: ReplicaView,
  packet: RadiusPacket,
  userName: string | undefined,
): Subscriber | undefined {
  const line = serviceLineOf(packet);
  const byClass = line === undefined ? undefined : replica.findSubscriberByUsername(line);
  if (byClass !== undefined || userName === undefined) return byClass;
  return replica.findSubscriberByUsername(userName) ?? replica.findSubscriberByMac(userName);
}
