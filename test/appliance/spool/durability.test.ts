import { createClient } from '@libsql/client';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openSpool } from '../../../appliance/spool/index.ts';
import { loadRecord } from './load-records.ts';

type Ack = { loop: number; step: number; seq: number; key: string };

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-durability-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the child until `ackTarget` acknowledgements, then kill -9. */
function appendUntilKilled(path: string, ackTarget: number, mode: 'direct' | 'port' = 'direct'): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'append-child.ts'), path, '64', mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, loop, step, seq, key] = line.split(' ');
      if (word !== 'ack' || key === undefined) return;
      acks.push({ loop: Number(loop), step: Number(step), seq: Number(seq), key });
      if (!killed && acks.length >= ackTarget) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`child exited (${String(code)}) before the kill: ${stderr}`));
    });
  });
}

describe('spool durability under kill -9', () => {
  // direct: spool.append in the owner's thread; port: through the spool's port as a
  // RADIUS worker appends, acknowledged on the WAL sync counter in shared memory.
  it.each(['direct', 'port'] as const)(
    'keeps every acknowledged record exactly once, across two crashes, and recognizes their retransmits (%s)',
    async (mode) => {
      const path = join(dir, `spool-${mode}.db`);
      const first = await appendUntilKilled(path, 4_000, mode);
      // The second run starts from the first one's leftovers (WAL not checkpointed,
      // sessions not written) and appends more before it is killed as well.
      const second = await appendUntilKilled(path, 8_000, mode);
      const everyAck = [...first, ...second];
      const acks = [...new Map(everyAck.map((ack) => [ack.key, ack])).values()];
      // The second run re-sent the first run's records (its loops start over): duplicates.
      expect(acks.length).toBeGreaterThan(first.length);
      expect(acks.length).toBeLessThan(everyAck.length);

      const client = createClient({ url: `file:${path}` });
      try {
        const keys = JSON.stringify(acks.map((ack) => ack.key));
        const present = await client.execute({
          sql:
            'SELECT count(*) AS n, count(DISTINCT key) AS d FROM records WHERE key IN (SELECT value FROM ' +
            'json_each(?))',
          args: [keys],
        });
        expect(Number(present.rows[0]?.d)).toBe(new Set(acks.map((ack) => ack.key)).size);
        expect(Number(present.rows[0]?.n)).toBe(Number(present.rows[0]?.d));
        const twice = await client.execute('SELECT key, count(*) AS n FROM records GROUP BY key HAVING n > 1 LIMIT 5');
        expect(twice.rows).toEqual([]);
        const seqs = await client.execute({
          sql: 'SELECT seq, key FROM records WHERE key IN (SELECT value FROM json_each(?))',
          args: [keys],
        });
        const seqByKey = new Map(seqs.rows.map((row) => [String(row.key), Number(row.seq)]));
        for (const ack of everyAck) expect(seqByKey.get(ack.key)).toBe(ack.seq);
        const gaps = await client.execute('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM records');
        expect(Number(gaps.rows[0]?.hi) - Number(gaps.rows[0]?.lo) + 1).toBe(Number(gaps.rows[0]?.n));
      } finally {
        client.close();
      }

      const spool = await openSpool({
        path,
        log: createSilentLogger(),
        maxBatch: 1_000,
        maxDelayMs: 0,
        staleFactor: 2.5,
        defaultInterimInterval: 300,
        now: () => Date.UTC(2026, 0, 1, 12, 0, 0),
      });
      try {
        const resent = await spool.append(acks.map((ack) => loadRecord(ack.loop, ack.step)));
        expect(resent.every((result) => result.duplicate)).toBe(true);
        expect(resent.map((result) => result.seq)).toEqual(acks.map((ack) => ack.seq));
        // Sessions were rebuilt from the log: every loop whose latest acked record is not a
        // Stop has its session open.
        const latest = new Map<number, Ack>();
        for (const ack of acks) if ((latest.get(ack.loop)?.step ?? -1) < ack.step) latest.set(ack.loop, ack);
        for (const [loop, ack] of latest) {
          const sessions = await spool.listLiveSessions(`user-${loop}`);
          const record = loadRecord(loop, ack.step);
          if (record.status === 'stop') continue;
          expect(sessions.map((session) => session.sessionId)).toContain(record.sessionId);
        }
      } finally {
        await spool.close();
      }
    },
  );
});
