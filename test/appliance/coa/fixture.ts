// A real replica and spool in a temporary directory, and a CoA client over them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger } from '../../../appliance/log.ts';
import { createMetricsRegistry } from '../../../appliance/metrics.ts';
import type { MetricsRegistry } from '../../../appliance/metrics.ts';
import { createCoaClient } from '../../../appliance/radius/coa/index.ts';
import type { CoaClient } from '../../../appliance/radius/coa/index.ts';
import { openReplica } from '../../../appliance/replica/index.ts';
import type { NasClientInput, Replica } from '../../../appliance/replica/index.ts';
import { openSpool } from '../../../appliance/spool/index.ts';
import type { Spool } from '../../../appliance/spool/index.ts';

export type CoaFixture = {
  replica: Replica;
  spool: Spool;
  metrics: MetricsRegistry;
  client: CoaClient;
  /** The value of one sample in /metrics text, or 0 when absent. */
  metric(series: string): number;
  /**
   * Replaces the client (and its metrics) with one waiting `timeoutMs` per attempt.
   * The default is long enough that a loaded machine never retransmits by accident.
   */
  setTimeoutMs(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
};

export async function openCoaFixture(options: {
  nasClients: NasClientInput[];
  port: number;
  timeoutMs?: number;
  retries?: number;
}): Promise<CoaFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'coa-test-'));
  const log = createSilentLogger();
  const replica = await openReplica({
    path: join(dir, 'replica.db'),
    keyFile: join(dir, 'replica.key'),
    log,
    defaults: { suspendedPolicy: 'reject', captiveProfile: 'captive' },
    pollIntervalMs: 0,
    authMethods: ['pap'],
  });
  await replica.applyChanges(options.nasClients.map((value) => ({ op: 'upsert-nas-client' as const, value })));
  const spool = await openSpool({
    path: join(dir, 'spool.db'),
    log,
    maxBatch: 1_000,
    maxDelayMs: 0,
    staleFactor: 2.5,
    defaultInterimInterval: 300,
  });
  const createClient = (timeoutMs: number) => {
    const metrics = createMetricsRegistry();
    const client = createCoaClient({
      replica,
      spool,
      config: { coa: { port: options.port, timeoutMs, retries: options.retries ?? 2 }, radius: { dictionaries: [] } },
      log,
      metrics,
      bind: { ipv4: '127.0.0.1' },
    });
    return { metrics, client };
  };
  const fixture: CoaFixture = {
    replica,
    spool,
    ...createClient(options.timeoutMs ?? 2_000),
    metric(series) {
      const line = fixture.metrics
        .render()
        .split('\n')
        .find((candidate) => candidate.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    },
    async setTimeoutMs(timeoutMs) {
      await fixture.client.close();
      Object.assign(fixture, createClient(timeoutMs));
    },
    async close() {
      await fixture.client.close();
      await spool.close();
      replica.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
