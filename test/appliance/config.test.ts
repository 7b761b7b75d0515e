import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../appliance/config.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'appliance-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(value: unknown): string {
  const path = join(dir, 'appliance.json');
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({ env: {}, cwd: '/srv/isp' });
    expect(config).toMatchObject({
      configFile: null,
      dataDir: '/srv/isp/data/appliance',
      replicaPath: '/srv/isp/data/appliance/replica.db',
      spoolPath: '/srv/isp/data/appliance/spool.db',
      keyFile: '/srv/isp/data/appliance/replica.key',
      logLevel: 'info',
      threads: availableParallelism(),
      user: null,
      group: null,
      radius: {
        bind: ['0.0.0.0', '::'],
        authPort: 1812,
        acctPort: 1813,
        requireMessageAuthenticator: true,
        dictionaries: [],
        rejectDelayMs: 1_000,
        cryptQueueLimit: 256,
      },
      coa: { port: 3799, timeoutMs: 3_000, retries: 2, sourceAddress: [] },
      http: { host: '127.0.0.1', port: 9812 },
      auth: { methods: ['pap', 'chap', 'mschapv2'] },
      policy: { suspended: 'reject', captiveProfile: 'captive' },
      sessions: { staleFactor: 2.5, defaultInterimInterval: 300 },
      spool: { maxBatch: 1_000, maxDelayMs: 0 },
    });
  });

  it('documents every setting in appliance/README.md', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'appliance', 'README.md'), 'utf8');
    const keys = (value: object, prefix = ''): string[] =>
      Object.entries(value).flatMap(([key, child]) =>
        child !== null && typeof child === 'object' && !Array.isArray(child)
          ? keys(child as object, `${prefix}${key}.`)
          : [`${prefix}${key}`],
      );
    const derived = new Set(['configFile', 'replicaPath', 'spoolPath']);
    for (const key of keys(loadConfig({ env: {} })).filter((key) => !derived.has(key)))
      expect(readme).toContain(`\`${key}\``);
    for (const name of [
      'APPLIANCE_DATA_DIR',
      'RADIUS_BIND',
      'RADIUS_AUTH_PORT',
      'RADIUS_ACCT_PORT',
      'RADIUS_COA_PORT',
      'APPLIANCE_HTTP_PORT',
      'APPLIANCE_LOG_LEVEL',
      'APPLIANCE_THREADS',
      'APPLIANCE_CONFIG',
    ]) {
      expect(readme).toContain(`\`${name}\``);
    }
  });

  it('reads the file, resolves its paths against it, and lets the environment win', () => {
    const path = writeConfig({
      dataDir: 'state',
      keyFile: '/etc/isp/replica.key',
      radius: { authPort: 11812, dictionaries: ['dict/local'] },
      http: { port: 19812 },
    });
    const config = loadConfig({
      configPath: path,
      env: { RADIUS_AUTH_PORT: '21812', RADIUS_BIND: '192.0.2.1, 2001:db8::1' },
      cwd: '/',
    });
    expect(config.configFile).toBe(path);
    expect(config.dataDir).toBe(join(dir, 'state'));
    expect(config.keyFile).toBe('/etc/isp/replica.key');
    expect(config.radius.authPort).toBe(21812);
    expect(config.radius.bind).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(config.radius.dictionaries).toEqual([join(dir, 'dict/local')]);
    expect(config.http.port).toBe(19812);
    const fromEnv = loadConfig({ configPath: path, env: { APPLIANCE_DATA_DIR: 'elsewhere' }, cwd: '/srv' });
    expect(fromEnv.dataDir).toBe('/srv/elsewhere');
    expect(loadConfig({ env: { APPLIANCE_CONFIG: path }, cwd: '/' }).radius.authPort).toBe(11812);
  });

  it('is frozen all the way down', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.radius)).toBe(true);
    expect(Object.isFrozen(config.radius.bind)).toBe(true);
  });

  it('takes coa.sourceAddress as one address or one per family', () => {
    expect(
      loadConfig({ configPath: writeConfig({ coa: { sourceAddress: '192.0.2.2' } }), env: {} }).coa.sourceAddress,
    ).toEqual(['192.0.2.2']);
    const both = loadConfig({
      configPath: writeConfig({ coa: { sourceAddress: ['192.0.2.2', '2001:db8::2'] } }),
      env: {},
    });
    expect(both.coa.sourceAddress).toEqual(['192.0.2.2', '2001:db8::2']);
    expect(() =>
      loadConfig({ configPath: writeConfig({ coa: { sourceAddress: ['192.0.2.2', '192.0.2.3'] } }), env: {} }),
    ).toThrow(/at most one IPv4 and one IPv6/);
    expect(() =>
      loadConfig({ configPath: writeConfig({ coa: { sourceAddress: 'bng.example.net' } }), env: {} }),
    ).toThrow(/IPv4 or IPv6 address/);
  });

  it('rejects bad values, naming their source', () => {
    expect(() => loadConfig({ env: { RADIUS_AUTH_PORT: 'x' } })).toThrow(/env RADIUS_AUTH_PORT/);
    expect(() => loadConfig({ env: { RADIUS_ACCT_PORT: '70000' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { RADIUS_BIND: 'localhost' } })).toThrow(/IPv4 or IPv6 address/);
    expect(() => loadConfig({ env: { RADIUS_AUTH_PORT: '1813' } })).toThrow(/must differ/);
    expect(() => loadConfig({ env: { APPLIANCE_LOG_LEVEL: 'loud' } })).toThrow(ConfigError);
    expect(() => loadConfig({ configPath: writeConfig({ radius: { authport: 1 } }), env: {} })).toThrow(
      /Unrecognized key: "authport"/,
    );
    expect(() => loadConfig({ configPath: writeConfig({ policy: { suspended: 'ignore' } }), env: {} })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ configPath: writeConfig({ group: 'isp' }), env: {} })).toThrow(/"group" needs "user"/);
    expect(() => loadConfig({ configPath: writeConfig('{ not json'), env: {} })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ configPath: join(dir, 'missing.json'), env: {} })).toThrow(/cannot read config file/);
  });

  it('keeps radius.rejectDelayMs below the duplicate window (issue 12 item 7)', () => {
    const below = loadConfig({ configPath: writeConfig({ radius: { rejectDelayMs: 4_999 } }), env: {} });
    expect(below.radius.rejectDelayMs).toBe(4_999);
    expect(() => loadConfig({ configPath: writeConfig({ radius: { rejectDelayMs: 5_000 } }), env: {} })).toThrow(
      /must be below the duplicate detection window \(5000 ms\)/,
    );
  });
});
