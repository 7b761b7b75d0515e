// The spool failing while open, seen from the owner's opener (open-with-retry.ts): the
// states it reports for /health, in order. test/interop/spool-down.test.ts shows the
// same through a running appliance, where the down state is too short to catch.
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openSpool } from '../../../appliance/spool/index.ts';
import { openWithRetry } from '../../../appliance/spool/open-with-retry.ts';
import type { SpoolOpenState } from '../../../appliance/spool/open-with-retry.ts';
import { loadRecord } from './load-records.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-open-retry-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const options = (path: string) => ({
  path,
  log: createSilentLogger(),
  maxBatch: 1_000,
  maxDelayMs: 0,
  staleFactor: 2.5,
  defaultInterimInterval: 300,
});

describe('a spool that turns corrupt while open', () => {
  it('goes down as corrupt at once, is moved aside, and a fresh spool opens', async () => {
    const path = join(dir, 'spool.db');
    // Records folded into spool.db itself (close checkpoints the WAL), then reopened.
    const first = await openSpool(options(path));
    await first.append(Array.from({ length: 1_000 }, (_, step) => loadRecord(0, step)));
    await first.close();

    const states: SpoolOpenState[] = [];
    let jobsStopped = 0;
    const opener = await openWithRetry({
      path,
      log: createSilentLogger(),
      open: (onError) => openSpool({ ...options(path), onError }),
      onState: (state) => states.push(state),
      onOpen: () => () => void jobsStopped++,
    });
    const spool = opener.current();
    if (spool === null) throw new Error('not open');
    // Every page but the first overwritten: the next commit reads table pages from the file.
    const garbage = Buffer.alloc(statSync(path).size - 4_096, 'not a database page ');
    const fd = openSync(path, 'r+');
    writeSync(fd, garbage, 0, garbage.length, 4_096);
    closeSync(fd);

    await expect(spool.append([loadRecord(1, 0)])).rejects.toMatchObject({ code: 'SQLITE_CORRUPT' });
    // Out of service before anything else can use it; the owner's jobs on it stopped.
    expect(opener.current()).toBeNull();
    expect(jobsStopped).toBe(1);
    await expect.poll(() => opener.current(), { timeout: 30_000 }).not.toBeNull();

    expect(states.map((state) => [state.state, state.reason])).toEqual([
      ['open', null],
      ['down', 'corrupt'],
      ['open', null],
    ]);
    const aside = readdirSync(dir).filter((name) => /^spool\.corrupt-\d{8}T\d{6}Z\.db$/.test(name));
    expect(aside).toHaveLength(1);
    expect(states.at(-1)?.movedAside).toBe(join(dir, aside[0] ?? ''));
    const fresh = opener.current();
    expect(fresh).not.toBe(spool);
    expect((await fresh?.append([loadRecord(1, 0)]))?.[0]).toMatchObject({ seq: 1, duplicate: false });
    await opener.stop();
    await fresh?.close();
  });
});
