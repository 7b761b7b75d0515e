// radius.rejectDelayMs (FreeRADIUS reject_delay): an Access-Reject leaves after the
// delay, an Access-Accept asked for later still leaves first (the worker is not
// blocked), a retransmit during the delay is not answered early, and one after it gets
// the cached reject. The delay queue on its own: arrival order, never early.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, PacketCode } from '../../../appliance/radius/index.ts';
import { createDelayQueue } from '../../../appliance/radius/server/reject-delay.ts';
import { dictionary, metricValue, openNasSocket, SECRET, startTestAppliance } from './helpers.ts';
import type { NasClientSocket, TestAppliance } from './helpers.ts';

// Long enough that the Access-Accept asked for 20 ms after the reject, and the
// retransmit sent 100 ms after it, are handled within the delay even on a loaded machine.
const DELAY_MS = 2_000;
let server: TestAppliance;
let slow: NasClientSocket;
let fast: NasClientSocket;

beforeAll(async () => {
  // One worker: the reject and the accept are handled by the same thread.
  server = await startTestAppliance({
    threads: 1,
    rejectDelayMs: DELAY_MS,
    seed: async (replica) => {
      await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET });
      await replica.upsertSubscriber({ username: 'erin', password: 'erin-pw' });
    },
  });
  [slow, fast] = await Promise.all([openNasSocket(), openNasSocket()]);
});

afterAll(async () => {
  slow.close();
  fast.close();
  await server.stop();
});

// Waits well past the delay: the reject is due only after it.
const pap = (nas: NasClientSocket, password: string) =>
  nas.request(
    server.radius.ports.auth,
    PacketCode.accessRequest,
    [
      { attribute: 'User-Name', value: 'erin' },
      { attribute: 'User-Password', value: password },
    ],
    { timeoutMs: DELAY_MS + 10_000 },
  );

describe('reject delay', () => {
  it('sends an Access-Reject after the delay without holding up an Access-Accept asked for after it', async () => {
    const order: string[] = [];
    const startedAt = performance.now();
    const rejected = pap(slow, 'wrong').then((result) => {
      order.push('reject');
      return { result, after: performance.now() - startedAt };
    });
    await sleep(20);
    const accepted = pap(fast, 'erin-pw').then((result) => {
      order.push('accept');
      return result;
    });
    const [reject, accept] = await Promise.all([rejected, accepted]);
    expect(reject.result?.reply.code).toBe(PacketCode.accessReject);
    expect(accept?.reply.code).toBe(PacketCode.accessAccept);
    expect(reject.after).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(order).toEqual(['accept', 'reject']);
  });

  it('does not answer a retransmit during the delay early, and answers one after it from the cache', async () => {
    const { auth } = server.radius.ports;
    const before = await server.metrics();
    const datagram = buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 77,
        secret: Buffer.from(SECRET),
        attributes: [
          { attribute: 'User-Name', value: 'erin' },
          { attribute: 'User-Password', value: 'wrong-again' },
        ],
      },
      dictionary,
    );
    let replies = 0;
    const count = () => replies++;
    slow.socket.on('message', count);
    try {
      const first = slow.exchange(datagram, auth, DELAY_MS + 10_000);
      await sleep(100);
      slow.socket.send(datagram, auth, '127.0.0.1');
      const reply = await first;
      expect(reply?.[0]).toBe(PacketCode.accessReject);
      // The only answer so far is the delayed one: the retransmit was dropped as in progress.
      expect(replies).toBe(1);
      const again = await slow.exchange(datagram, auth, 5_000);
      expect(again).toEqual(reply);
    } finally {
      slow.socket.off('message', count);
    }
    const after = await server.metrics();
    const delta = (series: string) => metricValue(after, series) - metricValue(before, series);
    expect(delta('appliance_radius_duplicates_total{outcome="in_progress"}')).toBe(1);
    expect(delta('appliance_radius_duplicates_total{outcome="cached"}')).toBe(1);
  });
});

describe('delay queue', () => {
  it('resolves each wait once, in arrival order, not before its delay', async () => {
    const queue = createDelayQueue(30);
    const done: Array<[number, number]> = [];
    await Promise.all(
      [0, 1, 2].map(async (index) => {
        await sleep(index * 10);
        const waitedFrom = performance.now();
        await queue.wait();
        done.push([index, performance.now() - waitedFrom]);
      }),
    );
    expect(done.map(([index]) => index)).toEqual([0, 1, 2]);
    for (const [, waited] of done) expect(waited).toBeGreaterThanOrEqual(29);
  });

  it('keeps the order while a steady stream never lets it empty', async () => {
    const queue = createDelayQueue(20);
    const order: number[] = [];
    const waits: Array<Promise<void>> = [];
    // 2,000 waits, then 500 more while the first are still due: the first fire
    // resolves 2,000 with 500 left, which compacts the queue.
    for (let index = 0; index < 2_500; index++) {
      if (index === 2_000) await sleep(5);
      waits.push(queue.wait().then(() => void order.push(index)));
    }
    await Promise.all(waits);
    expect(order).toEqual(Array.from({ length: 2_500 }, (_, index) => index));
  });
});
