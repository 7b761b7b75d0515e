// "CSV export of any list view": a list route takes `?format=csv` and answers with every
// row its filters match, in its order, by walking its own cursor pages.
import type { Context } from 'hono';
import { toCsv } from '../lib/csv.ts';

export type ListPage<T> = { data: T[]; next_cursor: string | null };

/** Reads every page of a cursor-paginated list (`fetchPage(cursor)`) and writes it as CSV. */
export async function csvOfAllPages<T extends Readonly<Record<K, unknown>>, K extends string>(
  columns: readonly K[],
  fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>,
): Promise<string> {
  const records: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    records.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return toCsv(columns, records);
}

/** A CSV download: text/csv, and a file name for the browser. */
export const csvAttachment = (c: Context, filename: string, csv: string) =>
  c.body(csv, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` });

/** Pages of this size while exporting: large enough to be few queries, small enough to stay cheap. */
export const csvPageSize = 1000;
