// A whole edge app in one test: real libSQL files in a temp dir, a fake clock, captured
// logs, and helpers that speak the public HTTP API only (no service shortcuts), so
// every test exercises routing, middleware and services together.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { drizzle } from 'drizzle-orm/libsql/web';
import { expect, onTestFinished } from 'vitest';
import * as controlSchema from '../../db/control/index.ts';
import { createDatabases } from '../../db/databases.ts';
import { createFileDriver } from '../../db/drivers/files.ts';
import type { StaffRole } from '../../db/tenant/index.ts';
import { createApp, type App } from '../../edge/app.ts';
import { parseConfig, type Platform } from '../../edge/env.ts';
import { createLogger } from '../../edge/lib/logger.ts';
import { decodeBase32, generateHotp, totpStep } from '../../edge/lib/totp.ts';
import { createDirectoryStorage } from '../../edge/node/directory-storage.ts';
import { resolveHost } from '../../edge/node/platform.ts';
import { createOutboxNudger } from '../../edge/services/outbox/nudge-outbox.ts';
import { ensurePlatformAdmin } from '../../edge/services/platform/ensure-platform-admin.ts';

export const platformAdmin = { email: 'root@platform.test', password: 'platform-admin-password-1' } as const;

/** Far from the real date, so nothing can accidentally pass by using the wall clock. */
export const startTime = Date.UTC(2031, 0, 15, 9, 0, 0);

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

export type Json = Record<string, unknown>;

export type CallResult = {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  body: Json & { data?: Json[] };
};

export type CallOptions = {
  token?: string | undefined;
  /** Sent as JSON (objects) or as is (strings). */
  body?: unknown;
  headers?: Record<string, string>;
};

export type TenantFixture = {
  id: string;
  slug: string;
  owner: { id: string; email: string; password: string; token: string };
};

export type StaffFixture = { id: string; email: string; password: string; role: StaffRole; token: string };

export type TestEdge = Awaited<ReturnType<typeof createTestEdge>>;

let counter = 0;
/** Unique within the process, so emails and names never collide between tests. */
export const unique = (prefix: string) =>
  `${prefix}${(++counter).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export const randomDataKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

/**
 * Builds the platform and app. `config` overrides environment-style settings
 * (LOGIN_MAX_FAILURES, API_KEY_RATE_LIMIT, …). Call `close()` when done.
 */
export async function createTestEdge(config: Record<string, unknown> = {}, options: EdgeOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'edge-test-'));
  const logs: string[] = [];
  const clock = { now: startTime };
  const platform: Platform = {
    config: parseConfig({
      AUTH_SECRET: 'x'.repeat(40),
      DATA_KEY: randomDataKey(),
      PLATFORM_ADMIN_EMAIL: platformAdmin.email,
      PLATFORM_ADMIN_PASSWORD: platformAdmin.password,
      LOG_LEVEL: 'debug',
      ...config,
    }),
    databases: createDatabases(createFileDriver(join(dir, 'db'))),
    storage: createDirectoryStorage(join(dir, 'objects')),
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    now: () => clock.now,
    docsAsset: async (file) => {
      const body = await readFile(join(swaggerDir, file)).catch(() => null);
      const type = file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
      return body ? new Response(body, { headers: { 'content-type': type } }) : null;
    },
    // The source address a test chooses with `x-test-peer` (rate limits per address), else 127.0.0.1.
    remoteAddress: (c) => c.req.header('x-test-peer') ?? '127.0.0.1',
    resolveHost,
    ...(options.nudgeOutbox ? { nudgeOutbox: (slug: string) => nudger?.nudge(slug) } : {}),
  };
  const nudger = options.nudgeOutbox ? createOutboxNudger(platform) : undefined;
  const app: App = createApp(platform);

  const control = await platform.databases.control();
  await ensurePlatformAdmin({
    ctx: {
      db: drizzle(control, { schema: controlSchema }),
      platform,
      actor: { type: 'system', id: null },
      requestId: 'test-setup',
      ip: null,
      log: platform.log,
    },
  });

  /** One HTTP request through the app, in-process. */
  async function call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: CallResult['body'];
    try {
      parsed = JSON.parse(text) as CallResult['body'];
    } catch {
      parsed = undefined as unknown as CallResult['body'];
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  /** Asserts a status, printing the body when it differs (so failures explain themselves). */
  const ok = (result: CallResult, status: number) => {
    expect(result.status, `${result.status} ${result.text}`).toBe(status);
    return result;
  };

  async function platformToken(): Promise<string> {
    const res = ok(await call('POST', '/api/v1/platform/auth/login', { body: platformAdmin }), 200);
    return String(res.body.access_token);
  }

  let cachedPlatformToken: string | undefined;
  const rootToken = async () => (cachedPlatformToken ??= await platformToken());

  async function login(tenant: string, email: string, password: string, totp?: string): Promise<string> {
    const res = ok(
      await call('POST', '/api/v1/auth/login', { body: { tenant, email, password, ...(totp ? { totp } : {}) } }),
      200,
    );
    return String(res.body.access_token);
  }

  /** Creates a tenant through the platform API and logs its owner in. */
  async function createTenant(overrides: Json = {}): Promise<TenantFixture> {
    const slug = String(overrides.slug ?? unique('isp-'));
    const owner = { email: `owner@${slug}.test`, password: `owner-password-${slug}` };
    const res = ok(
      await call('POST', '/api/v1/platform/tenants', {
        token: await rootToken(),
        body: {
          slug,
          name: `ISP ${slug}`,
          currency: 'USD',
          timezone: 'UTC',
          admin_email: owner.email,
          admin_password: owner.password,
          ...overrides,
        },
      }),
      201,
    );
    const token = await login(slug, owner.email, owner.password);
    const me = ok(await call('GET', '/api/v1/me', { token }), 200);
    return { id: String(res.body.id), slug, owner: { ...owner, id: String(me.body.id), token } };
  }

  /** Creates a staff user with `role` (as `token`) and logs them in. */
  async function createStaff(
    tenant: TenantFixture,
    role: StaffRole,
    token = tenant.owner.token,
  ): Promise<StaffFixture> {
    const email = `${unique(role.replace('_', '-'))}@${tenant.slug}.test`;
    const password = `password-of-${email}`;
    const res = ok(
      await call('POST', '/api/v1/users', { token, body: { email, name: `Staff ${role}`, role, password } }),
      201,
    );
    return { id: String(res.body.id), email, password, role, token: await login(tenant.slug, email, password) };
  }

  async function createApiKey(
    token: string,
    role: StaffRole,
    name = unique('key-'),
  ): Promise<{ id: string; secret: string; body: Json }> {
    const res = ok(await call('POST', '/api/v1/api-keys', { token, body: { name, role } }), 201);
    return { id: String(res.body.id), secret: String(res.body.secret), body: res.body };
  }

  /** The TOTP code for `secretBase32` at the fake clock, `offsetSteps` steps away. */
  const totp = (secretBase32: string, offsetSteps = 0) =>
    generateHotp(decodeBase32(secretBase32), totpStep(clock.now) + offsetSteps);

  /** Runs SQL straight against a tenant's database file, bypassing the API (for tampering). */
  async function tenantSql(slug: string, sql: string, args: (string | number | null)[] = []) {
    const lease = await platform.databases.leaseTenant(slug);
    try {
      return await lease.client.execute({ sql, args });
    } finally {
      lease.release();
    }
  }

  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    nudger?.stop();
    platform.databases.close();
    rmSync(dir, { recursive: true, force: true });
  }

  return {
    app,
    platform,
    clock,
    logs,
    dir,
    call,
    ok,
    platformToken,
    rootToken,
    login,
    createTenant,
    createStaff,
    createApiKey,
    totp,
    tenantSql,
    close,
  };
}

/** A fresh app for the current test, closed (and its files removed) when the test ends. */
export type EdgeOptions = { nudgeOutbox?: boolean };

export async function startEdge(config: Record<string, unknown> = {}, options: EdgeOptions = {}): Promise<TestEdge> {
  const edge = await createTestEdge(config, options);
  onTestFinished(() => edge.close());
  return edge;
}

/** Every error body is RFC 9457 problem+json with our extension members. */
export function expectProblem(result: CallResult, status: number, code?: string) {
  expect(result.status, result.text).toBe(status);
  expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = result.body;
  expect(body).toMatchObject({
    type: expect.stringMatching(/^\/problems\/[a-z-]+$/),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    instance: expect.stringMatching(/^\//),
    code: expect.any(String),
    request_id: expect.any(String),
  });
  expect(body.request_id).toBe(result.headers.get('x-request-id'));
  if (code) {
    expect(body.code).toBe(code);
    expect(body.type).toBe(`/problems/${code.replaceAll('_', '-')}`);
  }
  return body as Json & { errors?: { path: string; message: string }[] };
}
