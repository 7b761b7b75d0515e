// A real appliance (worker threads, sockets, spool, replica) on 127.0.0.1 with
// ephemeral ports, and a UDP client that speaks to it with the protocol layer.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../../appliance/config.ts';
import type { ApplianceConfig } from '../../../appliance/config.ts';
import { createSilentLogger } from '../../../appliance/log.ts';
import { startAppliance } from '../../../appliance/main.ts';
import type { ApplianceContext, RunningAppliance } from '../../../appliance/main.ts';
import { buildRequest, decodePacket, loadDictionary, verifyReply } from '../../../appliance/radius/index.ts';
import type { AttributeInput, RadiusPacket } from '../../../appliance/radius/index.ts';
import { openReplica } from '../../../appliance/replica/index.ts';
import type { Replica } from '../../../appliance/replica/index.ts';
import { startRadiusServer } from '../../../appliance/radius/server/index.ts';
import type { RadiusServer } from '../../../appliance/radius/server/index.ts';

export const dictionary = loadDictionary();
export const SECRET = 'testing123';

export type TestAppliance = {
  appliance: RunningAppliance;
  radius: RadiusServer;
  dir: string;
  metrics(): Promise<string>;
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
};

export type TestApplianceOptions = {
  threads?: number;
  bind?: string[];
  env?: Record<string, string>;
  /** radius.rejectDelayMs; 0 unless given, so rejects do not slow the tests down. */
  rejectDelayMs?: number;
  /** What the RADIUS server gets instead of the appliance's own context (to observe it). */
  wrapContext?: (context: ApplianceContext) => ApplianceContext;
  /** Runs on the empty data dir before the appliance starts (e.g. to plant a broken spool.db). */
  prepare?: (dir: string) => void | Promise<void>;
  /** Changes the loaded configuration (keys the environment cannot set). */
  configure?: (config: ApplianceConfig) => ApplianceConfig;
  /**
   * Writes the replica before the appliance starts, so every RADIUS worker has it from its
   * first request. (A write after the start reaches the workers by a broadcast a few ms
   * later: waiting a fixed time for it races on a loaded machine.)
   */
  seed?: (replica: Replica) => Promise<void>;
};

export async function startTestAppliance(options: TestApplianceOptions = {}): Promise<TestAppliance> {
  const dir = mkdtempSync(join(tmpdir(), 'radius-server-'));
  const loaded = loadConfig({
    env: {
      APPLIANCE_DATA_DIR: dir,
      RADIUS_BIND: (options.bind ?? ['127.0.0.1']).join(','),
      RADIUS_AUTH_PORT: '0',
      RADIUS_ACCT_PORT: '0',
      APPLIANCE_HTTP_PORT: '0',
      APPLIANCE_THREADS: String(options.threads ?? 2),
      APPLIANCE_LOG_LEVEL: 'silent',
      ...options.env,
    },
  });
  const radiusConfig = { ...loaded.radius, rejectDelayMs: options.rejectDelayMs ?? 0 };
  const defaults: ApplianceConfig = { ...loaded, radius: radiusConfig };
  const config = options.configure?.(defaults) ?? defaults;
  await options.prepare?.(dir);
  if (options.seed !== undefined) {
    const replica = await openReplica({
      path: config.replicaPath,
      keyFile: config.keyFile,
      log: createSilentLogger(),
      defaults: { suspendedPolicy: config.policy.suspended, captiveProfile: config.policy.captiveProfile },
      pollIntervalMs: 0,
      authMethods: config.auth.methods,
    });
    try {
      await options.seed(replica);
    } finally {
      replica.close();
    }
  }
  let radius: RadiusServer | undefined;
  const appliance = await startAppliance(config, createSilentLogger(), {
    handleSignals: false,
    attachListeners: async (context) => {
      radius = await startRadiusServer(options.wrapContext?.(context) ?? context);
      return [radius];
    },
  });
  if (radius === undefined) throw new Error('radius server not attached');
  const base = `http://127.0.0.1:${appliance.httpPort}`;
  return {
    appliance,
    radius,
    dir,
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    health: async () => {
      const response = await fetch(`${base}/health`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async stop() {
      await appliance.stop('test');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The value of one sample line in Prometheus text, 0 when absent. */
export function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

export type NasClientSocket = {
  socket: Socket;
  /** Sends raw bytes; resolves with the reply bytes, or null after `timeoutMs`. */
  exchange(datagram: Buffer, port: number, timeoutMs?: number): Promise<Buffer | null>;
  /** Builds, sends, verifies and decodes. */
  request(
    port: number,
    code: number,
    attributes: AttributeInput[],
    options?: { messageAuthenticator?: boolean; identifier?: number; secret?: string; timeoutMs?: number },
  ): Promise<{ sent: Buffer; raw: Buffer; reply: RadiusPacket } | null>;
  close(): void;
};

let nextIdentifier = 0;

export async function openNasSocket(address = '127.0.0.1', target = address): Promise<NasClientSocket> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const waiting: Array<(reply: Buffer) => void> = [];
  socket.on('message', (message) => waiting.shift()?.(message));
  const exchange = (datagram: Buffer, port: number, timeoutMs = 2_000) =>
    new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(deliver), 1);
        resolve(null);
      }, timeoutMs);
      const deliver = (reply: Buffer) => {
        clearTimeout(timer);
        resolve(reply);
      };
      waiting.push(deliver);
      socket.send(datagram, port, target);
    });
  return {
    socket,
    exchange,
    async request(port, code, attributes, options = {}) {
      const secret = Buffer.from(options.secret ?? SECRET);
      const sent = buildRequest(
        {
          code,
          identifier: options.identifier ?? nextIdentifier++ & 0xff,
          attributes,
          secret,
          messageAuthenticator: options.messageAuthenticator,
        },
        dictionary,
      );
      const raw = await exchange(
        sent,
        port,
        options.timeoutMs ?? (options.messageAuthenticator === false ? 1_000 : 2_000),
      );
      if (raw === null) return null;
      const reply = decodePacket(raw, dictionary);
      const verified = verifyReply(reply, sent.subarray(4, 20), secret, { requireMessageAuthenticator: false });
      if (verified !== 'ok') throw new Error(`reply failed verification: ${verified}`);
      return { sent, raw, reply };
    },
    close: () => socket.close(),
  };
}

/** A temp data dir whose replica knows 127.0.0.1 as a NAS with SECRET: for spawnAppliance(). */
export async function prepareApplianceDir(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const replica = await openReplica({
    path: join(dir, 'replica.db'),
    keyFile: join(dir, 'replica.key'),
    log: createSilentLogger(),
    defaults: { suspendedPolicy: 'reject', captiveProfile: 'captive' },
    pollIntervalMs: 0,
    authMethods: ['pap'],
  });
  await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET });
  replica.close();
  return dir;
}

export type ApplianceProcess = {
  child: ChildProcess;
  auth: number;
  acct: number;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
};

/**
 * A real `appliance start` (durability-child.ts runs the command line) on `dataDir`,
 * 127.0.0.1, ephemeral ports, 2 threads; resolves once RADIUS listens.
 */
export function spawnAppliance(dataDir: string, env: Record<string, string> = {}): Promise<ApplianceProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'durability-child.ts')], {
    env: {
      ...process.env,
      APPLIANCE_DATA_DIR: dataDir,
      RADIUS_BIND: '127.0.0.1',
      RADIUS_AUTH_PORT: '0',
      RADIUS_ACCT_PORT: '0',
      APPLIANCE_HTTP_PORT: '0',
      APPLIANCE_THREADS: '2',
      APPLIANCE_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((code) => reject(new Error(`appliance exited (${String(code)}) before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'radius listening')
        resolve({ child, auth: Number(entry.authPort), acct: Number(entry.acctPort), logs, exited });
    });
  });
}
