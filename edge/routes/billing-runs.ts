import { z } from '@hono/zod-openapi';
import {
  getBillingRun,
  listBillingRunFailures,
  listBillingRuns,
  runBilling,
} from '../services/billing-runs/run-billing.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { Instant } from './money-schemas.ts';
import { locationHeader } from './operation.ts';

const runLocation = (id: string) => `/api/v1/billing-runs/${id}`;

const Failure = z.object({ subscription_id: z.string(), message: z.string() }).openapi('BillingRunFailure');
const failureCsvColumns = ['subscription_id', 'message'] as const;

const BillingRun = z
  .object({
    id: z.string(),
    as_of: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    invoices_created: z.number().int(),
    lines_created: z.number().int(),
    failures: z.array(Failure).openapi({
      description: 'Subscriptions that could not be priced, left for the next run: the first 100',
    }),
    failures_next_cursor: z
      .string()
      .nullable()
      .openapi({ description: 'Set when more than 100 failed: the cursor of GET /billing-runs/{id}/failures' }),
    created_by: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi('BillingRun');

// One row per run; its failures are a list of their own (GET …/{id}/failures).
const runCsvColumns = [
  'as_of',
  'status',
  'invoices_created',
  'lines_created',
  'created_by',
  'started_at',
  'finished_at',
  'id',
] as const;

export const billingRunsRouter = createRouter()
  .openapi(
    tenantRoute(
      'billing:write',
      {
        method: 'post',
        path: '/api/v1/billing-runs',
        operationId: 'createBillingRun',
        summary: 'Run billing up to an instant',
        tags: ['billing'],
        description:
          'Bills every active or suspended subscription whose next period starts at or before `as_of`: one line per ' +
          'period, one invoice per subscriber and period. Running it again for the same `as_of`, or two at once, ' +
          'creates nothing more.',
        request: { body: body(z.strictObject({ as_of: Instant }).openapi('BillingRunCreate')) },
        responses: { 201: { ...json(BillingRun, 'What this run created'), headers: locationHeader } },
      },
      {
        status: 201,
        location: runLocation,
        present: (ctx, id) => getBillingRun({ ctx, input: { id } }),
      },
    ),
    async (c) => {
      const run = await runBilling({ ctx: c.get('tenantCtx'), input: c.req.valid('json') });
      return c.json(run, 201, { location: runLocation(run.id) });
    },
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/billing-runs',
      operationId: 'listBillingRuns',
      summary: 'List billing runs',
      tags: ['billing'],
      description: 'Newest first (by start).',
      request: { query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(BillingRun, 'Runs, newest first') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listBillingRuns, { filename: 'billing-runs.csv', columns: runCsvColumns }),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/billing-runs/{id}',
      operationId: 'getBillingRun',
      summary: 'Get a billing run',
      tags: ['billing'],
      request: { params: IdParam },
      responses: { 200: json(BillingRun, 'The run') },
    }),
    async (c) => c.json(await getBillingRun({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/billing-runs/{id}/failures',
      operationId: 'listBillingRunFailures',
      summary: "List a billing run's failures",
      tags: ['billing'],
      description: 'The subscriptions the run could not bill, in the order it met them.',
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Failure, 'Failures') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('query'), ...c.req.valid('param') }, listBillingRunFailures, {
        filename: 'billing-run-failures.csv',
        columns: failureCsvColumns,
      }),
  );
