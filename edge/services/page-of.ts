import { fromBase64Url, toBase64Url, utf8 } from '../lib/encoding.ts';

// Every list hands out opaque cursors (issue 13 "one list helper"): base64url of the last
// row's sort key, so clients follow next_cursor instead of building one from an id, and a
// list may change its sort key without breaking them. Routes decode with `Pagination`
// (routes/common.ts), so services see their own key.

export const encodeCursor = (key: string): string => toBase64Url(utf8(key));

/** The sort key inside a cursor this API returned, or null for anything else. */
export function decodeCursor(cursor: string): string | null {
  try {
    const key = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(fromBase64Url(cursor));
    return encodeCursor(key) === cursor ? key : null;
  } catch {
    return null;
  }
}

/**
 * A list page from rows fetched with `limit + 1`: the extra row only says that more
 * follow, and the cursor is the last returned row's sort key.
 */
export function pageOf<R, T>(rows: readonly R[], limit: number, present: (row: R) => T, cursorOf: (row: R) => string) {
  const page = rows.slice(0, limit);
  return { data: page.map(present), next_cursor: rows.length > limit ? encodeCursor(cursorOf(page.at(-1)!)) : null };
}
