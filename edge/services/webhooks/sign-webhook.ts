import { fromBase64, toBase64, utf8 } from '../../lib/encoding.ts';

// Standard Webhooks (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md):
// the secret is `whsec_` + base64 of 24–64 random bytes; each attempt signs
// "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256 keyed by the decoded bytes,
// and sends `webhook-signature: v1,<base64 signature>`.
const secretPrefix = 'whsec_';
const secretBytes = 32;

export const generateWebhookSecret = (): string =>
  secretPrefix + toBase64(crypto.getRandomValues(new Uint8Array(secretBytes)));

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const raw = fromBase64(secret.slice(secretPrefix.length));
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, utf8(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The three headers of one attempt (the timestamp is the attempt's, in whole seconds). */
export async function webhookHeaders(secret: string, id: string, nowMs: number, body: string) {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signWebhook(secret, id, timestamp, body),
  };
}
