// The one module of the appliance that reads the environment and the config file.
// Precedence: built-in defaults < JSON config file < environment variables.
// The result is validated with zod and deeply frozen; everything else receives it as
// an argument (no module reads process.env on its own).
import { readFileSync } from 'node:fs';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS } from './log.ts';
import { DUPLICATE_WINDOW_MS } from './radius/server/duplicate-cache.ts';

export const AUTH_METHODS = ['pap', 'chap', 'mschapv2'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const SUSPENDED_POLICIES = ['reject', 'captive'] as const;
export type SuspendedPolicy = (typeof SUSPENDED_POLICIES)[number];

const port = z.int().min(0).max(65_535);
const positiveInt = z.int().min(1);
const ipAddress = z.string().refine((value) => isIP(value) !== 0, { message: 'expected an IPv4 or IPv6 address' });
// A user or group for the privilege drop: a name or a numeric id.
const account = z
  .string()
  .regex(/^([a-z_][a-z0-9_-]*[$]?|\d+)$/i, { message: 'expected a user/group name or numeric id' });

// The config file's shape. Every key is optional; defaults live here so the README
// table and the code cannot drift apart silently (test/appliance/config.test.ts
// checks the documented defaults against this schema).
const fileSchema = z.strictObject({
  dataDir: z.string().min(1).default('./data/appliance'),
  keyFile: z.string().min(1).optional(),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  threads: positiveInt.max(256).optional(),
  user: account.optional(),
  group: account.optional(),
  shutdownTimeoutMs: positiveInt.default(10_000),
  radius: z
    .strictObject({
      bind: z.array(ipAddress).min(1).default(['0.0.0.0', '::']),
      authPort: port.default(1812),
      acctPort: port.default(1813),
      requireMessageAuthenticator: z.boolean().default(true),
      dictionaries: z.array(z.string().min(1)).default([]),
      receiveBufferBytes: positiveInt.default(4 * 1024 * 1024),
      // FreeRADIUS reject_delay (its default is 1 s too); 0 sends rejects at once. Below
      // the duplicate window, so a NAS retransmitting on that rhythm finds the reject cached.
      rejectDelayMs: z
        .int()
        .min(0)
        .max(DUPLICATE_WINDOW_MS - 1, {
          message: `must be below the duplicate detection window (${DUPLICATE_WINDOW_MS} ms)`,
        })
        .default(1_000),
      // Checks against crypt(3) hashes waiting or running per worker (SHA-crypt: ~16 ms
      // each here, so 256 wait at most ~4 s); beyond it a request is dropped, counted.
      cryptQueueLimit: positiveInt.max(100_000).default(256),
    })
    .prefault({}),
  coa: z
    .strictObject({
      port: port.default(3799),
      timeoutMs: positiveInt.default(3_000),
      retries: z.int().min(0).max(10).default(2),
      // A NAS takes CoA only from its configured RADIUS clients' addresses: the source
      // of the CoA sockets, at most one per family (none: the kernel picks by route).
      sourceAddress: z.preprocess(
        (value) => (typeof value === 'string' ? [value] : value),
        z
          .array(ipAddress)
          .refine(
            (list) =>
              list.filter((value) => isIPv4(value)).length <= 1 && list.filter((value) => isIPv6(value)).length <= 1,
            {
              message: 'at most one IPv4 and one IPv6 address',
            },
          )
          .default([]),
      ),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: ipAddress.default('127.0.0.1'),
      port: port.default(9812),
    })
    .prefault({}),
  auth: z
    .strictObject({
      methods: z
        .array(z.enum(AUTH_METHODS))
        .min(1)
        .default([...AUTH_METHODS]),
    })
    .prefault({}),
  policy: z
    .strictObject({
      suspended: z.enum(SUSPENDED_POLICIES).default('reject'),
      captiveProfile: z.string().min(1).default('captive'),
    })
    .prefault({}),
  sessions: z
    .strictObject({
      staleFactor: z.number().min(1).max(100).default(2.5),
      defaultInterimInterval: positiveInt.default(300),
      sweepIntervalSeconds: positiveInt.default(60),
      // Simultaneous-Use while the spool cannot count sessions (spool.db down, owner
      // restarting): true accepts the login, false rejects it (README, Spool down).
      simultaneousUseFailOpen: z.boolean().default(true),
    })
    .prefault({}),
  spool: z
    .strictObject({
      maxBatch: positiveInt.max(10_000).default(1_000),
      maxDelayMs: z.int().min(0).max(1_000).default(0),
      retentionHours: positiveInt.default(168),
      backlogWarnMegabytes: positiveInt.default(1_024),
    })
    .prefault({}),
  replica: z
    .strictObject({
      pollIntervalMs: z.int().min(50).default(1_000),
    })
    .prefault({}),
});

type FileConfig = z.output<typeof fileSchema>;

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type ApplianceConfig = DeepReadonly<
  Omit<FileConfig, 'keyFile' | 'threads' | 'user' | 'group'> & {
    /** Absolute path of the config file read, or null when none was given. */
    configFile: string | null;
    /** Absolute. */
    dataDir: string;
    replicaPath: string;
    spoolPath: string;
    keyFile: string;
    threads: number;
    user: string | null;
    group: string | null;
  }
>;

// Environment variables: fixed names, each mapped onto one config path.
const ENV_OVERRIDES: ReadonlyArray<{ name: string; path: readonly string[]; parse: (raw: string) => unknown }> = [
  { name: 'APPLIANCE_DATA_DIR', path: ['dataDir'], parse: (raw) => raw },
  { name: 'APPLIANCE_LOG_LEVEL', path: ['logLevel'], parse: (raw) => raw },
  { name: 'APPLIANCE_THREADS', path: ['threads'], parse: parseInteger },
  { name: 'RADIUS_BIND', path: ['radius', 'bind'], parse: parseList },
  { name: 'RADIUS_AUTH_PORT', path: ['radius', 'authPort'], parse: parseInteger },
  { name: 'RADIUS_ACCT_PORT', path: ['radius', 'acctPort'], parse: parseInteger },
  { name: 'RADIUS_COA_PORT', path: ['coa', 'port'], parse: parseInteger },
  { name: 'APPLIANCE_HTTP_PORT', path: ['http', 'port'], parse: parseInteger },
];

function parseInteger(raw: string): unknown {
  // Anything but plain digits stays a string so the schema reports it as such.
  return /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
}

function parseList(raw: string): unknown {
  return raw
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type LoadConfigOptions = {
  /** `--config FILE` from the command line; falls back to APPLIANCE_CONFIG. */
  configPath?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
};

export function loadConfig(options: LoadConfigOptions = {}): ApplianceConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configPathRaw = options.configPath ?? nonEmpty(env.APPLIANCE_CONFIG);
  const configFile = configPathRaw === undefined ? null : resolve(cwd, configPathRaw);

  const raw = configFile === null ? {} : readConfigFile(configFile);
  // Relative paths in the file are relative to the file; in the environment, to cwd.
  const fileBase = configFile === null ? cwd : dirname(configFile);
  const pathBases = new Map<string, string>([['dataDir', fileBase]]);

  for (const override of ENV_OVERRIDES) {
    const value = nonEmpty(env[override.name]);
    if (value === undefined) continue;
    setPath(raw, override.path, override.parse(value));
    if (override.name === 'APPLIANCE_DATA_DIR') pathBases.set('dataDir', cwd);
  }

  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const where = describeSources(
      parsed.error.issues.map((issue) => issue.path.map(String)),
      configFile,
    );
    throw new ConfigError(`invalid appliance configuration (${where}):\n${z.prettifyError(parsed.error)}`);
  }
  const file = parsed.data;

  if (file.group !== undefined && file.user === undefined) {
    throw new ConfigError('invalid appliance configuration: "group" needs "user" (the privilege drop changes both)');
  }
  const ports = [file.radius.authPort, file.radius.acctPort].filter((value) => value !== 0);
  if (new Set(ports).size !== ports.length) {
    throw new ConfigError('invalid appliance configuration: radius.authPort and radius.acctPort must differ');
  }

  const dataDir = resolve(pathBases.get('dataDir') ?? cwd, file.dataDir);
  const config = {
    ...file,
    configFile,
    dataDir,
    replicaPath: join(dataDir, 'replica.db'),
    spoolPath: join(dataDir, 'spool.db'),
    keyFile: file.keyFile === undefined ? join(dataDir, 'replica.key') : resolve(fileBase, file.keyFile),
    threads: file.threads ?? availableParallelism(),
    user: file.user ?? null,
    group: file.group ?? null,
    radius: {
      ...file.radius,
      dictionaries: file.radius.dictionaries.map((path) => (isAbsolute(path) ? path : resolve(fileBase, path))),
    },
  };
  return deepFreeze(config);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`config file ${path} must contain a JSON object`);
  }
  return value as Record<string, unknown>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

// Names the sources of the failing paths so an operator knows where to look.
function describeSources(paths: string[][], configFile: string | null): string {
  const sources = new Set<string>();
  for (const path of paths) {
    const joined = path.join('.');
    const fromEnv = ENV_OVERRIDES.find((override) => override.path.join('.') === joined);
    if (fromEnv !== undefined) sources.add(`env ${fromEnv.name} or ${configFile ?? 'defaults'}`);
    else sources.add(configFile ?? 'defaults');
  }
  return [...sources].join('; ');
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}
