import { z } from '@hono/zod-openapi';
import { collectionCaseKinds } from '../../db/tenant/index.ts';
import { listCases } from '../services/collections/manage-cases.ts';
import {
  getCollectionRun,
  listCollectionRunActions,
  listCollectionRuns,
  runCollections,
} from '../services/collections/run-collections.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { Instant } from './money-schemas.ts';
import { locationHeader } from './operation.ts';

const runLocation = (id: string) => `/api/v1/collections/runs/${id}`;

const actionNames = [
  'mark_overdue',
  'notify',
  'throttle',
  'suspend',
  'reject',
  'low_balance',
  'cancel',
  'restore',
] as const;

const CollectionAction = z
  .object({
    subscriber_id: z.string(),
    subscription_id: z.string().optional().openapi({ description: 'The subscription held, restored or canceled' }),
    invoice_id: z.string().optional().openapi({ description: 'The invoice marked overdue' }),
    action: z.enum(actionNames),
    reason: z.enum(collectionCaseKinds),
    step: z
      .number()
      .int()
      .optional()
      .openapi({
        description:
          'Overdue: the day offset of the dunning step executed; prepaid: the stage (0 low balance, 1 suspended, 2 ' +
          'canceled)',
      }),
  })
  .openapi('CollectionAction');

const CollectionRun = z
  .object({
    id: z.string(),
    as_of: z.string(),
    actions: z.array(CollectionAction).openapi({ description: 'The first 100, in the order taken' }),
    actions_next_cursor: z
      .string()
      .nullable()
      .openapi({ description: 'Set when it took more than 100: the cursor of GET …/runs/{id}/actions' }),
    created_by: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('CollectionRun');

const CollectionRunSummary = z
  .object({
    id: z.string(),
    as_of: z.string(),
    action_counts: z.record(z.string(), z.number().int()).openapi({ description: 'Actions taken, by action' }),
    created_by: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('CollectionRunSummary');

const CollectionCase = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    kind: z.enum(collectionCaseKinds),
    status: z.enum(['open', 'closed']),
    step: z.number().int().nullable(),
    action: z
      .enum([...actionNames.filter((a) => a !== 'mark_overdue' && a !== 'restore')] as [
        'notify',
        'throttle',
        'suspend',
        'reject',
        'low_balance',
        'cancel',
      ])
      .nullable(),
    opened_at: z.string(),
    last_action_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    close_reason: z.string().nullable(),
    updated_at: z.string(),
  })
  .openapi('CollectionCase');

const CaseFilter = z.object({
  subscriber_id: z.uuid().optional(),
  status: z.enum(['open', 'closed']).optional(),
  kind: z.enum(collectionCaseKinds).optional(),
});

// A run's row counts each action in a column of its own.
const runCsvColumns = ['as_of', ...actionNames, 'created_by', 'created_at', 'id'] as const;
const actionCsvColumns = ['action', 'reason', 'step', 'subscriber_id', 'subscription_id', 'invoice_id'] as const;
const countsByAction = (counts: Readonly<Record<string, number>>) =>
  Object.fromEntries(actionNames.map((name) => [name, counts[name] ?? 0])) as Record<
    (typeof actionNames)[number],
    number
  >;
const caseCsvColumns = [
  'kind',
  'status',
  'subscriber_id',
  'step',
  'action',
  'opened_at',
  'last_action_at',
  'closed_at',
  'close_reason',
  'updated_at',
  'id',
] as const;

const runDescription = [
  'Collects up to `as_of` (not in the future), in the tenant time zone:',
  '1. issued or partially paid invoices with a balance due and `due_at` ≤ `as_of` become `overdue` ' +
    '(`invoice.overdue`);',
  '2. dunning, per subscriber with overdue invoices: overdue days = the most whole local days any overdue invoice is ' +
    "past its due date, minus the grace days (the subscriber's `grace_days` when above 0, else the policy " +
    "set's). The highest ladder step reached that is above the open `overdue` case's step is executed (lower " +
    'ones skipped; steps only move up). The ladder is that of the policy set of the offers of the subscriptions ' +
    'billed on the overdue invoices; when they differ, the strictest (the one suspending soonest, grace ' +
    'included). `notify` records `subscriber.dunning_notice`; `throttle`, `suspend` and `reject` hold exactly ' +
    "those subscriptions (throttle notes name the tenant's throttle profile). An open case with nothing overdue " +
    'left is closed and its holds lifted;',
  '3. prepaid enforcement, only when the local hour of `as_of` is inside the enforcement window: a subscriber whose ' +
    'available balance (credit − open balance due) is below its `min_balance` gets a `prepaid` case and ' +
    "`subscriber.low_balance`, its prepaid subscriptions are suspended after the policy set's " +
    '`prepaid_grace_days` from the case opening and canceled `prepaid_deactivation_days` after the suspension. A ' +
    'case whose subscriber is back at the minimum is closed and the hold lifted (at any hour).',
  'Running it again for the same `as_of`, or two at once, takes no action twice.',
].join('\n');

export const collectionsRouter = createRouter()
  .openapi(
    tenantRoute(
      'billing:write',
      {
        method: 'post',
        path: '/api/v1/collections/runs',
        operationId: 'createCollectionsRun',
        summary: 'Run collections up to an instant',
        tags: ['billing'],
        description: runDescription,
        request: { body: body(z.strictObject({ as_of: Instant }).openapi('CollectionRunCreate')) },
        responses: { 201: { ...json(CollectionRun, 'What this run did'), headers: locationHeader } },
      },
      {
        status: 201,
        location: runLocation,
        present: (ctx, id) => getCollectionRun({ ctx, input: { id } }),
      },
    ),
    async (c) => {
      const run = await runCollections({ ctx: c.get('tenantCtx'), input: c.req.valid('json') });
      return c.json(run, 201, { location: runLocation(run.id) });
    },
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/collections/runs',
      operationId: 'listCollectionsRuns',
      summary: 'List collections runs',
      tags: ['billing'],
      description: 'Newest first. `?format=csv`: one row per run, a column per action counting it.',
      request: { query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(CollectionRunSummary, 'Runs, newest first') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listCollectionRuns, {
        filename: 'collections-runs.csv',
        columns: runCsvColumns,
        row: (run) => ({
          ...run,
          ...countsByAction(run.action_counts),
        }),
      }),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/collections/runs/{id}',
      operationId: 'getCollectionsRun',
      summary: 'Get a collections run',
      tags: ['billing'],
      request: { params: IdParam },
      responses: { 200: json(CollectionRun, 'The run and its actions') },
    }),
    async (c) => c.json(await getCollectionRun({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/collections/runs/{id}/actions',
      operationId: 'listCollectionsRunActions',
      summary: "List a collections run's actions",
      tags: ['billing'],
      description: 'In the order taken.',
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(CollectionAction, 'Actions') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('query'), ...c.req.valid('param') }, listCollectionRunActions, {
        filename: 'collections-run-actions.csv',
        columns: actionCsvColumns,
        row: (a) => ({
          step: null,
          subscription_id: null,
          invoice_id: null,
          ...a,
        }),
      }),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/collections/cases',
      operationId: 'listDunningCases',
      summary: 'List dunning cases',
      tags: ['billing'],
      description: 'Collection cases (dunning `overdue`, `prepaid` low balance), newest first.',
      request: { query: Pagination.extend(CaseFilter.shape).extend(ListFormat.shape) },
      responses: { 200: listResponse(CollectionCase, 'Cases') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listCases, { filename: 'collections-cases.csv', columns: caseCsvColumns }),
  );
