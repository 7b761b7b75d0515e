// How FreeRADIUS check and reply items map onto the replica's model.
//
// Check items (users file first line, radcheck, radgroupcheck):
//   Cleartext-Password, User-Password (legacy)       → password (stored per auth.methods)
//   NT-Password, Crypt-Password, MD5/SMD5/SHA/SSHA/SHA2/SSHA2-*-Password,
//   Password-With-Header                              → credentials, kept as given
//   Simultaneous-Use                                  → simultaneousUse
//   Auth-Type := Reject                               → status disabled
//   Auth-Type := Accept (user name is a MAC)          → IPoE MAC binding, no password
//   Pool-Name                                         → profile framed pool
//   Framed-Protocol == PPP, Service-Type == Framed-User: conditions every PPP request
//                                                       meets; dropped with a warning
//   anything else: an error (the appliance has no rule engine, and silently dropping a
//   condition would let in someone FreeRADIUS kept out), or a warning with
//   --skip-unsupported.
// Reply items:
//   Mikrotik-Rate-Limit, Framed-Pool, Framed-IPv6-Pool, Delegated-IPv6-Prefix-Pool,
//   Session-Timeout, Idle-Timeout, Acct-Interim-Interval, Mikrotik-Address-List,
//   Tunnel-Type=VLAN + Tunnel-Medium-Type=IEEE-802 + Tunnel-Private-Group-Id → profile
//   Framed-IP-Address, Framed-IPv6-Prefix, Delegated-IPv6-Prefix → the subscriber
//   Service-Type=Framed-User, Framed-Protocol=PPP: the appliance sends these itself
//   Fall-Through: entry chaining (users-file handling in build-changes.ts)
//   anything else → extra reply attributes (of the subscriber, or of a group's profile)
import type { Credentials, DigestAlgorithm, RateLimit, ReplyAttribute } from '../replica/index.ts';
import { normalizeMac } from '../replica/index.ts';
import type { LocatedPair } from './pairs.ts';
import type { ProblemLog } from './problems.ts';

/** Profile fields as read from reply items; undefined = not set here. */
export type ProfileDraft = {
  rateLimit?: RateLimit;
  framedPool?: string;
  framedIpv6Pool?: string;
  delegatedIpv6Pool?: string;
  sessionTimeout?: number;
  idleTimeout?: number;
  interimInterval?: number;
  vlan?: number;
  addressList?: string;
  extraReply?: ReplyAttribute[];
};

export type SubscriberReply = {
  framedIp?: string;
  framedIpv6Prefix?: string;
  delegatedIpv6Prefix?: string;
  replyAttributes: ReplyAttribute[];
};

export type CheckResult = {
  password?: string;
  credentials: Credentials;
  simultaneousUse?: number;
  disabled?: boolean;
  /** Auth-Type := Accept on a MAC-named entry. */
  macAuth?: string;
  framedPool?: string;
};

export type MapOptions = { skipUnsupported: boolean };

/** The attribute name without an RFC 2868 tag, lowercased for comparison. */
function baseName(attribute: string): string {
  return attribute.replace(/:\d+$/, '').toLowerCase();
}

function integerValue(pair: LocatedPair, log: ProblemLog, min = 0): number | undefined {
  if (!/^\d+$/.test(pair.value.trim()) || Number(pair.value) < min || Number(pair.value) > 2 ** 31 - 1) {
    log.error(
      pair.location,
      `${pair.attribute} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, not "${pair.value}"`,
    );
    return undefined;
  }
  return Number(pair.value);
}

// RouterOS rates: bits per second with an optional k/M/G suffix.
function rateKbps(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text.trim());
  if (match === null) return null;
  const value = Number(match[1]);
  const factor = { '': 0.001, k: 1, m: 1_000, g: 1_000_000 }[(match[2] ?? '').toLowerCase()] ?? 0.001;
  return Math.round(value * factor);
}

function pairOf(text: string | undefined, parse: (part: string) => number | null): [number, number] | null | undefined {
  if (text === undefined) return undefined;
  const [rx, tx, extra] = text.split('/');
  if (rx === undefined || tx === undefined || extra !== undefined) return null;
  const a = parse(rx);
  const b = parse(tx);
  return a === null || b === null ? null : [a, b];
}

/**
 * Mikrotik-Rate-Limit: "rx/tx [burst-rx/burst-tx [threshold-rx/threshold-tx
 * [time-rx/time-tx [priority [limit-at-rx/limit-at-tx]]]]]". rx is what the router
 * receives from the subscriber, i.e. upload: "10M/50M" is 10 Mbit/s up, 50 down.
 */
export function parseMikrotikRateLimit(text: string): { rate: RateLimit; ignored: string[] } | null {
  const fields = text.trim().split(/\s+/);
  const rate = pairOf(fields[0], rateKbps);
  if (rate === null || rate === undefined) return null;
  const burst = pairOf(fields[1], rateKbps);
  const threshold = pairOf(fields[2], rateKbps);
  const time = pairOf(fields[3], (part) => (/^\d+s?$/.test(part) ? Number.parseInt(part, 10) : null));
  if (burst === null || threshold === null || time === null || fields.length > 6) return null;
  return {
    rate: {
      upKbps: rate[0],
      downKbps: rate[1],
      burstUpKbps: burst?.[0] ?? null,
      burstDownKbps: burst?.[1] ?? null,
      burstThresholdUpKbps: threshold?.[0] ?? null,
      burstThresholdDownKbps: threshold?.[1] ?? null,
      burstTimeUpSeconds: time?.[0] || null,
      burstTimeDownSeconds: time?.[1] || null,
    },
    ignored: fields.slice(4),
  };
}

const IMPLIED_REPLIES = new Map([
  ['service-type', ['framed-user', '2']],
  ['framed-protocol', ['ppp', '1']],
]);

export function interpretReplies(
  pairs: readonly LocatedPair[],
  owner: 'subscriber' | 'group',
  log: ProblemLog,
): { profile: ProfileDraft; subscriber: SubscriberReply } {
  const profile: ProfileDraft = {};
  const subscriber: SubscriberReply = { replyAttributes: [] };
  const extras: ReplyAttribute[] = [];
  const tunnel = new Map<string, LocatedPair>();

  for (const pair of pairs) {
    const name = baseName(pair.attribute);
    switch (name) {
      case 'mikrotik-rate-limit': {
        const parsed = parseMikrotikRateLimit(pair.value);
        if (parsed === null)
          log.error(
            pair.location,
            `cannot read Mikrotik-Rate-Limit "${pair.value}" (expected rx/tx [burst-rx/burst-tx ` +
              `[threshold-rx/threshold-tx [time-rx/time-tx]]])`,
          );
        else {
          profile.rateLimit = parsed.rate;
          if (parsed.ignored.length > 0)
            log.warn(pair.location, `Mikrotik-Rate-Limit priority/limit-at "${parsed.ignored.join(' ')}" is not kept`);
        }
        break;
      }
      case 'framed-pool':
        profile.framedPool = pair.value;
        break;
      case 'framed-ipv6-pool':
        profile.framedIpv6Pool = pair.value;
        break;
      case 'delegated-ipv6-prefix-pool':
        profile.delegatedIpv6Pool = pair.value;
        break;
      case 'session-timeout':
        profile.sessionTimeout = integerValue(pair, log, 1);
        break;
      case 'idle-timeout':
        profile.idleTimeout = integerValue(pair, log, 1);
        break;
      case 'acct-interim-interval':
        profile.interimInterval = integerValue(pair, log, 1);
        break;
      case 'mikrotik-address-list':
        profile.addressList = pair.value;
        break;
      case 'tunnel-type':
      case 'tunnel-medium-type':
      case 'tunnel-private-group-id':
        tunnel.set(name, pair);
        break;
      case 'framed-ip-address':
        subscriber.framedIp = pair.value;
        break;
      case 'framed-ipv6-prefix':
        subscriber.framedIpv6Prefix = pair.value;
        break;
      case 'delegated-ipv6-prefix':
        subscriber.delegatedIpv6Prefix = pair.value;
        break;
      case 'fall-through':
        break;
      default:
        if (IMPLIED_REPLIES.get(name)?.includes(pair.value.toLowerCase())) break;
        extras.push(toReplyAttribute(pair));
    }
  }

  // RFC 3580 §3.31: VLAN assignment = Tunnel-Type VLAN (13), Tunnel-Medium-Type
  // IEEE-802 (6), Tunnel-Private-Group-Id the VLAN id.
  const type = tunnel.get('tunnel-type')?.value.toLowerCase();
  const medium = tunnel.get('tunnel-medium-type')?.value.toLowerCase();
  const group = tunnel.get('tunnel-private-group-id');
  const vlan = group === undefined ? NaN : Number(group.value);
  if (
    group !== undefined &&
    (type === 'vlan' || type === '13') &&
    (medium === undefined || medium === 'ieee-802' || medium === '6') &&
    Number.isInteger(vlan) &&
    vlan >= 1 &&
    vlan <= 4094
  ) {
    profile.vlan = vlan;
  } else {
    for (const pair of tunnel.values()) extras.push(toReplyAttribute(pair));
  }

  if (owner === 'group') {
    if (extras.length > 0) profile.extraReply = extras;
  } else {
    subscriber.replyAttributes = extras;
  }
  return { profile, subscriber };
}

function toReplyAttribute(pair: LocatedPair): ReplyAttribute {
  const op = pair.op === ':=' || pair.op === '+=' ? pair.op : '=';
  return { name: pair.attribute, value: pair.value, op };
}

const DIGEST_BYTES: Record<DigestAlgorithm, number> = {
  md5: 16,
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

// FreeRADIUS accepts hashed passwords as hex or base64; hex when the text is hex and
// long enough for the digest, else base64 (rlm_pap's normify).
function decodeHash(text: string, minBytes: number): Buffer | null {
  const trimmed = text.trim().replace(/^0x/i, '');
  if (/^([0-9a-f]{2})+$/i.test(trimmed) && trimmed.length / 2 >= minBytes) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length >= minBytes ? bytes : null;
}

function digestCredential(algorithm: DigestAlgorithm, salted: boolean, text: string): Credentials['digest'] | null {
  const size = DIGEST_BYTES[algorithm];
  const bytes = decodeHash(text, size);
  if (bytes === null || (!salted && bytes.length !== size) || (salted && bytes.length <= size)) return null;
  return { algorithm, hash: bytes.subarray(0, size).toString('hex'), salt: bytes.subarray(size).toString('hex') };
}

const HASHED_PASSWORDS: Record<string, { algorithm: DigestAlgorithm | 'nt' | 'crypt' | 'sha2'; salted: boolean }> = {
  'nt-password': { algorithm: 'nt', salted: false },
  'crypt-password': { algorithm: 'crypt', salted: false },
  'md5-password': { algorithm: 'md5', salted: false },
  'smd5-password': { algorithm: 'md5', salted: true },
  'sha-password': { algorithm: 'sha1', salted: false },
  'sha1-password': { algorithm: 'sha1', salted: false },
  'ssha-password': { algorithm: 'sha1', salted: true },
  'ssha1-password': { algorithm: 'sha1', salted: true },
  'sha2-password': { algorithm: 'sha2', salted: false },
  'ssha2-224-password': { algorithm: 'sha224', salted: true },
  'ssha2-256-password': { algorithm: 'sha256', salted: true },
  'ssha2-384-password': { algorithm: 'sha384', salted: true },
  'ssha2-512-password': { algorithm: 'sha512', salted: true },
};

// Password-With-Header (rlm_pap): {header}value.
const HEADERS: Record<string, string> = {
  '{clear}': 'cleartext-password',
  '{cleartext}': 'cleartext-password',
  '{crypt}': 'crypt-password',
  '{md5}': 'md5-password',
  '{base64_md5}': 'md5-password',
  '{smd5}': 'smd5-password',
  '{sha}': 'sha-password',
  '{ssha}': 'ssha-password',
  '{sha2}': 'sha2-password',
  '{sha224}': 'sha2-password',
  '{sha256}': 'sha2-password',
  '{sha384}': 'sha2-password',
  '{sha512}': 'sha2-password',
  '{ssha224}': 'ssha2-224-password',
  '{ssha256}': 'ssha2-256-password',
  '{ssha384}': 'ssha2-384-password',
  '{ssha512}': 'ssha2-512-password',
  '{nt}': 'nt-password',
  '{nthash}': 'nt-password',
  '{x-nthash}': 'nt-password',
};

function applyPassword(kind: string, value: string, pair: LocatedPair, result: CheckResult, log: ProblemLog): void {
  if (kind === 'cleartext-password' || kind === 'user-password') {
    result.password = value;
    return;
  }
  const spec = HASHED_PASSWORDS[kind];
  if (spec === undefined) return;
  if (spec.algorithm === 'crypt') {
    result.credentials.crypt = value;
    return;
  }
  if (spec.algorithm === 'nt') {
    const bytes = decodeHash(value, 16);
    if (bytes === null || bytes.length !== 16)
      log.error(pair.location, `${pair.attribute} must be 16 bytes in hex or base64`);
    else result.credentials.ntHash = bytes.toString('hex');
    return;
  }
  let algorithm: DigestAlgorithm;
  if (spec.algorithm === 'sha2') {
    const bytes = decodeHash(value, 28);
    const byLength: Record<number, DigestAlgorithm> = { 28: 'sha224', 32: 'sha256', 48: 'sha384', 64: 'sha512' };
    const found = bytes === null ? undefined : byLength[bytes.length];
    if (found === undefined) {
      log.error(pair.location, `${pair.attribute} is not a SHA-2 digest (28, 32, 48 or 64 bytes in hex or base64)`);
      return;
    }
    algorithm = found;
  } else algorithm = spec.algorithm;
  const digest = digestCredential(algorithm, spec.salted, value);
  if (digest === null)
    log.error(
      pair.location,
      `${pair.attribute} is not a ${spec.salted ? 'salted ' : ''}${algorithm.toUpperCase()} digest in hex or base64`,
    );
  else result.credentials.digest = digest;
}

const CONDITIONS_EVERY_PPP_REQUEST_MEETS = new Map([
  ['framed-protocol', ['ppp', '1']],
  ['service-type', ['framed-user', '2']],
]);

export function interpretChecks(
  pairs: readonly LocatedPair[],
  username: string,
  log: ProblemLog,
  options: MapOptions,
): CheckResult {
  const result: CheckResult = { credentials: {} };
  for (const pair of pairs) {
    const name = baseName(pair.attribute);
    const assigns = pair.op === ':=' || pair.op === '==' || pair.op === '=';
    if (name === 'cleartext-password' || name === 'user-password' || name in HASHED_PASSWORDS) {
      if (!assigns) log.error(pair.location, `${pair.attribute} ${pair.op} is not supported (use :=)`);
      else applyPassword(name, pair.value, pair, result, log);
      continue;
    }
    if (name === 'password-with-header') {
      const header = /^\{[^}]+\}/.exec(pair.value)?.[0]?.toLowerCase();
      const kind = header === undefined ? 'cleartext-password' : HEADERS[header];
      if (kind === undefined) log.error(pair.location, `Password-With-Header: unknown header ${header ?? ''}`);
      else applyPassword(kind, header === undefined ? pair.value : pair.value.slice(header.length), pair, result, log);
      continue;
    }
    if (name === 'simultaneous-use') {
      result.simultaneousUse = integerValue(pair, log, 1);
      continue;
    }
    if (name === 'auth-type') {
      const type = pair.value.toLowerCase();
      if (type === 'reject') result.disabled = true;
      else if (type === 'accept') {
        const mac = normalizeMac(username);
        if (mac === null) {
          log.error(
            pair.location,
            `Auth-Type := Accept for "${username}" would accept any password; only MAC-named entries (IPoE) are ` +
              `imported this way`,
          );
        } else result.macAuth = mac;
      } else
        log.warn(pair.location, `Auth-Type := ${pair.value} ignored: the appliance picks the method from the request`);
      continue;
    }
    if (name === 'pool-name') {
      result.framedPool = pair.value;
      continue;
    }
    if (CONDITIONS_EVERY_PPP_REQUEST_MEETS.get(name)?.includes(pair.value.toLowerCase())) {
      log.warn(
        pair.location,
        `condition ${pair.attribute} ${pair.op} ${pair.value} dropped (the appliance does not filter on it)`,
      );
      continue;
    }
    if (name === 'lm-password') {
      log.warn(pair.location, 'LM-Password ignored (LM hashes are not used by the appliance)');
      continue;
    }
    const message =
      `check item ${pair.attribute} ${pair.op} ${pair.value} is not supported: the appliance has no ` +
      `rule engine and would not enforce it`;
    if (options.skipUnsupported) log.warn(pair.location, `${message} (skipped)`);
    else log.error(pair.location, `${message}; remove it or import with --skip-unsupported`);
  }
  return result;
}

/** Stable text for a draft, to tell identical profiles apart from different ones. */
export function draftKey(draft: ProfileDraft): string {
  const entries = Object.entries(draft).filter(([, value]) => value !== undefined);
  entries.sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

export function isEmptyDraft(draft: ProfileDraft): boolean {
  return Object.values(draft).every((value) => value === undefined);
}

/**
 * Fields of `later` win; extra reply attributes are concatenated. Callers merge from
 * lowest to highest precedence: groups by descending priority number, then the user's
 * own items (a user's reply item overrides its groups', the first group's overrides
 * the next one's).
 */
export function mergeDrafts(earlier: ProfileDraft, later: ProfileDraft): ProfileDraft {
  const merged: ProfileDraft = { ...earlier };
  for (const [key, value] of Object.entries(later) as Array<[keyof ProfileDraft, ProfileDraft[keyof ProfileDraft]]>) {
    if (value === undefined) continue;
    if (key === 'extraReply') merged.extraReply = [...(earlier.extraReply ?? []), ...(later.extraReply ?? [])];
    else Object.assign(merged, { [key]: value });
  }
  return merged;
}
