// Child process for close-exits.test.ts: a bare script that opens a spool, appends one
// record, closes it and prints `closed`. Nothing else holds its event loop, so it must
// run to the end and exit by itself.
//   usage: node close-child.ts SPOOL_PATH
import { createSilentLogger } from '../../../appliance/log.ts';
import { openSpool } from '../../../appliance/spool/index.ts';
import { loadRecord } from './load-records.ts';

const [path] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: close-child.ts SPOOL_PATH');

const spool = await openSpool({
  path,
  log: createSilentLogger(),
  maxBatch: 1_000,
  maxDelayMs: 0,
  staleFactor: 2.5,
  defaultInterimInterval: 300,
});
const [result] = await spool.append([loadRecord(0, 0)]);
process.stdout.write(`appended ${String(result?.seq)}\n`);
await spool.close();
process.stdout.write('closed\n');
