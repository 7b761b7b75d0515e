// The appliance command line (fixed: operators and scripts rely on it).
//
//   node appliance/cli.ts start  [--config FILE]
//   node appliance/cli.ts import [--config FILE] [--clients FILE] [--users FILE] [--sql FILE] [--json FILE]
//                                [--replace] [--skip-unsupported] [--dry-run]
//
// Exit status: 0 success, 1 runtime failure, 2 bad usage, configuration or input.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { formatProblem, ImportError, importIntoReplica } from './import/index.ts';
import { createLogger } from './log.ts';
import { startAppliance } from './main.ts';
import { startRadiusServer } from './radius/server/index.ts';
import { openReplica } from './replica/index.ts';

const USAGE = `usage:
  appliance start  [--config FILE]
  appliance import [--config FILE] [--clients FILE] [--users FILE] [--sql FILE] [--json FILE]
                   [--replace] [--skip-unsupported] [--dry-run]

import loads FreeRADIUS clients.conf / users files, SQL dumps of radcheck/radreply
(mysqldump or pg_dump) and the JSON format into the local replica, in one transaction.
  --replace            remove NAS clients, profiles and subscribers not in the import
  --skip-unsupported   import users whose unsupported check items would be errors
  --dry-run            check the files, write nothing
Configuration: appliance/README.md (config file keys and environment variables).`;

export type CliIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
};

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

class UsageError extends Error {
  override name = 'UsageError';
}

async function runImport(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      clients: { type: 'string' },
      users: { type: 'string' },
      sql: { type: 'string' },
      json: { type: 'string' },
      replace: { type: 'boolean', default: false },
      'skip-unsupported': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0] ?? ''}`);
  const sources = { clients: values.clients, users: values.users, sql: values.sql, json: values.json };
  if (Object.values(sources).every((value) => value === undefined))
    throw new UsageError('import needs at least one of --clients, --users, --sql, --json');

  const config = loadConfig({ configPath: values.config });
  const log = createLogger({ level: 'warn', sink: (line) => io.stderr(line + '\n') });
  const replica = await openReplica({
    path: config.replicaPath,
    keyFile: config.keyFile,
    log,
    defaults: { suspendedPolicy: config.policy.suspended, captiveProfile: config.policy.captiveProfile },
    pollIntervalMs: 0,
    authMethods: config.auth.methods,
  });
  try {
    const report = await importIntoReplica(replica, sources, {
      replace: values.replace,
      skipUnsupported: values['skip-unsupported'],
      dryRun: values['dry-run'],
    });
    for (const warning of report.warnings) io.stderr(`warning: ${formatProblem(warning)}\n`);
    for (const note of report.notes) io.stderr(`note: ${formatProblem(note)}\n`);
    const { nasClients, profiles, subscribers } = report.counts;
    const what = `${nasClients} NAS clients, ${profiles} profiles, ${subscribers} subscribers`;
    io.stdout(
      report.written
        ? `imported ${what} into ${config.replicaPath} (revision ${report.revision})\n`
        : `checked ${what}; nothing written\n`,
    );
    return 0;
  } finally {
    replica.close();
  }
}

async function runStart(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0] ?? ''}`);
  const config = loadConfig({ configPath: values.config });
  const log = createLogger({ level: config.logLevel, bindings: { service: 'isp-appliance', pid: process.pid } });
  let appliance;
  try {
    appliance = await startAppliance(config, log, {
      attachListeners: async (context) => [await startRadiusServer(context)],
    });
  } catch (error) {
    log.error('appliance failed to start', { error });
    io.stderr(`appliance failed to start: ${(error as Error).message}\n`);
    return 1;
  }
  return (await appliance.stopped) ? 0 : 1;
}

export async function runCli(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'start':
        return await runStart(rest, io);
      case 'import':
        return await runImport(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE + '\n');
        return 0;
      default:
        throw new UsageError(command === undefined ? 'missing command' : `unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof ImportError) {
      for (const problem of error.problems) io.stderr(`error: ${formatProblem(problem)}\n`);
      io.stderr('nothing was imported\n');
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    io.stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await runCli(process.argv.slice(2));
