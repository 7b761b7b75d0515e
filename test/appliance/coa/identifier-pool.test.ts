import { describe, expect, it } from 'vitest';
import { createIdentifierPool } from '../../../appliance/radius/coa/identifier-pool.ts';

describe('identifier pool', () => {
  it('hands out all 256 identifiers once, then makes the next request wait for a release', async () => {
    const pool = createIdentifierPool();
    const ids = await Promise.all(Array.from({ length: 256 }, () => pool.acquire()));
    expect(new Set(ids).size).toBe(256);
    let waited: number | undefined;
    const waiting = pool.acquire().then((id) => (waited = id));
    await new Promise((resolve) => setImmediate(resolve));
    expect(waited).toBeUndefined();
    pool.release(ids[100] ?? -1);
    expect(await waiting).toBe(ids[100]);
  });

  it('goes round-robin: a released identifier comes back only after every other free one', async () => {
    const pool = createIdentifierPool();
    const first = await pool.acquire();
    pool.release(first);
    const seen = [];
    for (let index = 0; index < 255; index++) {
      const id = await pool.acquire();
      seen.push(id);
      pool.release(id);
    }
    expect(seen).not.toContain(first);
    expect(new Set(seen).size).toBe(255);
    expect(await pool.acquire()).toBe(first);
  });

  it('refuses to release an identifier that is not in flight', () => {
    expect(() => createIdentifierPool().release(7)).toThrow(/not in flight/);
  });
});
