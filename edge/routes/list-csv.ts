// "CSV export of any list view": a list route takes `?format=csv` and answers with every
// row its filters match, in its order, by walking its own cursor pages. The download is
// streamed one page at a time (issue 13 D10: 100k rows built as one string did not fit a
// Worker's 128 MB), so memory stays at about one page whatever the list's length.
import type { Context, TypedResponse } from 'hono';
import type { HonoEnv, TenantContext } from '../context.ts';
import { csvHeader, csvRow } from '../lib/csv.ts';
import { decodeCursor } from '../services/page-of.ts';

export type ListPage<T> = { data: T[]; next_cursor: string | null };

/** A page with each row reshaped for the CSV (a nested value spread over cells of its own). */
async function mapPage<T, U>(page: Promise<ListPage<T>>, row: (record: T) => U): Promise<ListPage<U>> {
  const { data, next_cursor } = await page;
  return { data: data.map(row), next_cursor };
}

/**
 * The download as the route's types see it: a 200 whose JSON body can never occur (`never`
 * fits the JSON page the route declares). The document declares text/csv instead
 * (operation.ts withCsvDownloads), so the typed client keeps the JSON page as the body of a
 * 200 and does not make every list's body a union with a string.
 */
type CsvResponse = Response & TypedResponse<never, 200, 'json'>;

/** Pages of this size while exporting: large enough to be few queries, small enough to stay cheap. */
export const csvPageSize = 1000;

/**
 * Every page of a cursor-paginated list (`fetchPage(sort key)`, the key decoded from the
 * page's next_cursor) as a CSV download. The first
 * page is read before answering, so a bad filter is still a problem response; the rest are
 * read as the client takes the body. The stream holds its own lease on the tenant database,
 * since the body outlives the request's, and gives it back at the end, on an error or when
 * the client goes away. An error after the first page can only cut the download short: it
 * is logged, and the body ends without its final CRLF-terminated rows.
 */
export async function csvDownload<T extends Readonly<Record<K, unknown>>, K extends string>(
  c: Context<HonoEnv>,
  filename: string,
  columns: readonly K[],
  fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>,
): Promise<CsvResponse> {
  const ctx = c.get('tenantCtx');
  const encoder = new TextEncoder();
  const rows = (page: ListPage<T>) =>
    encoder.encode(page.data.map((record) => csvRow(columns.map((column) => record[column]))).join(''));
  const first = await fetchPage(undefined);
  let cursor = first.next_cursor;
  const lease = cursor === null ? null : await c.get('platform').databases.leaseTenant(ctx.tenant.slug);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    lease?.release();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(new Uint8Array([...encoder.encode(csvHeader(columns)), ...rows(first)]));
        if (cursor === null) {
          controller.close();
          release();
        }
      },
      async pull(controller) {
        try {
          const page = await fetchPage(decodeCursor(cursor!)!);
          controller.enqueue(rows(page));
          cursor = page.next_cursor;
          if (cursor === null) {
            controller.close();
            release();
          }
        } catch (error) {
          release();
          ctx.log.error('csv export stopped', {
            file: filename,
            error: error instanceof Error ? error.message : String(error),
          });
          controller.error(error);
        }
      },
      cancel: release,
    },
    { highWaterMark: 0 },
  );
  return c.body(body, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
  }) as unknown as CsvResponse;
}

/**
 * A list route's answer: its JSON page, or with `format=csv` every page as the CSV download
 * (`row` reshapes a record for the CSV where its fields are not the columns as they are).
 */
export async function listOrCsv<
  I extends { cursor?: string | undefined },
  T,
  R extends Readonly<Record<K, unknown>>,
  K extends string,
>(
  c: Context<HonoEnv>,
  query: I & { limit: number; format: 'json' | 'csv' },
  list: (args: { ctx: TenantContext; input: I & { limit: number } }) => Promise<ListPage<T>>,
  csv: { filename: string; columns: readonly K[]; row?: (record: T) => R },
) {
  const ctx = c.get('tenantCtx');
  const { format, ...input } = query;
  if (format === 'csv') {
    const { row } = csv;
    return csvDownload(c, csv.filename, csv.columns, (cursor) => {
      const page = list({ ctx, input: { ...(input as unknown as I), limit: csvPageSize, cursor } });
      return row ? mapPage(page, row) : (page as unknown as Promise<ListPage<R>>);
    });
  }
  return c.json(await list({ ctx, input: input as unknown as I & { limit: number } }), 200);
}
