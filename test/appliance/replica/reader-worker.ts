// Runs in a worker thread for threads.test.ts: a RADIUS-worker-shaped replica reader
// that answers lookups from its own in-memory index.
import { parentPort, workerData } from 'node:worker_threads';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openReplicaReader } from '../../../appliance/replica/index.ts';

type Options = { path: string; keyFile: string };
type Request = { id: number; username: string } | { id: number; close: true };

const options = workerData as Options;
const replica = await openReplicaReader({
  path: options.path,
  keyFile: options.keyFile,
  log: createSilentLogger(),
  defaults: { suspendedPolicy: 'reject', captiveProfile: 'captive' },
  pollIntervalMs: 0,
});
parentPort?.on('message', (request: Request) => {
  if ('close' in request) {
    replica.close();
    parentPort?.close();
    return;
  }
  const subscriber = replica.findSubscriberByUsername(request.username);
  parentPort?.postMessage({
    id: request.id,
    found: subscriber !== undefined,
    status: subscriber?.status ?? null,
    revision: replica.revision,
  });
});
parentPort?.postMessage({ ready: true, revision: replica.revision });
