// Object storage behind one interface: a directory on Node (edge/node/directory-storage.ts),
// R2 on Workers (edge/lib/r2-storage.ts). Keys are built by the server, never taken from
// clients, and every key of a tenant starts with `tenants/<tenant id>/`, so tenants never
// share objects however a key is guessed.

export type StoredObject = {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  size: number;
};

export type ObjectStorage = {
  /** Stores `body` under `key`, replacing any object there; readers see the old or the new object, never a part. */
  put(key: string, body: Uint8Array, options: { contentType: string }): Promise<void>;
  /** The object as a stream with its metadata, or null when there is none. */
  get(key: string): Promise<StoredObject | null>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
};

const segment = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * Throws unless `key` is slash-separated segments of letters, digits, `.`, `_`, `-`
 * (no empty, `.` or `..` segments, nothing starting with a dot), at most 512 characters:
 * keys then map to file paths and R2 keys alike without escaping or traversal.
 */
export function assertObjectKey(key: string): void {
  const parts = key.split('/');
  if (key.length > 512 || !parts.every((part) => segment.test(part)))
    throw new Error(`invalid object key ${JSON.stringify(key)}`);
}

/** The key of an object of a tenant: always under the tenant's own prefix. */
export function tenantObjectKey(tenantId: string, ...parts: string[]): string {
  const key = ['tenants', tenantId, ...parts].join('/');
  assertObjectKey(key);
  return key;
}
