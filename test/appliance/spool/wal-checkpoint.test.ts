// The spool's checkpoint thread (wal-checkpoint.ts) on a real libSQL file: once the
// writer has committed (the shared COMMITTED counter moved), the thread copies the WAL's
// pages into the database file itself, without the writer's connection doing it.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../appliance/log.ts';
import { COMMITTED, DURABILITY_SLOTS } from '../../../appliance/spool/durable-waiter.ts';
import { startWalCheckpoints } from '../../../appliance/spool/wal-checkpoint.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The rows of `notes` in the database file alone, as a crash that lost the WAL would find them. */
function rowsInMainFile(path: string): number {
  const copy = join(dir, `copy-${Date.now()}-${Math.random()}.db`);
  copyFileSync(path, copy);
  const db = new Database(copy);
  try {
    const table = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'notes'").raw().get() as number[];
    if (table[0] === 0) return 0;
    return (db.prepare('SELECT count(*) FROM notes').raw().get() as number[])[0] ?? 0;
  } finally {
    db.close();
  }
}

describe('spool WAL checkpoint thread', () => {
  it('copies committed WAL pages into the database file once the commit counter moves', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wal-checkpoint-'));
    const path = join(dir, 'spool.db');
    const writer = new Database(path);
    writer.exec('PRAGMA journal_mode = WAL');
    // Only the thread may checkpoint here.
    writer.exec('PRAGMA wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = writer.prepare('INSERT INTO notes (body) VALUES (?)');
    for (let index = 0; index < 500; index++) insert.run([`note ${index} `.repeat(20)]);
    expect(rowsInMainFile(path)).toBe(0);

    const durability = new SharedArrayBuffer(DURABILITY_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const checkpoints = startWalCheckpoints(path, durability, createLogger({ level: 'silent' }));
    try {
      Atomics.add(new Int32Array(durability), COMMITTED, 1);
      while (checkpoints.count === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rowsInMainFile(path)).toBe(500);
    } finally {
      await checkpoints.stop();
      writer.close();
    }
  });
});
