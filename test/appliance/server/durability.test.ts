// Server-level durability: accounting load through the real UDP server of an
// `appliance start` process, kill -9 in the middle, restart: every acknowledged
// record is in the spool exactly once, and retransmits of acknowledged records are
// recognized (answered, not stored again). The spool is owned by its own thread
// (spool/owner-main.ts), which the logs show.
import { createClient } from '@libsql/client';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildRequest, PacketCode } from '../../../appliance/radius/index.ts';
import { dictionary, openNasSocket, prepareApplianceDir, SECRET, spawnAppliance } from './helpers.ts';

let dir: string;

beforeAll(async () => {
  dir = await prepareApplianceDir('radius-durability-');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const startChild = () => spawnAppliance(dir);

const startRecord = (index: number) =>
  buildRequest(
    {
      code: PacketCode.accountingRequest,
      identifier: index & 0xff,
      secret: Buffer.from(SECRET),
      attributes: [
        { attribute: 'Acct-Status-Type', value: 'Start' },
        { attribute: 'Acct-Session-Id', value: `load-${index}` },
        { attribute: 'User-Name', value: `user-${index % 50}` },
        { attribute: 'Event-Timestamp', value: 1_760_000_000 + index },
      ],
    },
    dictionary,
  );

it('keeps every acknowledged accounting record exactly once across kill -9', async () => {
  const first = await startChild();
  // The spool is opened by the owner thread, not the main thread.
  expect(
    first.logs.some(
      (entry) => entry.msg === 'spool owner ready' && typeof entry.threadId === 'number' && entry.threadId > 0,
    ),
  ).toBe(true);
  // Bounded load: at most 4,000 records, 32 outstanding; kill -9 once 1,500 are acked.
  const acked = new Set<number>();
  const sockets = await Promise.all(Array.from({ length: 32 }, () => openNasSocket()));
  let next = 0;
  let killed = false;
  await Promise.all(
    sockets.map(async (nas) => {
      while (!killed && next < 4_000) {
        const index = next++;
        const reply = await nas.exchange(startRecord(index), first.acct, 1_000);
        if (reply !== null && !killed) acked.add(index);
        if (acked.size >= 1_500 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    }),
  );
  await new Promise((resolve) =>
    first.child.exitCode !== null || first.child.signalCode !== null
      ? resolve(null)
      : first.child.once('exit', resolve),
  );
  expect(first.child.signalCode).toBe('SIGKILL');
  expect(acked.size).toBeGreaterThanOrEqual(1_500);

  // Restart on the same data dir (the stale pid file is taken over) and retransmit a
  // sample of acknowledged records: answered, and still stored once.
  const second = await startChild();
  // The restarted owner thread replayed the records the killed one had committed.
  expect(
    second.logs.some((entry) => entry.thread === 'spool' && entry.msg === 'replayed accounting records into sessions'),
  ).toBe(true);
  try {
    const sample = [...acked].slice(0, 200);
    const replies = await Promise.all(
      sample.map((index, at) => sockets[at % sockets.length]!.exchange(startRecord(index), second.acct, 3_000)),
    );
    expect(replies.every((reply) => reply !== null)).toBe(true);
  } finally {
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    for (const nas of sockets) nas.close();
  }
  expect(second.child.exitCode).toBe(0);

  const client = createClient({ url: `file:${join(dir, 'spool.db')}` });
  try {
    const rows = await client.execute(
      "SELECT session_id, count(*) AS n FROM records WHERE kind = 'start' GROUP BY session_id",
    );
    const stored = new Map(rows.rows.map((row) => [String(row.session_id), Number(row.n)]));
    for (const index of acked) expect(stored.get(`load-${index}`), `load-${index}`).toBe(1);
    expect([...stored.values()].every((count) => count === 1)).toBe(true);
  } finally {
    client.close();
  }
});
