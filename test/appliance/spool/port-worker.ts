// Worker thread for port.test.ts: a RADIUS-worker-shaped spool user that never opens
// spool.db, only talks to the owner through its MessagePort.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { connectSpool } from '../../../appliance/spool/index.ts';

type Data = { port: MessagePort; worker: number; records: number };
const data = workerData as Data;
const spool = connectSpool(data.port);

const appends = Array.from({ length: data.records }, (_, index) =>
  spool.append([
    {
      nasId: `nas-${data.worker}`,
      receivedAt: Date.now(),
      status: 'start',
      sessionId: `W${data.worker}-${index}`,
      username: `w${data.worker}`,
    },
  ]),
);
const results = (await Promise.all(appends)).flat();
const live = await spool.countLiveSessions(`w${data.worker}`);
parentPort?.postMessage({ stored: results.filter((result) => !result.duplicate).length, live });
spool.close();
