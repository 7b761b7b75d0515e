// A worker thread that dies is restarted by the supervisor, and the duplicate cache
// (shared memory owned by the main thread) still answers retransmits of requests the
// dead worker handled. The dead worker's spool port is closed, not leaked.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PacketCode } from '../../../appliance/radius/index.ts';
import { metricValue, openNasSocket, SECRET, startTestAppliance } from './helpers.ts';
import type { NasClientSocket, TestAppliance } from './helpers.ts';

let server: TestAppliance;
let nas: NasClientSocket;
// Every spool port the RADIUS server took, and whether it closed it.
const leases: Array<{ closed: boolean }> = [];

beforeAll(async () => {
  server = await startTestAppliance({
    threads: 1,
    wrapContext: (context) => ({
      ...context,
      createSpoolPort() {
        const lease = context.createSpoolPort();
        const record = { closed: false };
        leases.push(record);
        return {
          port: lease.port,
          close() {
            record.closed = true;
            lease.close();
          },
        };
      },
    }),
    seed: async (replica) => void (await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET })),
  });
  nas = await openNasSocket();
});

afterAll(async () => {
  nas.close();
  await server.stop();
  // Shutdown closes the survivor's port too.
  expect(leases.every((lease) => lease.closed)).toBe(true);
});

it('restarts a killed worker, reports it, and serves the old worker’s cached reply to a retransmit', async () => {
  const { acct } = server.radius.ports;
  const spool = server.appliance.context.spool;
  const first = await nas.request(acct, PacketCode.accountingRequest, [
    { attribute: 'Acct-Status-Type', value: 'Start' },
    { attribute: 'Acct-Session-Id', value: 'restart-1' },
    { attribute: 'User-Name', value: 'erin' },
  ]);
  expect(first?.reply.code).toBe(PacketCode.accountingResponse);
  const appended = spool.stats().appended;
  const threadBefore = server.radius.workers()[0]?.threadId;

  await server.radius.terminateWorker(0);
  const down = await server.health();
  expect(down.status).toBe(503);
  expect(down.body.radius).toMatchObject({ healthy: false, workersAlive: 0 });
  for (let waited = 0; !server.radius.workers()[0]?.alive && waited < 30_000; waited += 50) await sleep(50);
  const worker = server.radius.workers()[0];
  expect(worker?.alive).toBe(true);
  expect(worker?.threadId).not.toBe(threadBefore);
  expect(worker?.restarts).toBe(1);
  // The dead thread's spool port was closed when it exited; the new thread has its own.
  expect(leases).toEqual([{ closed: true }, { closed: false }]);

  // With one thread the retransmit necessarily reaches the new worker.
  const again = await nas.exchange(first!.sent, acct);
  expect(again).toEqual(first!.raw);
  expect(spool.stats().appended).toBe(appended);
  const metrics = await server.metrics();
  expect(metricValue(metrics, 'appliance_radius_worker_restarts_total')).toBe(1);
  expect(metricValue(metrics, 'appliance_radius_duplicates_total{outcome="cached"}')).toBe(1);
  // Counters of the dead worker are kept: the first Start is still counted.
  expect(metricValue(metrics, 'appliance_radius_accounting_responses_total{status="start"}')).toBe(1);
  expect((await server.health()).status).toBe(200);
});

it('closes the spool end of a released port', async () => {
  const lease = server.appliance.context.createSpoolPort();
  const closed = new Promise<void>((resolve) => lease.port.once('close', resolve));
  lease.close();
  await closed;
  // Closing twice is harmless.
  lease.close();
});
