// Child process for durability.test.ts: appends accounting load from many concurrent
// "NAS" loops and prints one line per acknowledged record, only once append() has
// resolved (the commit is durable). The parent SIGKILLs it mid-flight.
//   usage: node append-child.ts SPOOL_PATH LOOPS [direct|port]
// port: through connectSpool/serveSpool, as a RADIUS worker appends: the owner answers
// at COMMIT and the client waits for the WAL sync counter (durable-waiter.ts). Both
// ends of the channel live in this thread; the protocol is the same across threads.
import { MessageChannel } from 'node:worker_threads';
import { createSilentLogger } from '../../../appliance/log.ts';
import { connectSpool, openSpool, serveSpool } from '../../../appliance/spool/index.ts';
import { loadRecord } from './load-records.ts';

const [path, loopsText, mode = 'direct'] = process.argv.slice(2);
if (path === undefined || (mode !== 'direct' && mode !== 'port'))
  throw new Error('usage: append-child.ts SPOOL_PATH LOOPS [direct|port]');
const loops = Number(loopsText ?? 64);

const spool = await openSpool({
  path,
  log: createSilentLogger(),
  maxBatch: 1_000,
  maxDelayMs: 0,
  staleFactor: 2.5,
  defaultInterimInterval: 300,
});
let appender: Pick<typeof spool, 'append'> = spool;
if (mode === 'port') {
  const channel = new MessageChannel();
  serveSpool(() => spool, channel.port1);
  appender = connectSpool(channel.port2);
}
process.stdout.write('ready\n');

async function runLoop(loop: number): Promise<void> {
  for (let step = 0; ; step++) {
    const [result] = await appender.append([loadRecord(loop, step)]);
    if (result === undefined) throw new Error('no result');
    // Pipes are synchronous on Linux: once write() returns, the line is the parent's.
    process.stdout.write(`ack ${loop} ${step} ${result.seq} ${result.key}\n`);
  }
}

await Promise.all(Array.from({ length: loops }, (_, loop) => runLoop(loop)));
