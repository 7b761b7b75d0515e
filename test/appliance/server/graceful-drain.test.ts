// SIGTERM to a real `appliance start` under accounting load: the workers stop taking
// datagrams, answer what is in flight once the spool has it on disk, and the process
// exits 0. Every accounting request is either acknowledged before the exit or not at
// all, and the spool holds every acknowledged record exactly once.
import { createClient } from '@libsql/client';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildRequest, PacketCode } from '../../../appliance/radius/index.ts';
import { dictionary, openNasSocket, prepareApplianceDir, SECRET, spawnAppliance } from './helpers.ts';

let dir: string;

beforeAll(async () => {
  dir = await prepareApplianceDir('radius-drain-');
  // The spool waits a second for more records before a commit: when SIGTERM arrives,
  // the outstanding accounting is in a worker, waiting for its commit.
  writeFileSync(join(dir, 'appliance.json'), JSON.stringify({ spool: { maxDelayMs: 1_000 } }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const interim = (index: number) =>
  buildRequest(
    {
      code: PacketCode.accountingRequest,
      identifier: index & 0xff,
      secret: Buffer.from(SECRET),
      attributes: [
        { attribute: 'Acct-Status-Type', value: 'Interim-Update' },
        { attribute: 'Acct-Session-Id', value: `drain-${index}` },
        { attribute: 'User-Name', value: `user-${index % 20}` },
        { attribute: 'Acct-Session-Time', value: index },
      ],
    },
    dictionary,
  );

it(
  'acknowledges in-flight accounting before exiting on SIGTERM, ' + 'and stores every acknowledged record once',
  async () => {
    const appliance = await spawnAppliance(dir, { APPLIANCE_CONFIG: join(dir, 'appliance.json') });
    const sockets = await Promise.all(Array.from({ length: 32 }, () => openNasSocket()));
    const ackedAt = new Map<number, number>();
    let signalledAt = Infinity;
    let signal: NodeJS.Timeout | undefined;
    let next = 0;
    try {
      // Bounded: at most 2,000 requests, 32 outstanding. SIGTERM 500 ms after the 64th
      // acknowledgement, half-way through a commit's wait. A socket stops at its first
      // unanswered request (so a late answer cannot be taken for the next one's); after
      // the signal they all do.
      await Promise.all(
        sockets.map(async (nas) => {
          while (next < 2_000) {
            const index = next++;
            // Far beyond the commit's 1 s wait: an answer that comes is never taken for none.
            const reply = await nas.exchange(interim(index), appliance.acct, 10_000);
            if (reply === null) break;
            expect(reply[1]).toBe(index & 0xff);
            ackedAt.set(index, performance.now());
            signal ??=
              ackedAt.size >= 64
                ? setTimeout(() => {
                    signalledAt = performance.now();
                    appliance.child.kill('SIGTERM');
                  }, 500)
                : undefined;
          }
        }),
      );
    } finally {
      for (const nas of sockets) nas.close();
    }
    expect(await appliance.exited).toBe(0);
    expect(signalledAt).toBeLessThan(Infinity);
    // Requests waiting for their commit when the signal came (a commit waits 1 s for
    // company; the signal comes half-way, and every answer is followed at once by the
    // next request) were answered by the drain, after the signal.
    expect([...ackedAt.values()].filter((at) => at > signalledAt).length).toBeGreaterThan(0);
    const messages = appliance.logs.map((entry) => entry.msg);
    expect(messages).toContain('appliance stopped');
    expect(messages).not.toContain('shutdown timed out; records queued but not committed were not acknowledged');

    const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
    try {
      const rows = await client.execute(
        "SELECT session_id, count(*) AS n FROM records WHERE kind = 'interim' GROUP BY session_id",
      );
      const stored = new Map(rows.rows.map((row) => [String(row.session_id), Number(row.n)]));
      for (const index of ackedAt.keys()) expect(stored.get(`drain-${index}`), `drain-${index}`).toBe(1);
      expect([...stored.values()].every((count) => count === 1)).toBe(true);
      // And nothing stored went unanswered: what a worker had taken before its listener
      // closed was answered once on disk, what it had not taken is not stored. (Which
      // requests reached a worker in time cannot be seen from here: no time window says it.)
      const answered = [...ackedAt.keys()].map((index) => `drain-${index}`);
      expect([...stored.keys()].sort()).toEqual(answered.sort());
    } finally {
      client.close();
    }
  },
);
