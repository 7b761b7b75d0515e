// One generator thread of runLoadThreads (load.ts): waits for 'go', runs, posts the result and
// its latency histogram (transferred).
import { parentPort, workerData } from 'node:worker_threads';
import { BUCKETS, runLoad } from './load.ts';
import type { WorkerLoadOptions, WorkerReply } from './load.ts';

const port = parentPort;
if (port === null) throw new Error('load-worker.ts runs as a worker thread');
const options = workerData as WorkerLoadOptions;
port.once('message', () => {
  const histogram = new Uint32Array(BUCKETS + 1);
  runLoad({ ...options, serverPids: [], histogram }).then(
    (result) => port.postMessage({ kind: 'done', result, histogram } satisfies WorkerReply, [histogram.buffer]),
    (error: unknown) => port.postMessage({ kind: 'failed', message: String(error) } satisfies WorkerReply),
  );
});
port.postMessage({ kind: 'ready' } satisfies WorkerReply);
