// Cloudflare Workers entry. The platform is built once per isolate from its bindings.
import { createDatabases } from '../db/databases.ts';
import { createLibsqlServerDriver } from '../db/drivers/libsql-server.ts';
import { createApp, type App } from './app.ts';
import { parseConfig, type Platform } from './env.ts';
import { createLogger } from './lib/logger.ts';
import { createR2Storage } from './lib/r2-storage.ts';
import { ensurePlatformAdmin } from './services/platform/ensure-platform-admin.ts';
import { runScheduledJobs } from './services/scheduler/run-scheduled-jobs.ts';

export type WorkerBindings = {
  /** libSQL server (sqld or Turso) holding one namespace per tenant, and its admin API. */
  LIBSQL_URL: string;
  LIBSQL_ADMIN_URL: string;
  LIBSQL_AUTH_TOKEN?: string;
  AUTH_SECRET: string;
  DATA_KEY: string;
  ASSETS: Fetcher;
  /** R2 bucket of ticket attachments (and other tenant files, under tenants/<id>/). */
  ATTACHMENTS: R2Bucket;
  [setting: string]: unknown;
};

type Built = { app: App; platform: Platform; ready: Promise<void> };
const built = new WeakMap<object, Built>();

function build(env: WorkerBindings): Built {
  // Workers never send webhooks to loopback or private addresses, whatever the vars say.
  const config = parseConfig({ ...env, WEBHOOK_ALLOW_PRIVATE: '0' });
  const log = createLogger({ level: config.logLevel });
  const platform: Platform = {
    config,
    databases: createDatabases(
      createLibsqlServerDriver({
        url: env.LIBSQL_URL,
        adminUrl: env.LIBSQL_ADMIN_URL,
        authToken: env.LIBSQL_AUTH_TOKEN,
      }),
      { maxOpen: 64 },
    ),
    storage: createR2Storage(env.ATTACHMENTS),
    log,
    now: Date.now,
    docsAsset: async (file) => {
      const response = await env.ASSETS.fetch(`https://assets.invalid/${file}`);
      return response.ok ? new Response(response.body, response) : null;
    },
    // Set by Cloudflare's edge, which replaces any value a client sends.
    remoteAddress: (c) => c.req.header('cf-connecting-ip'),
  };
  // On Workers the first platform admin must come from secrets: a generated password
  // could only be shown through logs, and secrets are never logged.
  const ready = (async () => {
    if (!config.platformAdminEmail || !config.platformAdminPassword) return;
    const control = await platform.databases.controlDb();
    await ensurePlatformAdmin({
      ctx: { db: control, platform, actor: { type: 'system', id: null }, requestId: 'startup', ip: null, log },
    });
  })();
  return { app: createApp(platform), platform, ready };
}

async function ready(env: WorkerBindings): Promise<Built> {
  let entry = built.get(env);
  if (!entry) {
    entry = build(env);
    built.set(env, entry);
  }
  try {
    await entry.ready;
  } catch (error) {
    built.delete(env);
    throw error;
  }
  return entry;
}

export default {
  async fetch(request, env, ctx) {
    return (await ready(env)).app.fetch(request, env, ctx);
  },
  // The cron trigger in wrangler.toml, each minute: SLA breaches, hourly billing and
  // collections, then the outbox (webhooks). The tick is the minute the trigger was scheduled
  // for, not when it ran.
  async scheduled(controller, env, ctx) {
    const { platform } = await ready(env);
    ctx.waitUntil(
      runScheduledJobs(platform, { from: controller.scheduledTime - 60_000, to: controller.scheduledTime }),
    );
  },
} satisfies ExportedHandler<WorkerBindings>;
