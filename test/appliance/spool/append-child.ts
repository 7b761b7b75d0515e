// Child process for durability.test.ts: appends accounting load from many concurrent
// "NAS" loops and prints one line per acknowledged record, only once append() has
// resolved (the commit is durable). The parent SIGKILLs it mid-flight.
//   usage: node append-child.ts SPOOL_PATH LOOPS
import { createSilentLogger } from '../../../appliance/log.ts';
import { openSpool } from '../../../appliance/spool/index.ts';
import { loadRecord } from './load-records.ts';

const [path, loopsText] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: append-child.ts SPOOL_PATH LOOPS');
const loops = Number(loopsText ?? 64);

const spool = await openSpool({ path, log: createSilentLogger(), maxBatch: 1_000, maxDelayMs: 0, staleFactor: 2.5, defaultInterimInterval: 300 });
process.stdout.write('ready\n');

async function runLoop(loop: number): Promise<void> {
  for (let step = 0; ; step++) {
    const [result] = await spool.append([loadRecord(loop, step)]);
    if (result === undefined) throw new Error('no result');
    // Pipes are synchronous on Linux: once write() returns, the line is the parent's.
    process.stdout.write(`ack ${loop} ${step} ${result.seq} ${result.key}\n`);
  }
}

await Promise.all(Array.from({ length: loops }, (_, loop) => runLoop(loop)));
