import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseConfig, type Config } from '../env.ts';

const nodeSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  ATTACHMENTS_DIR: z.string().min(1).optional(),
  DEMO: z.enum(['0', '1']).default('1'),
  MAX_OPEN_TENANT_DATABASES: z.coerce.number().int().min(1).default(256),
});

export type NodeConfig = Readonly<{
  port: number;
  host: string;
  dataDir: string;
  /** Object storage (ticket attachments); DATA_DIR/attachments unless ATTACHMENTS_DIR is set. */
  attachmentsDir: string;
  demo: boolean;
  maxOpenTenantDatabases: number;
  app: Config;
}>;

/**
 * The one place the Node server reads its environment. Secrets not given in the
 * environment are generated on first start and kept in DATA_DIR/secrets.json (mode 0600),
 * so tokens and sealed data survive restarts.
 */
export function loadNodeConfig(env: NodeJS.ProcessEnv): NodeConfig {
  const node = nodeSchema.parse(env);
  const dataDir = resolve(node.DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secretsFile = join(dataDir, 'secrets.json');
  if (!existsSync(secretsFile)) {
    const generated = {
      AUTH_SECRET: randomBytes(32).toString('base64url'),
      DATA_KEY: randomBytes(32).toString('base64url'),
    };
    writeFileSync(secretsFile, JSON.stringify(generated, null, 2), { mode: 0o600, flag: 'wx' });
  }
  const stored = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
  return Object.freeze({
    port: node.PORT,
    host: node.HOST,
    dataDir,
    attachmentsDir: resolve(node.ATTACHMENTS_DIR ?? join(dataDir, 'attachments')),
    demo: node.DEMO === '1',
    maxOpenTenantDatabases: node.MAX_OPEN_TENANT_DATABASES,
    app: parseConfig({ ...stored, ...env }),
  });
}
