import { assertObjectKey, type ObjectStorage } from './object-storage.ts';

/** Object storage in an R2 bucket (Workers binding). R2 writes are atomic per object. */
export function createR2Storage(bucket: R2Bucket): ObjectStorage {
  return {
    async put(key, body, { contentType }) {
      assertObjectKey(key);
      await bucket.put(key, body, { httpMetadata: { contentType } });
    },
    async get(key) {
      assertObjectKey(key);
      const object = await bucket.get(key);
      if (!object) return null;
      return {
        body: object.body,
        contentType: object.httpMetadata?.contentType ?? 'application/octet-stream',
        size: object.size,
      };
    },
    async delete(key) {
      assertObjectKey(key);
      await bucket.delete(key);
    },
  };
}
