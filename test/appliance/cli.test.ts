import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../appliance/log.ts';
import { openReplicaReader } from '../../appliance/replica/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'appliance', 'cli.ts');
const FREERADIUS = join(import.meta.dirname, 'fixtures', 'freeradius');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'appliance-cli-'));
  // World-traversable, so the privilege-drop test's unprivileged user reaches the data dir.
  chmodSync(dir, 0o755);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Result = { code: number | null; stdout: string; stderr: string };

function run(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, APPLIANCE_DATA_DIR: join(dir, 'data'), ...env },
      cwd: dir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

type Daemon = {
  pid: number;
  port: number;
  logs: Array<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/** Starts `appliance start` and waits for its HTTP port in the logs. */
function startDaemon(args: string[] = [], env: Record<string, string> = {}): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'start', ...args], {
      env: { ...process.env, APPLIANCE_DATA_DIR: join(dir, 'data'), APPLIANCE_HTTP_PORT: '0', ...env },
      cwd: dir,
    });
    const logs: Array<Record<string, unknown>> = [];
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'appliance started') {
        const listening = logs.find((log) => log.msg === 'http listening');
        resolve({
          pid: child.pid ?? 0,
          port: Number(listening?.port),
          logs,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`appliance exited (${String(code)}) before starting: ${stderr}`)));
  });
}

describe('appliance import', () => {
  it('loads clients.conf and users into the replica under APPLIANCE_DATA_DIR', async () => {
    const result = await run([
      'import',
      '--clients',
      join(FREERADIUS, 'clients.conf'),
      '--users',
      join(FREERADIUS, 'users'),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `imported 6 NAS clients, 4 profiles, 10 subscribers into ${join(dir, 'data', 'replica.db')} (revision 1)\n`,
    );
    expect(result.stderr).toContain('users:74: DEFAULT entry not imported');

    const replica = await openReplicaReader({
      path: join(dir, 'data', 'replica.db'),
      keyFile: join(dir, 'data', 'replica.key'),
      log: createSilentLogger(),
      defaults: { suspendedPolicy: 'reject', captiveProfile: 'captive' },
      pollIntervalMs: 0,
    });
    expect(replica.findClientByAddress('198.51.100.9')?.name).toBe('asr-fleet');
    expect(replica.findSubscriberByUsername('alice')?.credentials.cleartext).toBe('alice-pppoe-pw');
    replica.close();
  });

  it('also takes --sql and --json, and --dry-run writes nothing', async () => {
    const dry = await run([
      'import',
      '--sql',
      join(FREERADIUS, 'radius-mysql.sql'),
      '--json',
      join(import.meta.dirname, 'fixtures', 'import.json'),
      '--dry-run',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('checked 3 NAS clients, 5 profiles, 8 subscribers; nothing written\n');
    expect(existsSync(join(dir, 'data', 'replica.db'))).toBe(true);
    const real = await run([
      'import',
      '--sql',
      join(FREERADIUS, 'radius-mysql.sql'),
      '--json',
      join(import.meta.dirname, 'fixtures', 'import.json'),
    ]);
    expect(real.stdout).toMatch(/\(revision 1\)/);
  });

  it('reports bad input as file:line, exits 2 and writes nothing', async () => {
    await run(['import', '--users', join(FREERADIUS, 'users')]);
    const bad = join(dir, 'users.bad');
    writeFileSync(
      bad,
      'zoe Cleartext-Password := "z"\n\tFramed-IP-Address = 10.0.0.1\n\tSession-Timeout = 60\nyann ' +
        'Cleartext-Password := "y", Expiration := "Jan 01 2030"\n',
    );
    const result = await run(['import', '--users', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: ${bad}:3: reply item outside an entry (is the comma missing at the end of the previous line?)\n` +
        `error: ${bad}:4: check item Expiration := Jan 01 2030 is not supported: the appliance has no rule engine ` +
        `and would not enforce it; remove it or import with --skip-unsupported\n` +
        'nothing was imported\n',
    );
    const again = await run(['import', '--users', join(FREERADIUS, 'users'), '--dry-run']);
    expect(again.code).toBe(0);
    const replica = await openReplicaReader({
      path: join(dir, 'data', 'replica.db'),
      keyFile: join(dir, 'data', 'replica.key'),
      log: createSilentLogger(),
      defaults: { suspendedPolicy: 'reject', captiveProfile: 'captive' },
      pollIntervalMs: 0,
    });
    expect(replica.revision).toBe(1);
    expect(replica.findSubscriberByUsername('zoe')).toBeUndefined();
    replica.close();
  });

  it('explains usage and configuration mistakes with exit status 2', async () => {
    expect((await run(['import'])).stderr).toMatch(/needs at least one of --clients/);
    expect((await run(['import', '--bogus', 'x'])).code).toBe(2);
    expect((await run(['frobnicate'])).stderr).toMatch(/unknown command frobnicate/);
    const badPort = await run(['import', '--users', join(FREERADIUS, 'users')], { RADIUS_AUTH_PORT: 'eighteen' });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/env RADIUS_AUTH_PORT/);
    expect((await run(['help'])).stdout).toMatch(/^usage:/);
  });
});

describe('appliance start', () => {
  it('serves /health and /metrics on 127.0.0.1, refuses a second instance, and stops cleanly on SIGTERM', async () => {
    await run(['import', '--users', join(FREERADIUS, 'users')]);
    const daemon = await startDaemon();
    const health = await fetch(`http://127.0.0.1:${daemon.port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', healthy: true, replicaRevision: 1, spoolDepth: 0 });
    const metrics = await (await fetch(`http://127.0.0.1:${daemon.port}/metrics`)).text();
    expect(metrics).toContain('# TYPE appliance_spool_depth gauge\nappliance_spool_depth 0\n');
    expect(metrics).toContain('appliance_replica_revision 1\n');
    expect(metrics).toContain('appliance_replica_rows{kind="subscriber"} 10\n');
    expect((await fetch(`http://127.0.0.1:${daemon.port}/nope`)).status).toBe(404);
    expect(daemon.logs.find((log) => log.msg === 'http listening')?.host).toBe('127.0.0.1');
    expect(readFileSync(join(dir, 'data', 'appliance.pid'), 'utf8').trim()).toBe(String(daemon.pid));

    const second = await run(['start'], { APPLIANCE_HTTP_PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`another appliance \\(pid ${daemon.pid}\\)`));

    // An import while the daemon runs reaches it without a restart (replica polling).
    writeFileSync(
      join(dir, 'more.json'),
      JSON.stringify({ subscribers: [{ username: 'late-joiner', password: 'x' }] }),
    );
    expect((await run(['import', '--json', join(dir, 'more.json')])).code).toBe(0);
    await expect
      .poll(
        async () =>
          (await (await fetch(`http://127.0.0.1:${daemon.port}/health`)).json()) as { replicaRevision: number },
        { timeout: 30_000 },
      )
      .toMatchObject({ replicaRevision: 2 });

    expect(await daemon.stop()).toBe(0);
    expect(daemon.logs.map((log) => log.msg)).toContain('appliance stopped');
    expect(daemon.logs.map((log) => log.msg)).toContain('spool closed');
    expect(existsSync(join(dir, 'data', 'appliance.pid'))).toBe(false);
  });

  it('reads a config file given with --config, with env overriding it', async () => {
    const config = join(dir, 'appliance.json');
    // dataDir relative to the config file; http.port overridden by APPLIANCE_HTTP_PORT=0.
    writeFileSync(
      config,
      JSON.stringify({ dataDir: 'from-config', logLevel: 'debug', http: { port: 1 }, spool: { maxBatch: 50 } }),
    );
    const daemon = await startDaemon(['--config', config], { APPLIANCE_DATA_DIR: '' });
    expect(daemon.logs.map((log) => log.level)).toContain('debug');
    expect(daemon.logs.find((log) => log.msg === 'starting appliance')?.configFile).toBe(config);
    expect(daemon.port).not.toBe(1);
    expect(existsSync(join(dir, 'from-config', 'spool.db'))).toBe(true);
    expect(await daemon.stop('SIGINT')).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'drops root to the configured user before binding, so its sockets belong to that user',
    async () => {
      const nobody = readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((line) => line.startsWith('nobody:'))
        ?.split(':');
      const config = join(dir, 'appliance.json');
      writeFileSync(config, JSON.stringify({ user: 'nobody' }));
      const daemon = await startDaemon(['--config', config]);
      const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(nobody?.[2]);
      // A socket is owned by the uid that created it: root's if the switch came after binding.
      const port = daemon.port.toString(16).toUpperCase().padStart(4, '0');
      const listener = readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .find((fields) => fields[1] === `0100007F:${port}` && fields[3] === '0A');
      expect(listener?.[7]).toBe(nobody?.[2]);
      expect((await fetch(`http://127.0.0.1:${daemon.port}/health`)).status).toBe(200);
      expect(await daemon.stop()).toBe(0);
      expect(existsSync(join(dir, 'data', 'appliance.pid'))).toBe(false);
    },
  );
});
