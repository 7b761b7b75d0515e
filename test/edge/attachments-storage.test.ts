// The Node object store: a directory, atomic writes, keys that cannot leave it.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertObjectKey, tenantObjectKey } from '../../edge/lib/object-storage.ts';
import { createDirectoryStorage } from '../../edge/node/directory-storage.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const freshStore = () => {
  const dir = mkdtempSync(join(tmpdir(), 'objects-'));
  dirs.push(dir);
  return { dir, store: createDirectoryStorage(join(dir, 'store')) };
};
const bytes = (text: string) => new TextEncoder().encode(text);
const read = async (stream: ReadableStream<Uint8Array>) =>
  new TextDecoder().decode(await new Response(stream).arrayBuffer());

describe('directory object storage', () => {
  it('puts, gets with metadata, replaces and deletes', async () => {
    const { store } = freshStore();
    const key = tenantObjectKey('tenant-1', 'tickets', 't1', 'a1');
    expect(await store.get(key)).toBeNull();
    await store.put(key, bytes('hello'), { contentType: 'text/plain' });
    const got = await store.get(key);
    expect(got).toMatchObject({ contentType: 'text/plain', size: 5 });
    expect(await read(got!.body)).toBe('hello');

    await store.put(key, bytes('{"a":1}'), { contentType: 'application/json' });
    const replaced = await store.get(key);
    expect(replaced).toMatchObject({ contentType: 'application/json', size: 7 });
    expect(await read(replaced!.body)).toBe('{"a":1}');

    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    await store.delete(key);
  });

  it('leaves no temporary files behind and writes whole files only', async () => {
    const { dir, store } = freshStore();
    const big = new Uint8Array(3 * 1024 * 1024).fill(7);
    await Promise.all([0, 1, 2, 3].map((i) => store.put(`tenants/t/k${i}`, big, { contentType: 'application/pdf' })));
    expect(readdirSync(join(dir, 'store', 'tmp'))).toEqual([]);
    for (const i of [0, 1, 2, 3]) expect((await store.get(`tenants/t/k${i}`))!.size).toBe(big.length);
  });

  it('refuses keys that could escape the directory or are not plain segments', async () => {
    const { dir, store } = freshStore();
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    const evil = [
      '../secret.txt',
      'tenants/../../secret.txt',
      '/etc/passwd',
      'tenants//x',
      'tenants/./x',
      'tenants/.hidden',
      'a\\..\\b',
      'a/b/',
      '',
      'tenants/x%2F..',
      'a\0b',
      'x'.repeat(513),
    ];
    for (const key of evil) {
      expect(() => assertObjectKey(key), key).toThrow(/invalid object key/);
      await expect(store.get(key), key).rejects.toThrow(/invalid object key/);
      await expect(store.put(key, bytes('x'), { contentType: 'text/plain' }), key).rejects.toThrow(
        /invalid object key/,
      );
      await expect(store.delete(key), key).rejects.toThrow(/invalid object key/);
    }
    expect(() => tenantObjectKey('t', '..', 'other')).toThrow(/invalid object key/);
    expect(tenantObjectKey('0192f0c0-0000-7000-8000-000000000000', 'tickets', 'a.b_c-d')).toBe(
      'tenants/0192f0c0-0000-7000-8000-000000000000/tickets/a.b_c-d',
    );
  });
});
