import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { createDatabases } from '../../db/databases.ts';
import { createFileDriver } from '../../db/drivers/files.ts';
import type { Platform } from '../env.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import type { NodeConfig } from './config.ts';
import { createDirectoryStorage } from './directory-storage.ts';
import { createOutboxNudger } from '../services/outbox/nudge-outbox.ts';

/** Every address a name resolves to (webhook targets are checked against private ranges). */
export const resolveHost = async (hostname: string) => (await lookup(hostname, { all: true })).map((a) => a.address);

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The Node runtime's platform: libSQL files under DATA_DIR, objects under ATTACHMENTS_DIR, logs to stdout. */
export function createNodePlatform(
  config: NodeConfig,
  log: Logger = createLogger({ level: config.app.logLevel }),
): Platform {
  const platform: Platform = {
    config: config.app,
    databases: createDatabases(createFileDriver(join(config.dataDir, 'db')), {
      maxOpen: config.maxOpenTenantDatabases,
    }),
    storage: createDirectoryStorage(config.attachmentsDir),
    log,
    now: Date.now,
    docsAsset: async (file) => {
      const body = await readFile(join(swaggerDir, file)).catch(() => null);
      const type = contentTypes[file.slice(file.lastIndexOf('.'))];
      return body && type
        ? new Response(body, { headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' } })
        : null;
    },
    remoteAddress: (c: Context) => (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket.remoteAddress,
    resolveHost,
    nudgeOutbox: (slug) => nudger.nudge(slug),
  };
  // A long-lived process: webhooks leave right after the write that caused them.
  const nudger = createOutboxNudger(platform);
  return platform;
}
