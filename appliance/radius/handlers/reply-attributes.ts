// Access-Accept attributes from a subscriber and its profile (business rules, "RADIUS
// reply attributes"): Service-Type and Framed-Protocol (PPP), addressing (static or
// pool, IPv4 and IPv6), timeouts, the interim interval, the VLAN (RFC 3580 §3.31
// tunnel attributes), the rate limit in the NAS vendor's form, MikroTik's address
// list, then the profile's and the subscriber's extra attributes.
import type { NasClient, Profile, RateLimit, ReplyAttribute, Subscriber } from '../../replica/index.ts';
import type { AttributeInput } from '../codec.ts';
import type { Dictionary } from '../dictionary.ts';
import { renderRateLimit } from '../rate-limit.ts';
import type { RateLimitProfile } from '../rate-limit.ts';
import { identityAttributes } from './service-line.ts';

/** The replica's rate (subscriber up/down, nullable bursts) as the renderer's profile. */
export function toRateLimitProfile(rate: RateLimit): RateLimitProfile {
  const burst =
    rate.burstUpKbps !== null &&
    rate.burstDownKbps !== null &&
    rate.burstThresholdUpKbps !== null &&
    rate.burstThresholdDownKbps !== null &&
    rate.burstTimeUpSeconds !== null &&
    rate.burstTimeDownSeconds !== null
      ? {
          uploadKbps: rate.burstUpKbps,
          downloadKbps: rate.burstDownKbps,
          thresholdUploadKbps: rate.burstThresholdUpKbps,
          thresholdDownloadKbps: rate.burstThresholdDownKbps,
          timeUploadSeconds: rate.burstTimeUpSeconds,
          timeDownloadSeconds: rate.burstTimeDownSeconds,
        }
      : undefined;
  return { uploadKbps: rate.upKbps, downloadKbps: rate.downKbps, burst };
}

/** "Tunnel-Private-Group-Id:1" → name and RFC 2868 tag. */
function extraAttribute(attribute: ReplyAttribute): AttributeInput {
  const [name = attribute.name, tag] = attribute.name.split(':');
  return tag === undefined
    ? { attribute: name, value: attribute.value }
    : { attribute: name, value: attribute.value, tag: Number(tag) };
}

export type ReplyOptions = {
  /** The request asked for PPP (Framed-Protocol = PPP): PPPoE rather than IPoE. */
  ppp: boolean;
  /** Acct-Interim-Interval when the profile sets none (config sessions.defaultInterimInterval). */
  defaultInterimInterval: number;
  /** Dictionary has RFC 6911 Delegated-IPv6-Prefix-Pool. */
  delegatedPoolAttribute: boolean;
};

/**
 * Throws RateLimitError for an impossible rate; the encoder throws RadiusEncodeError
 * or DictionaryError for an unknown or invalid extra attribute. Either way the caller
 * rejects: an Accept without its limits would give the subscriber an unlimited line.
 */
export function buildAcceptAttributes(
  nas: NasClient,
  subscriber: Subscriber | null,
  profile: Profile | null,
  options: ReplyOptions,
): AttributeInput[] {
  // User-Name and Class first (service-line.ts); a captive Accept, rendered per profile, adds its own.
  const out: AttributeInput[] = subscriber === null ? [] : identityAttributes(subscriber);
  out.push({ attribute: 'Service-Type', value: 'Framed-User' });
  if (options.ppp) out.push({ attribute: 'Framed-Protocol', value: 'PPP' });
  if (subscriber?.framedIp) out.push({ attribute: 'Framed-IP-Address', value: subscriber.framedIp });
  else if (profile?.framedPool) out.push({ attribute: 'Framed-Pool', value: profile.framedPool });
  if (subscriber?.framedIpv6Prefix) out.push({ attribute: 'Framed-IPv6-Prefix', value: subscriber.framedIpv6Prefix });
  else if (profile?.framedIpv6Pool) out.push({ attribute: 'Framed-IPv6-Pool', value: profile.framedIpv6Pool });
  // RFC 4818 Delegated-IPv6-Prefix; RFC 6911 §3.4 Delegated-IPv6-Prefix-Pool.
  if (subscriber?.delegatedIpv6Prefix)
    out.push({ attribute: 'Delegated-IPv6-Prefix', value: subscriber.delegatedIpv6Prefix });
  else if (profile?.delegatedIpv6Pool && options.delegatedPoolAttribute)
    out.push({ attribute: 'Delegated-IPv6-Prefix-Pool', value: profile.delegatedIpv6Pool });
  if (profile?.sessionTimeout) out.push({ attribute: 'Session-Timeout', value: profile.sessionTimeout });
  if (profile?.idleTimeout) out.push({ attribute: 'Idle-Timeout', value: profile.idleTimeout });
  out.push({ attribute: 'Acct-Interim-Interval', value: profile?.interimInterval ?? options.defaultInterimInterval });
  if (profile?.vlan) {
    // RFC 3580 §3.31: Tunnel-Type VLAN (13), Tunnel-Medium-Type 802 (6), the VLAN id as text.
    out.push(
      { attribute: 'Tunnel-Type', value: 'VLAN' },
      { attribute: 'Tunnel-Medium-Type', value: 'IEEE-802' },
      { attribute: 'Tunnel-Private-Group-Id', value: String(profile.vlan) },
    );
  }
  if (profile?.rateLimit) out.push(...renderRateLimit(nas.vendor, toRateLimitProfile(profile.rateLimit)));
  if (profile?.addressList && nas.vendor === 'mikrotik')
    out.push({ attribute: 'Mikrotik-Address-List', value: profile.addressList });
  // The subscriber's own extra attributes replace the profile's of the same name.
  const own = new Set((subscriber?.replyAttributes ?? []).map((attribute) => attribute.name));
  for (const attribute of profile?.extraReply ?? []) if (!own.has(attribute.name)) out.push(extraAttribute(attribute));
  for (const attribute of subscriber?.replyAttributes ?? []) out.push(extraAttribute(attribute));
  return out;
}

type CachedAccept = {
  readonly dictionary: Dictionary;
  readonly profile: Profile | null;
  readonly vendor: NasClient['vendor'];
  readonly ppp: boolean;
  readonly defaultInterimInterval: number;
  readonly delegatedPoolAttribute: boolean;
  readonly attributes: readonly AttributeInput[];
};

// Subscribers and profiles from the replica are frozen and replaced on change, so the
// rendered attributes are cached by object identity (with the profile's identity and
// everything else they depend on checked per hit): a replica change never serves a
// stale list. A few combinations per subscriber (NAS vendor, PPP or IPoE) at most.
const acceptCache = new WeakMap<Subscriber | Profile, CachedAccept[]>();
const MAX_CACHED_PER_OWNER = 4;

/**
 * buildAcceptAttributes, rendered once per subscriber (or profile, for captive
 * subscribers) × profile × NAS vendor × options and reused, with the attribute names
 * resolved through `dictionary`. The result is shared: never modify it. Throws as
 * buildAcceptAttributes (or DictionaryError for an unknown name); failures are not cached.
 */
export function acceptAttributes(
  dictionary: Dictionary,
  nas: NasClient,
  subscriber: Subscriber | null,
  profile: Profile | null,
  options: ReplyOptions,
): readonly AttributeInput[] {
  const owner = subscriber ?? profile;
  const cached = owner === null ? undefined : acceptCache.get(owner);
  if (cached !== undefined) {
    for (const entry of cached) {
      if (
        entry.dictionary === dictionary &&
        entry.profile === profile &&
        entry.vendor === nas.vendor &&
        entry.ppp === options.ppp &&
        entry.defaultInterimInterval === options.defaultInterimInterval &&
        entry.delegatedPoolAttribute === options.delegatedPoolAttribute
      ) {
        return entry.attributes;
      }
    }
  }
  const attributes = Object.freeze(
    // Fresh objects of one shape (not spread copies): an attribute field that holds a
    // definition in objects shaped like the name-holding ones would deoptimize the encoder.
    buildAcceptAttributes(nas, subscriber, profile, options).map((input): AttributeInput => ({
      attribute: typeof input.attribute === 'string' ? dictionary.requireAttribute(input.attribute) : input.attribute,
      value: input.value,
      tag: input.tag,
    })),
  );
  if (owner !== null) {
    const entry: CachedAccept = {
      dictionary,
      profile,
      vendor: nas.vendor,
      ppp: options.ppp,
      defaultInterimInterval: options.defaultInterimInterval,
      delegatedPoolAttribute: options.delegatedPoolAttribute,
      attributes,
    };
    if (cached === undefined) acceptCache.set(owner, [entry]);
    else {
      if (cached.length >= MAX_CACHED_PER_OWNER) cached.shift();
      cached.push(entry);
    }
  }
  return attributes;
}
