import { z } from 'zod';
import type { Context } from 'hono';
import type { Databases } from '../db/databases.ts';
import type { Logger } from './lib/logger.ts';
import type { ObjectStorage } from './lib/object-storage.ts';

const base64Key = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes, base64url without padding');

/** Settings shared by both runtimes, read from environment-style names once at start. */
const configSchema = z.object({
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters'),
  DATA_KEY: base64Key,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3_600),
  API_KEY_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_LOCK_SECONDS: z.coerce.number().int().min(1).default(900),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(30),
  // Hourly billing and collections runs for every tenant; `off` leaves them to the API.
  BILLING_SCHEDULE: z.enum(['hourly', 'off']).default('hourly'),
  // Self-hosted receivers on the LAN are normal; `0` refuses loopback and private targets
  // (the Worker always does).
  WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('1'),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(10),
  PLATFORM_ADMIN_EMAIL: z.email().optional(),
  PLATFORM_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

export type Config = Readonly<{
  authSecret: string;
  dataKey: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  tokenTtlSeconds: number;
  /** Requests per minute per API key. */
  apiKeyRateLimit: number;
  loginMaxFailures: number;
  loginLockSeconds: number;
  /** Login attempts a minute per source address (IPv4 address or IPv6 /64), staff and platform together. */
  loginRateLimit: number;
  billingSchedule: 'hourly' | 'off';
  webhookAllowPrivate: boolean;
  webhookTimeoutSeconds: number;
  platformAdminEmail: string | undefined;
  platformAdminPassword: string | undefined;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(source: Record<string, unknown>): Config {
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  const e = parsed.data;
  return Object.freeze({
    authSecret: e.AUTH_SECRET,
    dataKey: e.DATA_KEY,
    logLevel: e.LOG_LEVEL,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    apiKeyRateLimit: e.API_KEY_RATE_LIMIT,
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    loginLockSeconds: e.LOGIN_LOCK_SECONDS,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    billingSchedule: e.BILLING_SCHEDULE,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE === '1',
    webhookTimeoutSeconds: e.WEBHOOK_TIMEOUT_SECONDS,
    platformAdminEmail: e.PLATFORM_ADMIN_EMAIL,
    platformAdminPassword: e.PLATFORM_ADMIN_PASSWORD,
  });
}

/** Serves a static file of the API reference page, or null when there is none. */
export type AssetFetcher = (path: string) => Promise<Response | null>;

/** Everything the app needs from its runtime, built once per process (or isolate). */
export type Platform = Readonly<{
  config: Config;
  databases: Databases;
  /** Ticket attachments and other files: a directory on Node, R2 on Workers. */
  storage: ObjectStorage;
  log: Logger;
  now: () => number;
  docsAsset: AssetFetcher;
  /** A host name's addresses (Node's resolver), so webhook targets can be checked by name too. */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /** Runs the outbox soon for a tenant that just wrote (Node); the Worker relies on its cron. */
  nudgeOutbox?: (tenantSlug: string) => void;
  /** The client's address as the runtime knows it: the socket peer on Node, CF-Connecting-IP on Workers. */
  remoteAddress: (c: Context) => string | undefined;
}>;
