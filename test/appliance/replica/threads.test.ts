import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openReplica } from '../../../appliance/replica/index.ts';
import type { Replica } from '../../../appliance/replica/index.ts';

type Answer = { id: number; found: boolean; status: string | null; revision: number };

let dir: string;
let replica: Replica;
const workers: Worker[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'replica-threads-'));
  replica = await openReplica({
    path: join(dir, 'replica.db'),
    keyFile: join(dir, 'replica.key'),
    log: createSilentLogger(),
    defaults: { suspendedPolicy: 'reject', captiveProfile: 'captive' },
    pollIntervalMs: 0,
    authMethods: ['pap', 'chap', 'mschapv2'],
  });
  await replica.upsertSubscriber({ username: 'present', password: 'x' });
});

afterAll(async () => {
  for (const worker of workers) await worker.terminate();
  replica.close();
  rmSync(dir, { recursive: true, force: true });
});

function startReader(): Promise<{ ask(username: string): Promise<Answer>; worker: Worker }> {
  const worker = new Worker(new URL('./reader-worker.ts', import.meta.url), {
    workerData: { path: join(dir, 'replica.db'), keyFile: join(dir, 'replica.key') },
  });
  workers.push(worker);
  let nextId = 1;
  const waiting = new Map<number, (answer: Answer) => void>();
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: Answer | { ready: true }) => {
      if ('ready' in message) {
        resolve({
          worker,
          ask: (username) =>
            new Promise((answer) => {
              const id = nextId++;
              waiting.set(id, answer);
              worker.postMessage({ id, username });
            }),
        });
        return;
      }
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    });
  });
}

describe('replica readers in worker threads', () => {
  // How fast is measured in bench/, never asserted here: this proves the path. Polling
  // is off (pollIntervalMs: 0) in the writer and every reader, so a reader can only
  // learn of the write from the writer's broadcast; and a batch is applied in one step,
  // so a reader that sees one of its changes sees the other too.
  it('every worker learns of a write from the broadcast (polling off), and sees it whole', async () => {
    const readers = await Promise.all([startReader(), startReader(), startReader()]);
    for (const reader of readers) expect((await reader.ask('present')).found).toBe(true);

    await replica.applyChanges([
      { op: 'upsert-subscriber', value: { username: 'present', password: 'x', status: 'suspended' } },
      { op: 'upsert-subscriber', value: { username: 'added', password: 'y' } },
    ]);
    const seen = await Promise.all(
      readers.map(async (reader) => {
        // Bounded only so that a lost broadcast fails the test instead of hanging it.
        await expect.poll(async () => (await reader.ask('added')).found, { timeout: 30_000, interval: 1 }).toBe(true);
        return reader.ask('present');
      }),
    );
    for (const answer of seen) expect(answer.status).toBe('suspended');
    expect(new Set(seen.map((answer) => answer.revision)).size).toBe(1);
  });
});
