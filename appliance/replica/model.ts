// The replica's data model: zod schemas for what writers send (edge sync, imports)
// and the normalized shapes the RADIUS hot path reads. The schemas are the boundary
// check for sync messages; everything behind them may trust the shapes.
import { z } from 'zod';
import { SUSPENDED_POLICIES } from '../config.ts';
import type { SuspendedPolicy } from '../config.ts';

export type { SuspendedPolicy };
import { formatPrefix, parseIpAddress, parsePrefix } from './ip-prefix.ts';

export const NAS_VENDORS = ['mikrotik', 'cisco', 'juniper', 'huawei', 'other'] as const;
export type NasVendor = (typeof NAS_VENDORS)[number];

/** `disabled` always rejects; `suspended` follows the tenant policy (reject or captive). */
export const SUBSCRIBER_STATUSES = ['active', 'suspended', 'disabled'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export const DIGEST_ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const HEX = /^(?:[0-9a-f]{2})*$/;

/** "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "aabbccddeeff", "aa:bb:…" → "aa:bb:cc:dd:ee:ff". */
export function normalizeMac(text: string): string | null {
  const hex = text
    .trim()
    .toLowerCase()
    .replace(/[:.\-\s]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return hex.match(/../g)?.join(':') ?? null;
}

/**
 * DHCP Option 82 sub-options (RFC 3046) are opaque octets; the NAS relays them as
 * such. Operators write them as text ("eth 0/1/1:100") or as hex with a 0x prefix.
 * The canonical form is lowercase hex of the octets.
 */
export function normalizeAgentId(value: string | Uint8Array): string {
  if (typeof value !== 'string') return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (/^0x([0-9a-f]{2})+$/i.test(value)) return value.slice(2).toLowerCase();
  return Buffer.from(value, 'utf8').toString('hex');
}

const prefixText = (family?: 4 | 6) =>
  z.string().transform((value, ctx) => {
    const prefix = parsePrefix(value);
    if (prefix === null || (family !== undefined && prefix.family !== family)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an ${family === 6 ? 'IPv6 ' : ''}address or CIDR prefix, got "${value}"`,
      });
      return z.NEVER;
    }
    return formatPrefix(prefix);
  });

const ipv4Text = z.string().transform((value, ctx) => {
  const address = parseIpAddress(value);
  if (address === null || address.family !== 4) {
    ctx.addIssue({ code: 'custom', message: `expected an IPv4 address, got "${value}"` });
    return z.NEVER;
  }
  return value.trim();
});

const macText = z.string().transform((value, ctx) => {
  const mac = normalizeMac(value);
  if (mac === null) {
    ctx.addIssue({ code: 'custom', message: `expected a MAC address, got "${value}"` });
    return z.NEVER;
  }
  return mac;
});

const agentIdText = z
  .string()
  .min(1)
  .max(255)
  .transform((value) => normalizeAgentId(value));

const name = z.string().min(1).max(253);
const seconds = z
  .int()
  .min(1)
  .max(2 ** 31 - 1);
const kbps = z.int().min(0).max(100_000_000);

/** A reply attribute by dictionary name, rendered by the RADIUS encoder. */
export const replyAttributeSchema = z.strictObject({
  // Dictionary names, optionally with a RFC 2868 tag suffix (Tunnel-Private-Group-Id:1).
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(:\d{1,2})?$/, { message: 'expected a dictionary attribute name' }),
  value: z.union([z.string().max(4096), z.number()]),
  op: z.enum(['=', ':=', '+=']).default('='),
});
export type ReplyAttribute = z.output<typeof replyAttributeSchema>;

// Rates from the subscriber's point of view: up = upload (what the NAS receives,
// MikroTik "rx"), down = download. The RADIUS encoder orders them per vendor.
export const rateLimitSchema = z.strictObject({
  upKbps: kbps,
  downKbps: kbps,
  burstUpKbps: kbps.nullable().default(null),
  burstDownKbps: kbps.nullable().default(null),
  burstThresholdUpKbps: kbps.nullable().default(null),
  burstThresholdDownKbps: kbps.nullable().default(null),
  burstTimeUpSeconds: seconds.nullable().default(null),
  burstTimeDownSeconds: seconds.nullable().default(null),
});
export type RateLimit = z.output<typeof rateLimitSchema>;

export const nasClientInputSchema = z
  .strictObject({
    id: name.optional(),
    address: prefixText(),
    secret: z.string().min(1).max(256),
    name: name.optional(),
    vendor: z.enum(NAS_VENDORS).default('other'),
    /** null: use the appliance default (config radius.requireMessageAuthenticator). */
    requireMessageAuthenticator: z.boolean().nullable().default(null),
    /** Where the NAS takes CoA/Disconnect-Request (Cisco ISG: 1700). null: config coa.port (RFC 5176: 3799). */
    coaPort: z.int().min(1).max(65_535).nullable().default(null),
    /**
     * The NAS relays IPoE (DHCP-triggered) requests: only its requests without
     * credentials may match subscribers by Option 82, Calling-Station-Id or User-Name as a MAC.
     */
    ipoe: z.boolean().default(false),
  })
  .transform((value) => ({ ...value, id: value.id ?? value.address, name: value.name ?? value.address }));
export type NasClientInput = z.input<typeof nasClientInputSchema>;
export type NasClientRecord = z.output<typeof nasClientInputSchema>;

export const profileInputSchema = z.strictObject({
  name,
  rateLimit: rateLimitSchema.nullable().default(null),
  framedPool: name.nullable().default(null),
  framedIpv6Pool: name.nullable().default(null),
  delegatedIpv6Pool: name.nullable().default(null),
  sessionTimeout: seconds.nullable().default(null),
  idleTimeout: seconds.nullable().default(null),
  interimInterval: seconds.nullable().default(null),
  vlan: z.int().min(1).max(4094).nullable().default(null),
  addressList: name.nullable().default(null),
  extraReply: z.array(replyAttributeSchema).default([]),
});
export type ProfileInput = z.input<typeof profileInputSchema>;
export type Profile = z.output<typeof profileInputSchema>;

/**
 * What the replica keeps per subscriber to authenticate, depending on the enabled
 * methods (see credentials.ts): cleartext serves PAP, CHAP and MS-CHAPv2; an NT hash
 * serves PAP and MS-CHAPv2; crypt and salted digests (from imports) serve PAP only.
 */
export const credentialsSchema = z.strictObject({
  cleartext: z.string().min(1).max(253).optional(),
  ntHash: z
    .string()
    .regex(/^[0-9a-f]{32}$/, { message: 'expected 32 lowercase hex digits' })
    .optional(),
  crypt: z.string().min(1).max(512).optional(),
  digest: z
    .strictObject({
      algorithm: z.enum(DIGEST_ALGORITHMS),
      hash: z.string().regex(HEX).min(2),
      salt: z.string().regex(HEX).default(''),
    })
    .optional(),
});
export type Credentials = z.output<typeof credentialsSchema>;

export const subscriberInputSchema = z
  .strictObject({
    id: name.optional(),
    username: name,
    /** Cleartext from the edge; the replica keeps only what the enabled methods need. */
    password: z.string().min(1).max(253).optional(),
    credentials: credentialsSchema.optional(),
    status: z.enum(SUBSCRIBER_STATUSES).default('active'),
    profile: name.nullable().default(null),
    framedIp: ipv4Text.nullable().default(null),
    framedIpv6Prefix: prefixText(6).nullable().default(null),
    delegatedIpv6Prefix: prefixText(6).nullable().default(null),
    mac: macText.nullable().default(null),
    circuitId: agentIdText.nullable().default(null),
    remoteId: agentIdText.nullable().default(null),
    /** Maximum concurrent sessions (Simultaneous-Use); null: unlimited. */
    simultaneousUse: z.int().min(1).max(1_000_000).nullable().default(null),
    replyAttributes: z.array(replyAttributeSchema).default([]),
  })
  .refine((value) => value.remoteId === null || value.circuitId !== null, {
    message: 'remoteId needs circuitId (Option 82 bindings match on circuit id, optionally narrowed by remote id)',
    path: ['remoteId'],
  })
  .transform((value) => ({ ...value, id: value.id ?? value.username }));
export type SubscriberInput = z.input<typeof subscriberInputSchema>;
export type SubscriberRecord = z.output<typeof subscriberInputSchema>;

/** The tenant's choices that the edge syncs; null fields fall back to the config. */
export const tenantPolicyInputSchema = z.strictObject({
  suspendedPolicy: z.enum(SUSPENDED_POLICIES).nullable().default(null),
  captiveProfile: name.nullable().default(null),
});
export type TenantPolicyInput = z.input<typeof tenantPolicyInputSchema>;
export type TenantPolicyRecord = z.output<typeof tenantPolicyInputSchema>;

export const replicaChangeSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('upsert-nas-client'), value: nasClientInputSchema }),
  z.strictObject({ op: z.literal('delete-nas-client'), id: name }),
  z.strictObject({ op: z.literal('upsert-profile'), value: profileInputSchema }),
  z.strictObject({ op: z.literal('delete-profile'), name }),
  z.strictObject({ op: z.literal('upsert-subscriber'), value: subscriberInputSchema }),
  z.strictObject({ op: z.literal('delete-subscriber'), id: name }),
  z.strictObject({ op: z.literal('set-tenant-policy'), value: tenantPolicyInputSchema }),
]);
/** One change as a writer sends it (inputs, before defaults). */
export type ReplicaChange = z.input<typeof replicaChangeSchema>;
/** One change after validation and normalization. */
export type ReplicaChangeRecord = z.output<typeof replicaChangeSchema>;

/** A NAS client as the hot path reads it: secret decrypted, as bytes for MD5/HMAC. */
export type NasClient = Readonly<{
  id: string;
  prefix: string;
  name: string;
  vendor: NasVendor;
  secret: Buffer;
  requireMessageAuthenticator: boolean | null;
  coaPort: number | null;
  ipoe: boolean;
}>;

/** A subscriber as the hot path reads it; `profile` is a name, see getProfile. */
export type Subscriber = Readonly<{
  id: string;
  username: string;
  credentials: Readonly<Credentials>;
  status: SubscriberStatus;
  profile: string | null;
  framedIp: string | null;
  framedIpv6Prefix: string | null;
  delegatedIpv6Prefix: string | null;
  mac: string | null;
  circuitId: string | null;
  remoteId: string | null;
  simultaneousUse: number | null;
  replyAttributes: readonly ReplyAttribute[];
}>;

/** The effective tenant policy: replica values, else config defaults. */
export type TenantPolicy = Readonly<{ suspendedPolicy: SuspendedPolicy; captiveProfile: string }>;
