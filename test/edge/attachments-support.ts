// Helpers for the attachment tests: raw (binary) uploads and a look into the object store.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestEdge } from '../support/edge-app.ts';

/** Every byte value, so any text decoding on the way would show. */
export const binary = new Uint8Array(4096).map((_, i) => (i * 7) & 0xff);

/** POSTs a raw body as a ticket attachment, bypassing the JSON helper. */
export async function upload(
  edge: TestEdge,
  token: string,
  ticketId: string,
  body: Uint8Array | string,
  contentType: string | undefined,
  query = '',
  headers: Record<string, string> = {},
) {
  const response = await edge.app.request(`/api/v1/tickets/${ticketId}/attachments${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
  };
}

/** Files in the object store's directory (the harness keeps objects under <dir>/objects/objects). */
export function storedFiles(edge: TestEdge): string[] {
  const root = join(edge.dir, 'objects', 'objects');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
