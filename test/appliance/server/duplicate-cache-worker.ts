// Worker thread for duplicate-cache.test.ts: claims and completes one request in the
// shared table as worker `owner`, or claims and leaves it in progress.
import { parentPort, workerData } from 'node:worker_threads';
import { openDuplicateCache } from '../../../appliance/radius/server/duplicate-cache.ts';

const { buffer, owner, datagram, reply, now, finish } = workerData as {
  buffer: SharedArrayBuffer;
  owner: number;
  datagram: Uint8Array;
  reply: Uint8Array;
  now: number;
  finish: boolean;
};
const cache = openDuplicateCache(buffer, owner);
const claim = cache.begin(datagram, '192.0.2.7', 40_000, now);
if (typeof claim === 'number' && claim >= 0 && finish) cache.complete(claim, reply, now);
parentPort?.postMessage(typeof claim === 'number' ? claim : 'cached');
