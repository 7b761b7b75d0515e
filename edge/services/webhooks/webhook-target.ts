import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';

/**
 * Whether a webhook may go to loopback, private, link-local and other non-public addresses.
 * Self-hosted (`npm start`) allows them unless WEBHOOK_ALLOW_PRIVATE=0; the Worker never does.
 * `resolveHost` (Node) lets names be checked too; a name that resolves differently at send
 * time (DNS rebinding) is not caught.
 */
export type WebhookTargetPolicy = Readonly<{
  allowPrivate: boolean;
  resolveHost?: ((hostname: string) => Promise<string[]>) | undefined;
}>;

/** This runtime's policy: WEBHOOK_ALLOW_PRIVATE (pinned to 0 on Workers) and its resolver. */
export const targetPolicy = (ctx: TenantContext): WebhookTargetPolicy => ({
  allowPrivate: ctx.platform.config.webhookAllowPrivate,
  resolveHost: ctx.platform.resolveHost,
});

function ipv4Bytes(host: string): number[] | null {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

function privateIpv4([a, b]: number[]): boolean {
  const x = a!;
  const y = b!;
  // RFC 6890 special-purpose ranges: this network, private, CGNAT, loopback, link-local,
  // IETF protocol assignments, benchmarking, multicast and reserved.
  return (
    x === 0 ||
    x === 10 ||
    x === 127 ||
    x >= 224 ||
    (x === 100 && y >= 64 && y < 128) ||
    (x === 169 && y === 254) ||
    (x === 172 && y >= 16 && y < 32) ||
    (x === 192 && (y === 168 || y === 0)) ||
    (x === 198 && (y === 18 || y === 19))
  );
}

/** The 16 bytes of an IPv6 address as the URL parser prints it (compressed, hex groups). */
function ipv6Bytes(host: string): number[] | null {
  if (!host.includes(':')) return null;
  const [head = '', tail] = host.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  if (all.length !== 8 || all.some((g) => Number.isNaN(g))) return null;
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function privateIpv6(bytes: number[]): boolean {
  const zeroUntil = (n: number) => bytes.slice(0, n).every((b) => b === 0);
  if (zeroUntil(15) && (bytes[15] === 0 || bytes[15] === 1)) return true; // :: and ::1
  if (zeroUntil(10) && bytes[10] === 0xff && bytes[11] === 0xff) return privateIpv4(bytes.slice(12)); // ::ffff:a.b.c.d
  const first = bytes[0]!;
  // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast.
  return (first & 0xfe) === 0xfc || first === 0xfe || first === 0xff;
}

export function isPrivateAddress(address: string): boolean {
  const v4 = ipv4Bytes(address);
  if (v4) return privateIpv4(v4);
  const v6 = ipv6Bytes(address);
  return v6 ? privateIpv6(v6) : false;
}

/** A webhook URL as given, or a 400: http(s), no credentials, no fragment. */
export function parseWebhookUrl(raw: string): URL {
  const url = URL.canParse(raw) ? new URL(raw) : null;
  const invalid = (message: string) =>
    new AppError('validation_failed', message, { errors: [{ path: 'url', message }] });
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw invalid('must be an http or https URL');
  if (url.username || url.password) {
    throw invalid('must not carry credentials; authenticate deliveries by their signature');
  }
  if (url.hash) throw invalid('must not have a fragment');
  return url;
}

/** Why `url` may not receive webhooks under `policy`, or null when it may. */
export async function refusedTarget(policy: WebhookTargetPolicy, url: URL): Promise<string | null> {
  if (policy.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
  if (isPrivateAddress(host)) return `${host} is a loopback, private or reserved address`;
  if (ipv4Bytes(host) || ipv6Bytes(host) || !policy.resolveHost) return null;
  const addresses = await policy.resolveHost(host).catch(() => []);
  const inside = addresses.find(isPrivateAddress);
  return inside ? `${host} resolves to ${inside}, a loopback, private or reserved address` : null;
}
