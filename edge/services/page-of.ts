/**
 * A list page from rows fetched with `limit + 1`: the extra row only says that more
 * follow, and the cursor is the last returned row's sort key.
 */
export function pageOf<R, T>(rows: readonly R[], limit: number, present: (row: R) => T, cursorOf: (row: R) => string) {
  const page = rows.slice(0, limit);
  return { data: page.map(present), next_cursor: rows.length > limit ? cursorOf(page.at(-1)!) : null };
}
