// Our appliance as the system under test: the bench users imported through its CLI
// (`appliance import --clients F --users F`, the same files FreeRADIUS reads), then
// `appliance start` on 127.0.0.1 with non-privileged ports, one process (its worker
// threads are threads of that process, so /proc/<pid>/stat covers them).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { stopChild } from './freeradius.ts';

const CLI = resolve(import.meta.dirname, '../../appliance/cli.ts');

export interface ApplianceOptions {
  readonly dataDir: string;
  readonly authPort: number;
  readonly acctPort: number;
  readonly httpPort: number;
  /** APPLIANCE_THREADS; undefined: the appliance's default (all cores). */
  readonly threads?: number;
}

function applianceEnv(options: ApplianceOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    APPLIANCE_DATA_DIR: options.dataDir,
    RADIUS_BIND: '127.0.0.1',
    RADIUS_AUTH_PORT: String(options.authPort),
    RADIUS_ACCT_PORT: String(options.acctPort),
    // CoA is a client port on the NAS side, but keep it off the default anyway.
    RADIUS_COA_PORT: String(options.acctPort + 1),
    APPLIANCE_HTTP_PORT: String(options.httpPort),
    APPLIANCE_LOG_LEVEL: 'warn',
    ...(options.threads === undefined ? {} : { APPLIANCE_THREADS: String(options.threads) }),
  };
}

/** `node appliance/cli.ts import --clients F --users F`; throws with its output on failure. */
export function importIntoAppliance(options: ApplianceOptions, clientsConf: string, usersFile: string): string {
  const result = spawnSync(process.execPath, [CLI, 'import', '--clients', clientsConf, '--users', usersFile], {
    env: applianceEnv(options),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`appliance import failed (${result.status ?? result.signal}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout.trim();
}

export interface RunningAppliance {
  readonly pid: number;
  readonly process: ChildProcess;
  alive(): boolean;
  stop(): Promise<void>;
  log(): string;
}

export function startAppliance(options: ApplianceOptions): RunningAppliance {
  // BENCH_APPLIANCE_NODE_ARGS: extra node flags for the appliance only, e.g. profiling
  // (`--cpu-prof --cpu-prof-dir DIR`: one profile per thread), never the generator.
  const nodeArgs = (process.env.BENCH_APPLIANCE_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'start'], {
    env: applianceEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  if (child.pid === undefined) throw new Error('cannot start the appliance');
  return {
    pid: child.pid,
    process: child,
    alive: () => !exited,
    stop: () => stopChild(child, () => exited),
    log: () => output,
  };
}

export const applianceDataDir = (root: string): string => join(root, 'appliance-data');
