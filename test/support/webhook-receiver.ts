// A webhook receiver written from the Standard Webhooks specification
// (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md, "Verifying
// webhook authenticity"), independent of the edge's signing code: a real HTTP server on
// 127.0.0.1 that checks every message it gets and answers as the test scripts it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

export type Received = {
  id: string;
  timestamp: number;
  body: string;
  /** The message as JSON: { type, timestamp, data }. */
  json: { type: string; timestamp: string; data: Record<string, unknown> & { id: string; seq: number; type: string } };
  /** Whether one of the `v1,` signatures matched and the timestamp was within tolerance. */
  verified: boolean;
};

/** What to answer: a status, or 'hang' to never answer (the sender's timeout). */
export type Answer = number | 'hang';

const toleranceSeconds = 5 * 60;

/** Spec steps: the signed content is `${id}.${timestamp}.${body}`, keyed by the base64 after `whsec_`. */
type Headers = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string | undefined>;

export function verifyStandardWebhook(secret: string, headers: Headers, body: string, nowSeconds: number): boolean {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  const signatures = headers['webhook-signature'];
  if (!id || !Number.isInteger(timestamp) || !signatures || !secret.startsWith('whsec_')) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // The header may carry several space-delimited signatures (key rotation); any may match.
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * Starts a receiver. `secret` is set once the endpoint is created; `now` is the clock the
 * timestamps are checked against (the edge's fake clock). `answers` are used in order, then 204.
 */
export async function startReceiver(now: () => number) {
  const received: Received[] = [];
  const answers: Answer[] = [];
  const hanging: ServerResponse[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const state = { secret: '' };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: keyof Headers) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(' ') : value;
      };
      const headers = {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      };
      received.push({
        id: headers['webhook-id'] ?? '',
        timestamp: Number(headers['webhook-timestamp']),
        body,
        json: JSON.parse(body) as Received['json'],
        verified: verifyStandardWebhook(state.secret, headers, body, Math.floor(now() / 1000)),
      });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
      const answer = answers.shift() ?? 204;
      if (answer === 'hang') hanging.push(res);
      else res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  onTestFinished(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    answers,
    setSecret: (secret: string) => (state.secret = secret),
    /** Resolves once `count` messages have arrived (bounded by the test's timeout). */
    waitFor: (count: number) =>
      received.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}
