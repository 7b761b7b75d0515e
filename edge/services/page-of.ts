import { fromBase64Url, toBase64Url, utf8 } from '../lib/encoding.ts';
import { AppError } from '../errors.ts';

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

/** The sort key of a row ordered by several columns: their values as a JSON array. */
export const tupleKey = (values: readonly (string | number)[]): string => JSON.stringify(values);

/**
 * The values inside a tupleKey whose types are `shape` (a cursor the route decoded), or a 400
 * naming `path`: a key of another list, or one built by hand, is not a position in this one.
 */
export function tupleOf(key: string, shape: readonly ('string' | 'number')[], path = 'cursor') {
  let values: unknown;
  try {
    values = JSON.parse(key);
  } catch {
    values = null;
  }
  const fits =
    Array.isArray(values) &&
    values.length === shape.length &&
    values.every((v, i) => (shape[i] === 'number' ? Number.isSafeInteger(v) : typeof v === 'string'));
  if (!fits) {
    throw new AppError('validation_failed', 'not a cursor this API returned', {
      errors: [{ path, message: 'not a cursor this API returned' }],
    });
  }
  return values as (string | number)[];
}
