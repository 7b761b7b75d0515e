import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { HonoEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import {
  createSubscriberImport,
  findSubscriberImport,
  getSubscriberImport,
  listSubscriberImports,
  presentSubscriberImport,
} from '../services/subscriber-imports/manage-subscriber-imports.ts';
import { isStalled, runSubscriberImport } from '../services/subscriber-imports/run-subscriber-import.ts';
import { Cursor, IdParam, ListFormat, Pagination, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { locationHeader, problem } from './operation.ts';

/** The largest CSV accepted: a 100,000-subscriber Splynx export is about 15 MiB. */
export const maxImportBytes = 20 * 1024 * 1024;
/** Files up to this size are imported before the response (well under a second); larger ones after it. */
const inlineBytes = 64 * 1024;

const ImportError = z.object({
  row: z
    .number()
    .int()
    .nullable()
    .openapi({ description: 'Row as a spreadsheet numbers it (the header is row 1); null for the whole file' }),
  line: z.number().int().openapi({ description: 'Line of the file where the record starts' }),
  column: z
    .string()
    .nullable()
    .openapi({ description: 'The header cell of the offending column, as written in the file' }),
  message: z.string(),
});

const SubscriberImport = z
  .object({
    id: z.string(),
    status: z.enum(['validating', 'failed', 'importing', 'completed']),
    dry_run: z.boolean(),
    total_rows: z.number().int(),
    processed_rows: z.number().int(),
    error_count: z.number().int(),
    created_count: z.number().int(),
    ignored_columns: z.array(z.string()),
    created_by: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi('SubscriberImport');

const SubscriberImportDetail = SubscriberImport.extend({
  errors: z.array(ImportError),
  errors_next_cursor: z.string().nullable(),
}).openapi('SubscriberImportDetail');

// A job per row; ignored columns as one cell, "a; b". The row errors are on GET …/{id}.
const importCsvColumns = [
  'status',
  'dry_run',
  'total_rows',
  'processed_rows',
  'error_count',
  'created_count',
  'ignored_columns',
  'created_by',
  'created_at',
  'started_at',
  'finished_at',
  'id',
] as const;

const csvTypes = new Set(['text/csv', 'application/csv']);

/**
 * Workers end an invocation when its response is sent unless told to wait for more work;
 * a Node process simply runs on. Hono's `executionCtx` throws where the runtime gave none.
 */
function continueAfterResponse(c: Context<HonoEnv>, task: Promise<void>) {
  let executionCtx: Context['executionCtx'] | undefined;
  try {
    executionCtx = c.executionCtx;
  } catch {
    executionCtx = undefined;
  }
  const settled = task.catch((error: unknown) =>
    c.get('log').error('background task failed', { error: error instanceof Error ? error.message : String(error) }),
  );
  executionCtx?.waitUntil(settled);
}

const importLocation = (id: string) => `/api/v1/subscriber-imports/${id}`;

const router = createRouter();
// Before authentication and the idempotency check, which read the body.
router.use(
  '/api/v1/subscriber-imports',
  bodyLimit({
    maxSize: maxImportBytes,
    onError: () => {
      throw new AppError(
        'payload_too_large',
        `import files are limited to ${maxImportBytes / 1024 / 1024} MiB; split the file`,
      );
    },
  }),
);

export const subscriberImportsRouter = router
  .openapi(
    tenantRoute(
      'subscribers:write',
      {
        method: 'post',
        path: '/api/v1/subscriber-imports',
        operationId: 'createSubscriberImport',
        summary: 'Import subscribers from CSV',
        tags: ['subscribers'],
        description:
          'Starts a job that validates every row, then creates all subscribers in one transaction, or none if any ' +
          'row fails. Columns are documented in the README (Subscriber import). Small files finish before the ' +
          'response; poll the job otherwise.',
        request: {
          query: z.object({
            dry_run: z
              .enum(['true', 'false'])
              .transform((v) => v === 'true')
              .optional(),
          }),
          body: {
            required: true,
            content: {
              'text/csv': {
                schema: z.string().openapi({ description: 'UTF-8 CSV with a header row, at most 20 MiB' }),
              },
            },
          },
        },
        responses: {
          202: {
            ...json(SubscriberImport, 'The job, in whatever state it reached (Location names it)'),
            headers: locationHeader,
          },
          413: problem('The file is over 20 MiB'),
          415: problem('The body is not text/csv'),
        },
      },
      {
        status: 202,
        location: importLocation,
        present: async (ctx, id) => presentSubscriberImport(await findSubscriberImport(ctx, id)),
      },
    ),
    async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!csvTypes.has(type)) throw new AppError('unsupported_media_type', 'send the file as text/csv (UTF-8)');
      const csv = await c.req.text();
      // Invalid UTF-8 decodes to U+FFFD: a file saved in a legacy code page would import mangled names.
      if (csv.includes('\uFFFD'))
        throw new AppError('unprocessable', 'the file is not valid UTF-8; save it as "CSV UTF-8"');
      const ctx = c.get('tenantCtx');
      const job = await createSubscriberImport({ ctx, input: { csv, dryRun: c.req.valid('query').dry_run ?? false } });
      const run = runSubscriberImport({ ctx, jobId: job.id });
      if (csv.length <= inlineBytes) await run;
      else continueAfterResponse(c, run);
      return c.json(presentSubscriberImport(await findSubscriberImport(ctx, job.id)), 202, {
        location: importLocation(job.id),
      });
    },
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscriber-imports',
      operationId: 'listSubscriberImports',
      summary: 'List subscriber import jobs',
      tags: ['subscribers'],
      request: { query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(SubscriberImport, 'Import jobs, newest first') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listSubscriberImports, {
        filename: 'subscriber-imports.csv',
        columns: importCsvColumns,
        row: (job) => ({
          ...job,
          ignored_columns: job.ignored_columns.join('; '),
        }),
      }),
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscriber-imports/{id}',
      operationId: 'getSubscriberImport',
      summary: 'Get an import job and its row errors',
      tags: ['subscribers'],
      description:
        'Progress and row errors (paginated). A job whose run stopped (a restart) is started again by this read.',
      request: {
        params: IdParam,
        query: z.object({
          errors_limit: z.coerce.number().int().min(1).max(1000).default(100),
          errors_cursor: Cursor.optional().openapi({
            description: 'Opaque: the errors_next_cursor of the previous read',
            type: 'string',
          }),
        }),
      },
      responses: { 200: json(SubscriberImportDetail, 'The job and a page of its errors') },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      const { id } = c.req.valid('param');
      const job = await findSubscriberImport(ctx, id);
      if (isStalled(job, ctx.platform.now())) {
        ctx.log.warn('resuming a stalled subscriber import', { subscriber_import: id, attempts: job.attempts });
        continueAfterResponse(c, runSubscriberImport({ ctx, jobId: id }));
      }
      return c.json(await getSubscriberImport({ ctx, input: { id, ...c.req.valid('query') } }), 200);
    },
  );
