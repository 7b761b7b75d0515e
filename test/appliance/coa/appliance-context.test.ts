// The CoA client as the daemon composes it (main.ts): on the ApplianceContext for
// listeners such as the edge sync, configured from the config, closed in order.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../appliance/config.ts';
import { createSilentLogger } from '../../../appliance/log.ts';
import { startAppliance } from '../../../appliance/main.ts';
import type { ApplianceContext, RunningAppliance } from '../../../appliance/main.ts';
import type { CoaResult } from '../../../appliance/radius/coa/index.ts';
import { ack, startNasSimulator } from './nas-simulator.ts';
import type { NasSimulator } from './nas-simulator.ts';

const SECRET = Buffer.from('context-secret');

let dir: string;
let nas: NasSimulator;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coa-context-'));
  nas = await startNasSimulator(SECRET, (request) => [ack(request, SECRET)]);
});

afterEach(async () => {
  await nas.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(
  coa: Record<string, unknown>,
  listener?: (context: ApplianceContext) => void,
): Promise<RunningAppliance> {
  const configPath = join(dir, 'appliance.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      dataDir: 'data',
      http: { port: 0 },
      threads: 1,
      logLevel: 'silent',
      coa: { port: nas.port, ...coa },
    }),
  );
  const appliance = await startAppliance(loadConfig({ configPath, env: {} }), createSilentLogger(), {
    handleSignals: false,
    attachListeners: (context) => {
      listener?.(context);
      return Promise.resolve([]);
    },
  });
  await appliance.context.replica.applyChanges([
    {
      op: 'upsert-nas-client',
      value: { id: 'nas-1', address: '127.0.0.1', secret: SECRET.toString(), vendor: 'mikrotik' },
    },
  ]);
  return appliance;
}

describe('the CoA client on the ApplianceContext', () => {
  it('is handed to listeners and sends with the configured port', async () => {
    let seen: ApplianceContext | undefined;
    const appliance = await start({}, (context) => (seen = context));
    try {
      expect(seen?.coa).toBe(appliance.context.coa);
      const result = await appliance.context.coa.disconnect({ nasId: 'nas-1', session: { acctSessionId: 'x-1' } });
      expect(result).toMatchObject({ status: 'ack', port: nas.port });
      expect(nas.received).toHaveLength(1);
    } finally {
      await appliance.stop('test');
    }
  });

  it('sends from coa.sourceAddress (a NAS takes CoA only from its configured clients)', async () => {
    const appliance = await start({ sourceAddress: ['127.0.0.2', '::1'] });
    try {
      expect(
        await appliance.context.coa.disconnect({ nasId: 'nas-1', session: { acctSessionId: 'x-3' } }),
      ).toMatchObject({ status: 'ack' });
      expect(nas.received[0]?.from.address).toBe('127.0.0.2');
    } finally {
      await appliance.stop('test');
    }
  });

  it('answers a command in flight with "closed" on a clean shutdown, and refuses new ones', async () => {
    nas.behaviour = () => [];
    const appliance = await start({ timeoutMs: 600_000 });
    const pending: Promise<CoaResult> = appliance.context.coa.disconnect({
      nasId: 'nas-1',
      session: { acctSessionId: 'x-2' },
    });
    // Bounded wait until the request is on the wire (the NAS stays silent).
    for (let turn = 0; turn < 6_000 && nas.received.length === 0; turn++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(nas.received).toHaveLength(1);
    await appliance.stop('test');
    expect(await appliance.stopped).toBe(true);
    expect(await pending).toMatchObject({ status: 'error', reason: 'closed' });
    expect(await appliance.context.coa.disconnect({ nasId: 'nas-1', session: { acctSessionId: 'x-2' } })).toMatchObject(
      { status: 'error', reason: 'closed' },
    );
  });
});
