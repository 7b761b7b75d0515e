import { describe, expect, it } from 'vitest';
import { limitedLog } from '../../appliance/log-limiter.ts';
import { createLogger, redactValue } from '../../appliance/log.ts';

function capture(level: 'debug' | 'info' | 'warn' | 'error' | 'silent' = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level,
    sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    now: () => Date.UTC(2026, 0, 1),
  });
  return { log, lines };
}

describe('logger', () => {
  it('writes one JSON object per line with time, level, message and fields', () => {
    const { log, lines } = capture();
    log.info('accounting stored', { seq: 7, nas: 'bng-1' });
    expect(lines).toEqual([
      { time: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'accounting stored', seq: 7, nas: 'bng-1' },
    ]);
  });

  it('filters below its level', () => {
    const { log, lines } = capture('warn');
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((line) => line.msg)).toEqual(['c', 'd']);
    expect(log.isEnabled('info')).toBe(false);
    expect(log.isEnabled('error')).toBe(true);
  });

  it('carries bindings into child loggers', () => {
    const { log, lines } = capture();
    log.child({ worker: 2 }).child({ packetId: 17, nas: '192.0.2.1' }).debug('access-request');
    expect(lines[0]).toMatchObject({ worker: 2, packetId: 17, nas: '192.0.2.1', msg: 'access-request' });
  });

  it('never writes passwords, secrets or credential attributes', () => {
    const { log, lines } = capture();
    log.child({ secret: 'nas-secret' }).info('packet', {
      username: 'alice',
      password: 'hunter2',
      nas: { name: 'bng', secret: Buffer.from('s') },
      credentials: { cleartext: 'x' },
      attributes: [
        { name: 'User-Password', value: 'hunter2' },
        { name: 'CHAP-Password', value: 'abc' },
        { name: 'MS-CHAP2-Response', value: 'def' },
        { name: 'Calling-Station-Id', value: 'aa:bb' },
      ],
      packet: Buffer.alloc(40),
    });
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/hunter2|nas-secret|"abc"|"def"|cleartext/);
    expect(lines[0]).toMatchObject({
      username: 'alice',
      password: '[redacted]',
      secret: '[redacted]',
      packet: '<40 bytes>',
    });
    expect((lines[0]?.attributes as unknown[])[3]).toEqual({ name: 'Calling-Station-Id', value: 'aa:bb' });
  });

  it('serializes errors and survives values JSON cannot hold', () => {
    const { log, lines } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.error('failed', { error: new Error('disk full'), big: 2n ** 64n, cyclic });
    expect(lines[0]).toMatchObject({ error: { name: 'Error', message: 'disk full' }, big: '18446744073709551616' });
    expect(redactValue({ a: { b: { c: { d: { e: { f: { g: 1 } } } } } } })).toMatchObject({
      a: { b: { c: { d: { e: { f: '[depth]' } } } } },
    });
  });
});

describe('limitedLog', () => {
  it('logs the first line at once, counts repeats within the interval and reports the count with the next line', () => {
    const { log, lines } = capture();
    let clock = 0;
    const limited = limitedLog(log, 'warn', 10_000, () => clock);
    limited('spool unavailable', { nas: 'bng-1' });
    for (let index = 0; index < 500; index++) limited('spool unavailable', { nas: 'bng-1' });
    // Another message has its own interval.
    limited('owner restarting');
    clock = 9_999;
    limited('spool unavailable', { nas: 'bng-1' });
    clock = 10_000;
    limited('spool unavailable', { nas: 'bng-2' });
    clock = 20_000;
    limited('spool unavailable', { nas: 'bng-2' });
    expect(lines.map(({ level, msg, nas, suppressed }) => ({ level, msg, nas, suppressed }))).toEqual([
      { level: 'warn', msg: 'spool unavailable', nas: 'bng-1', suppressed: undefined },
      { level: 'warn', msg: 'owner restarting', nas: undefined, suppressed: undefined },
      { level: 'warn', msg: 'spool unavailable', nas: 'bng-2', suppressed: 501 },
      { level: 'warn', msg: 'spool unavailable', nas: 'bng-2', suppressed: undefined },
    ]);
  });
});
