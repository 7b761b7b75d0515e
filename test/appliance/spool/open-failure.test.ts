// An open that fails half-way must close what it opened: the owner retries a failing
// open with back-off (open-with-retry.ts), forever if need be, so a connection or a
// WAL sync thread left behind per attempt would pile up until the process runs out of
// descriptors. The failure here is real: a spool whose log holds a record chunk that
// does not decode, found while replaying the log into sessions, after the writer's
// connection and the WAL sync thread are open (spool.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openSpool } from '../../../appliance/spool/index.ts';
import { loadRecord } from './load-records.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-open-failure-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const open = (path: string) =>
  openSpool({
    path,
    log: createSilentLogger(),
    maxBatch: 1_000,
    maxDelayMs: 0,
    staleFactor: 2.5,
    defaultInterimInterval: 300,
  });

// The libsql driver has no way to finalize a statement, so a closed connection with
// prepared statements (the record writer's) lets go of its file only once they are
// garbage: both counts are taken after a full collection, and what is left then is
// held by something alive (an open connection, a running thread).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Open file descriptors and OS threads of this process, after a full collection. */
async function resources(): Promise<{ fds: number; threads: number }> {
  for (let round = 0; round < 2; round++) {
    gc();
    await nextTurn();
  }
  return { fds: readdirSync('/proc/self/fd').length, threads: readdirSync('/proc/self/task').length };
}

describe('openSpool failing half-way', () => {
  it('closes every connection and the WAL sync thread it opened, attempt after attempt', async () => {
    const path = join(dir, 'spool.db');
    // A spool with records whose sessions were never written, so opening replays them.
    await (async () => {
      const spool = await open(path);
      await spool.append([loadRecord(0, 0), loadRecord(0, 1)]);
      await spool.close();
    })();
    execFileSync('sqlite3', [
      path,
      `UPDATE spool_meta SET value = 0 WHERE key = 'sessions_seq'; ` +
        `UPDATE record_chunks SET body = '[["not a record"]]';`,
    ]);

    // One attempt first: modules, the libuv pool and the like are loaded once, for good.
    await expect(open(path)).rejects.toThrow();
    const before = await resources();
    for (let attempt = 0; attempt < 8; attempt++) await expect(open(path)).rejects.toThrow(/lacks key/);
    expect(await resources()).toEqual(before);
  });
});
