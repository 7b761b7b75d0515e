import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../../edge/lib/ids.ts';

const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('carries the millisecond, version 7 and the RFC 9562 variant', () => {
    const id = uuidv7(Date.UTC(2031, 0, 15));
    expect(id).toMatch(shape);
    expect(Number.parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(Date.UTC(2031, 0, 15));
  });

  it('sorts ids made in the same millisecond in the order they were made', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7(1_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => shape.test(id))).toBe(true);
  });

  it(
    'keeps each millisecond in order while other milliseconds interleave (a fixed request instant beside the wall ' +
      'clock)',
    () => {
      const fixed: string[] = [];
      for (let i = 0; i < 2_000; i++) {
        fixed.push(uuidv7(5_000));
        uuidv7(6_000 + (i % 3));
      }
      expect([...fixed].sort()).toEqual(fixed);
    },
  );

  it('orders by time across milliseconds', () => {
    expect(uuidv7(2_000) < uuidv7(2_001)).toBe(true);
    expect(uuidv7(2_002) > uuidv7(2_001)).toBe(true);
  });
});
