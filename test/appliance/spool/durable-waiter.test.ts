// The acknowledgement side of the WAL sync thread: a waiter resolves a commit only once
// the shared DURABLE counter covers it. The test plays the sync thread on a real
// SharedArrayBuffer (the counters the spool's port hands every RADIUS worker).
import { describe, expect, it } from 'vitest';
import {
  DURABILITY_SLOTS,
  DURABLE,
  durableWaiter,
  FAILED,
  SpoolSyncError,
} from '../../../appliance/spool/durable-waiter.ts';

function counters() {
  const buffer = new SharedArrayBuffer(DURABILITY_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const view = new Int32Array(buffer);
  const publish = (slot: number, value: number) => {
    Atomics.store(view, slot, value);
    Atomics.notify(view, slot);
  };
  return { buffer, publish };
}

/** Settles what can settle now: a few turns of the event loop, no clock involved. */
const turns = async (count = 5) => {
  for (let index = 0; index < count; index++) await new Promise((resolve) => setImmediate(resolve));
};

function track(promise: Promise<void>) {
  const state = { settled: 'pending' as 'pending' | 'resolved' | 'rejected', error: undefined as unknown };
  promise.then(
    () => (state.settled = 'resolved'),
    (error: unknown) => {
      state.settled = 'rejected';
      state.error = error;
    },
  );
  return state;
}

describe('durable waiter', () => {
  it('resolves a commit only once the sync counter covers it, in commit order', async () => {
    const { buffer, publish } = counters();
    const waiter = durableWaiter(buffer);
    const second = track(waiter.wait(2));
    const third = track(waiter.wait(3));
    await turns();
    expect([second.settled, third.settled]).toEqual(['pending', 'pending']);

    publish(DURABLE, 1);
    await turns();
    expect([second.settled, third.settled]).toEqual(['pending', 'pending']);

    publish(DURABLE, 2);
    await turns();
    expect([second.settled, third.settled]).toEqual(['resolved', 'pending']);

    publish(DURABLE, 5);
    await turns();
    expect(third.settled).toBe('resolved');
    // Already covered: at once.
    await expect(waiter.wait(4)).resolves.toBeUndefined();
  });

  it('resolves a commit that was waited for after a later one as soon as it is durable', async () => {
    const { buffer, publish } = counters();
    const waiter = durableWaiter(buffer);
    const later = track(waiter.wait(3));
    const earlier = track(waiter.wait(2));
    publish(DURABLE, 2);
    await turns();
    expect([earlier.settled, later.settled]).toEqual(['resolved', 'pending']);
    publish(DURABLE, 3);
    await turns();
    expect(later.settled).toBe('resolved');
  });

  it('compares across the Int32 wrap of the counters', async () => {
    const { buffer, publish } = counters();
    publish(DURABLE, 0x7fff_fffe);
    const waiter = durableWaiter(buffer);
    const wrapped = track(waiter.wait(0x8000_0001 | 0));
    await turns();
    expect(wrapped.settled).toBe('pending');
    publish(DURABLE, 0x8000_0001 | 0);
    await turns();
    expect(wrapped.settled).toBe('resolved');
  });

  it('rejects what is not durable once a sync failed, and everything after', async () => {
    const { buffer, publish } = counters();
    const waiter = durableWaiter(buffer);
    const covered = track(waiter.wait(1));
    const lost = track(waiter.wait(2));
    publish(DURABLE, 1);
    publish(FAILED, 1);
    Atomics.notify(new Int32Array(buffer), DURABLE);
    await turns();
    expect(covered.settled).toBe('resolved');
    expect(lost.settled).toBe('rejected');
    expect(lost.error).toBeInstanceOf(SpoolSyncError);
    await expect(waiter.wait(3)).rejects.toBeInstanceOf(SpoolSyncError);
  });

  it('abandon acknowledges what is durable and rejects the rest (the owner went away)', async () => {
    const { buffer, publish } = counters();
    const waiter = durableWaiter(buffer);
    const durable = track(waiter.wait(1));
    const notYet = track(waiter.wait(2));
    // The counter moved, but the waiter has not woken yet when the port closes.
    Atomics.store(new Int32Array(buffer), DURABLE, 1);
    waiter.abandon(new Error('owner gone'));
    await turns();
    expect(durable.settled).toBe('resolved');
    expect(notYet.settled).toBe('rejected');
    expect((notYet.error as Error).message).toBe('owner gone');
    publish(DURABLE, 2);
  });
});
