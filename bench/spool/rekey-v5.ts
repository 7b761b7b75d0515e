// How long the schema-5 upgrade of a spool takes now that it re-derives every record
// key (appliance/spool/rekey-v5.ts): a schema-4 spool of N records (default 1,000,000,
// chunks of 1,000, as test/appliance/spool/v4-spool.ts writes them) is upgraded by
// migrateSpool, then opened as the owner opens it. Accounting is not answered while
// this runs (the spool is not open yet: appliance/README.md, Spool down).
//   node bench/spool/rekey-v5.ts [RECORDS]   → bench/results/spool-rekey-v5.json
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalDatabase } from '../../appliance/local-db.ts';
import { createSilentLogger } from '../../appliance/log.ts';
import { openSpool } from '../../appliance/spool/index.ts';
import { migrateSpool } from '../../appliance/spool/schema.ts';
import { loadRecord } from '../../test/appliance/spool/load-records.ts';
import { createV4Spool, fillV4Spool } from '../../test/appliance/spool/v4-spool.ts';

const records = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'bench-rekey-v5-'));
const path = join(dir, 'spool.db');
try {
  await createV4Spool(path);
  // In slices, so the fixture never holds a million records in memory at once.
  const slice = 100_000;
  for (let first = 0; first < records; first += slice) {
    const part = Array.from({ length: Math.min(slice, records - first) }, (_, index) => {
      const n = first + index;
      return loadRecord(Math.floor(n / 1_000), n % 1_000);
    });
    await fillV4Spool(path, part, 1_000, first);
  }
  const loadBefore = loadavg()[0];
  const client = await openLocalDatabase({ path, synchronous: 'FULL' });
  const migrateStarted = performance.now();
  await migrateSpool(client);
  const migrateSeconds = (performance.now() - migrateStarted) / 1000;
  client.close();
  const openStarted = performance.now();
  const spool = await openSpool({
    path,
    log: createSilentLogger(),
    maxBatch: 1_000,
    maxDelayMs: 0,
    staleFactor: 2.5,
    defaultInterimInterval: 300,
  });
  const openSeconds = (performance.now() - openStarted) / 1000;
  const lastSeq = spool.stats().lastSeq;
  await spool.close();
  const result = {
    command: `node bench/spool/rekey-v5.ts ${records}`,
    date: new Date().toISOString(),
    machine: { cpus: availableParallelism(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0] },
    records,
    lastSeq,
    spoolBytes: statSync(path).size,
    upgradeSeconds: Math.round(migrateSeconds * 10) / 10,
    openAfterUpgradeSeconds: Math.round(openSeconds * 10) / 10,
  };
  writeFileSync(join(import.meta.dirname, '../results/spool-rekey-v5.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
