import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { assertObjectKey, type ObjectStorage } from '../lib/object-storage.ts';
import { uuidv7 } from '../lib/ids.ts';

/**
 * Object storage in a directory: the bytes of key K at `objects/K`, its metadata at
 * `meta/K.json`. Writes go to a temporary file in `tmp/` (same file system), are synced,
 * then renamed into place, so a reader sees a whole object or none. Metadata is written
 * before the object and removed after it, so a visible object always has its metadata.
 */
export function createDirectoryStorage(root: string): ObjectStorage {
  const base = resolve(root);
  const within = (tree: 'objects' | 'meta', key: string, suffix = '') => {
    assertObjectKey(key);
    const treeRoot = join(base, tree);
    const path = resolve(treeRoot, `${key}${suffix}`);
    // Keys are validated to be traversal-free; this is the second lock on the same door.
    if (!path.startsWith(treeRoot + sep))
      throw new Error(`object key escapes the storage directory: ${JSON.stringify(key)}`);
    return path;
  };

  async function writeAtomically(path: string, data: Uint8Array | string) {
    const tmpDir = join(base, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(tmpDir, uuidv7());
    try {
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  return {
    async put(key, body, { contentType }) {
      const objectPath = within('objects', key);
      await writeAtomically(within('meta', key, '.json'), JSON.stringify({ contentType }));
      await writeAtomically(objectPath, body);
    },
    async get(key) {
      const objectPath = within('objects', key);
      const info = await stat(objectPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (!info?.isFile()) return null;
      const meta = JSON.parse(await readFile(within('meta', key, '.json'), 'utf8')) as { contentType: string };
      return {
        body: Readable.toWeb(createReadStream(objectPath)) as ReadableStream<Uint8Array>,
        contentType: meta.contentType,
        size: info.size,
      };
    },
    async delete(key) {
      await rm(within('objects', key), { force: true });
      await rm(within('meta', key, '.json'), { force: true });
    },
  };
}
