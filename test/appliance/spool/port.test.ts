import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../appliance/log.ts';
import { connectSpool, openSpool, serveSpool, SpoolRemoteError } from '../../../appliance/spool/index.ts';
import type { Spool } from '../../../appliance/spool/index.ts';

let dir: string;
let spool: Spool;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spool-port-'));
  spool = await openSpool({
    path: join(dir, 'spool.db'),
    log: createSilentLogger(),
    maxBatch: 1_000,
    maxDelayMs: 0,
    staleFactor: 2.5,
    defaultInterimInterval: 300,
  });
});

afterEach(async () => {
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('spool over a MessagePort', () => {
  it('appends, dedupes, counts and closes sessions like the owner does', async () => {
    const channel = new MessageChannel();
    const stop = serveSpool(() => spool, channel.port1);
    const client = connectSpool(channel.port2);
    const record = {
      nasId: 'nas-1',
      receivedAt: Date.now(),
      status: 'start' as const,
      sessionId: 'A',
      username: 'alice',
    };
    const [first] = await client.append([record]);
    const [again] = await client.append([record]);
    expect(first?.duplicate).toBe(false);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await client.countLiveSessions('alice')).toBe(1);
    expect(await client.closeSession('nas-1', 'A', '')).toBe(true);
    expect(await client.countLiveSessions('alice')).toBe(0);

    const failure = client.append([{ nasId: 'nas-1', receivedAt: Date.now(), status: 'stop' }]);
    await expect(failure).rejects.toBeInstanceOf(SpoolRemoteError);
    await expect(failure).rejects.toMatchObject({ name: 'SpoolRecordError' });

    client.close();
    await expect(client.append([record])).rejects.toMatchObject({ name: 'SpoolClosedError' });
    stop();
  });

  it('rejects what is outstanding when the owner goes away, and works again after reconnect', async () => {
    const first = new MessageChannel();
    serveSpool(() => spool, first.port1);
    const client = connectSpool(first.port2);
    const record = (sessionId: string) => ({
      nasId: 'nas-1',
      receivedAt: Date.now(),
      status: 'start' as const,
      sessionId,
      username: 'bob',
    });
    expect((await client.append([record('B1')]))[0]?.duplicate).toBe(false);

    // The owner's end closes (its thread died) while a request is outstanding.
    const outstanding = client.countLiveSessions('bob');
    first.port1.close();
    await expect(outstanding).rejects.toMatchObject({ name: 'SpoolUnavailableError' });
    await expect(client.append([record('B2')])).rejects.toMatchObject({ name: 'SpoolUnavailableError' });

    const second = new MessageChannel();
    const stop = serveSpool(() => spool, second.port1);
    client.reconnect(second.port2);
    expect((await client.append([record('B2')]))[0]?.duplicate).toBe(false);
    expect((await client.listLiveSessions('bob')).map((row) => row.sessionId).sort()).toEqual(['B1', 'B2']);
    const [entry] = await client.readOutbox(0, 1);
    expect(entry).toMatchObject({ seq: 1, sessionId: 'B1' });
    await client.markShipped(1);
    expect(spool.stats().shippedSeq).toBe(1);
    client.close();
    stop();
  });

  it('sends the appends of one event-loop turn as one message', async () => {
    const channel = new MessageChannel();
    const stop = serveSpool(() => spool, channel.port1);
    const client = connectSpool(channel.port2);
    let messages = 0;
    channel.port1.on('message', () => messages++);
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        client.append([{ nasId: 'nas-1', receivedAt: Date.now(), status: 'start', sessionId: `S${index}` }]),
      ),
    );
    expect(messages).toBe(1);
    expect(spool.stats().commits).toBe(1);
    client.close();
    stop();
  });

  it('serves worker threads that never open spool.db', async () => {
    const workers = [0, 1, 2].map((worker) => {
      const channel = new MessageChannel();
      const stop = serveSpool(() => spool, channel.port1);
      const thread = new Worker(new URL('./port-worker.ts', import.meta.url), {
        workerData: { port: channel.port2, worker, records: 500 },
        transferList: [channel.port2],
      });
      return new Promise<{ stored: number; live: number }>((resolve, reject) => {
        thread.once('message', (message: { stored: number; live: number }) => {
          stop();
          resolve(message);
        });
        thread.once('error', reject);
      });
    });
    const answers = await Promise.all(workers);
    expect(answers).toEqual([0, 1, 2].map(() => ({ stored: 500, live: 500 })));
    expect(spool.stats().appended).toBe(1_500);
    expect(spool.stats().commits).toBeLessThan(20);
  });
});
