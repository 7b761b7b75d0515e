import { describe, expect, it } from 'vitest';
import { toSpoolEntry } from '../../../appliance/spool/record.ts';
import type { AccountingRecord } from '../../../appliance/spool/record.ts';
import {
  applyClose,
  applyToSession,
  closeForNasRestart,
  staleAfterMs,
} from '../../../appliance/spool/session-state.ts';
import type { SessionRow } from '../../../appliance/spool/session-state.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const entry = (fields: Partial<AccountingRecord> & Pick<AccountingRecord, 'status'>) =>
  toSpoolEntry({ nasId: 'nas-1', sessionId: 'S1', username: 'alice', receivedAt: T0, ...fields });

function fold(...records: Array<Partial<AccountingRecord> & Pick<AccountingRecord, 'status'>>): SessionRow {
  let row: SessionRow | undefined;
  for (const record of records) row = applyToSession(row, entry(record));
  if (row === undefined) throw new Error('no row');
  return row;
}

describe('applyToSession', () => {
  it('opens on Start, follows Interim-Updates, closes on Stop', () => {
    const open = fold(
      { status: 'start' },
      { status: 'interim', receivedAt: T0 + 300_000, sessionTime: 300, inputOctets: 10, outputOctets: 20 },
    );
    expect(open).toMatchObject({
      status: 'open',
      startedAt: T0,
      updatedAt: T0 + 300_000,
      sessionTime: 300,
      inputOctets: 10,
      outputOctets: 20,
    });
    const closed = applyToSession(
      open,
      entry({
        status: 'stop',
        receivedAt: T0 + 400_000,
        sessionTime: 400,
        inputOctets: 15,
        outputOctets: 30,
        terminateCause: 'User-Request',
      }),
    );
    expect(closed).toMatchObject({
      status: 'closed',
      closedAt: T0 + 400_000,
      closeReason: 'stop',
      inputOctets: 15,
      outputOctets: 30,
    });
  });

  it('lets an Interim stand in for a lost Start, dating the start from Acct-Session-Time', () => {
    const row = fold({ status: 'interim', receivedAt: T0 + 600_000, sessionTime: 600 });
    expect(row).toMatchObject({ status: 'open', startedAt: T0 });
  });

  it('uses Acct-Delay-Time to date the event', () => {
    const row = fold({ status: 'start', receivedAt: T0 + 30_000, delaySeconds: 30 });
    expect(row.startedAt).toBe(T0);
  });

  it('keeps counters from going down when an old Interim arrives after the Stop', () => {
    const stopped = fold(
      { status: 'start' },
      { status: 'stop', receivedAt: T0 + 900_000, sessionTime: 900, inputOctets: 900 },
    );
    const late = applyToSession(
      stopped,
      entry({ status: 'interim', receivedAt: T0 + 905_000, delaySeconds: 605, sessionTime: 300, inputOctets: 300 }),
    );
    expect(late).toMatchObject({ status: 'closed', closeReason: 'stop', inputOctets: 900, sessionTime: 900 });
  });

  it('treats a Start with a reused session id after the Stop as a new session', () => {
    const stopped = fold(
      { status: 'start' },
      { status: 'stop', receivedAt: T0 + 60_000, sessionTime: 60, inputOctets: 1000 },
    );
    const reused = applyToSession(stopped, entry({ status: 'start', receivedAt: T0 + 3_600_000, username: 'bob' }));
    expect(reused).toMatchObject({
      status: 'open',
      startedAt: T0 + 3_600_000,
      inputOctets: 0,
      username: 'bob',
      closeReason: null,
    });
  });

  it('treats a session id reused without a Stop (NAS rebooted silently) as a new session', () => {
    const running = fold(
      { status: 'start' },
      { status: 'interim', receivedAt: T0 + 300_000, sessionTime: 300, inputOctets: 5000 },
    );
    const next = applyToSession(
      running,
      entry({ status: 'interim', receivedAt: T0 + 7_200_000, sessionTime: 60, inputOctets: 10 }),
    );
    expect(next).toMatchObject({ status: 'open', startedAt: T0 + 7_140_000, inputOctets: 10 });
  });

  it('ignores a late record of the session an id was reused from', () => {
    const reused = fold({ status: 'start', receivedAt: T0 + 3_600_000 });
    const oldStop = applyToSession(
      reused,
      entry({ status: 'stop', receivedAt: T0 + 3_610_000, sessionTime: 900, inputOctets: 99 }),
    );
    expect(oldStop).toBe(reused);
  });

  it('opens a new session for a Start right after the NAS restarted', () => {
    const before = fold({ status: 'start' });
    const restarted: SessionRow = { ...before, status: 'closed', closedAt: T0 + 10_000, closeReason: 'nas-on' };
    expect(applyToSession(restarted, entry({ status: 'start', receivedAt: T0 + 12_000 }))).toMatchObject({
      status: 'open',
      startedAt: T0 + 12_000,
    });
  });

  it('merges a retransmitted Start into the running session', () => {
    const running = fold(
      { status: 'start' },
      { status: 'interim', receivedAt: T0 + 300_000, sessionTime: 300, inputOctets: 5000 },
    );
    const again = applyToSession(running, entry({ status: 'start', receivedAt: T0 + 2_000, delaySeconds: 2 }));
    expect(again).toMatchObject({ status: 'open', startedAt: T0, inputOctets: 5000 });
  });

  it('reopens a session the sweep closed when it turns out alive, and records the real Stop', () => {
    const swept: SessionRow = {
      ...fold({ status: 'start', interimInterval: 60 }),
      status: 'closed',
      closedAt: T0 + 200_000,
      closeReason: 'stale',
    };
    const alive = applyToSession(swept, entry({ status: 'interim', receivedAt: T0 + 240_000, sessionTime: 240 }));
    expect(alive).toMatchObject({ status: 'open', closedAt: null, closeReason: null });
    const stopAfterSweep = applyToSession(
      swept,
      entry({ status: 'stop', receivedAt: T0 + 250_000, sessionTime: 250, inputOctets: 7 }),
    );
    expect(stopAfterSweep).toMatchObject({
      status: 'closed',
      closeReason: 'stop',
      closedAt: T0 + 250_000,
      inputOctets: 7,
    });
  });
});

describe('closeForNasRestart', () => {
  it('closes sessions that started before Accounting-On, not those that started after', () => {
    const before = fold({ status: 'start' });
    const after = fold({ status: 'start', receivedAt: T0 + 120_000 });
    const on = entry({ status: 'on', sessionId: undefined, receivedAt: T0 + 60_000 });
    expect(closeForNasRestart(before, on)).toMatchObject({
      status: 'closed',
      closeReason: 'nas-on',
      closedAt: T0 + 60_000,
    });
    expect(closeForNasRestart(after, on)).toBe(after);
    const off = entry({ status: 'off', sessionId: undefined, receivedAt: T0 + 60_000 });
    expect(closeForNasRestart(before, off).closeReason).toBe('nas-off');
  });
});

describe('applyClose', () => {
  it('closes an open session unless the NAS was heard from after the decision', () => {
    const open = fold({ status: 'start' });
    const close = toSpoolEntry({ nasId: 'nas-1', sessionId: 'S1', status: 'start', receivedAt: T0 + 1_000 });
    const decided = {
      ...close,
      kind: 'close' as const,
      terminateCause: 'stale',
      attributes: { lastUpdateAt: open.updatedAt },
    };
    expect(applyClose(open, decided)).toMatchObject({ status: 'closed', closeReason: 'stale' });
    const heardFrom = { ...open, updatedAt: open.updatedAt + 500 };
    expect(applyClose(heardFrom, decided)).toBe(heardFrom);
    expect(applyClose(undefined, decided)).toBeUndefined();
  });
});

describe('staleAfterMs', () => {
  it('is factor × the session interim interval, or the default', () => {
    expect(staleAfterMs({ interimInterval: 60 }, 2.5, 300)).toBe(150_000);
    expect(staleAfterMs({ interimInterval: null }, 2.5, 300)).toBe(750_000);
  });
});
