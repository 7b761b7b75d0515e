import { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors.ts';
import { getUsage } from '../services/usage/get-usage.ts';
import { recordUsage } from '../services/usage/record-usage.ts';
import { resetQuota } from '../services/usage/reset-quota-holds.ts';
import { maxUsageBatch, UsageRecordInput } from '../services/usage/usage-input.ts';
import { IdParam, body, createRouter, json, tenantRoute } from './common.ts';
import { Instant } from './money-schemas.ts';

// 5,000 records of up to ~300 bytes each (ids up to 200 characters) exceed the app's 1 MiB default.
export const maxUsageBatchBytes = 4 * 1024 * 1024;

const UsageBatch = z
  .strictObject({
    // Each record is checked on its own (see UsageRecordInput): a bad one is reported in
    // `rejected`, not a 400 for the whole batch, so items are only typed in the document.
    records: z
      .array(z.unknown().openapi({ anyOf: [{ $ref: '#/components/schemas/UsageRecordInput' }] }))
      .min(1)
      .max(maxUsageBatch),
  })
  .openapi('UsageBatch');

const UsageBatchResult = z
  .object({
    accepted: z.number().int().openapi({ description: 'Records stored and counted now' }),
    duplicates: z
      .number()
      .int()
      .openapi({
        description:
          'Records whose id was seen before (in an earlier batch or earlier in this one): nothing changed, even if ' +
          'their numbers differ',
      }),
    rejected: z
      .array(z.object({ index: z.number().int(), id: z.string().nullable(), message: z.string() }))
      .openapi({ description: 'Rows not stored, by their index in `records`' }),
  })
  .openapi('UsageBatchResult');

const Instantish = z.string().nullable();
const QuotaBucket = z
  .object({
    subscription_id: z.string(),
    bucket_id: z.string().nullable().openapi({ description: 'Null while nothing was recorded in the period' }),
    period_start: z.string(),
    period_end: z.string(),
    unmetered: z.boolean(),
    included_bytes: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The offer's volume prorated by the active part of the period; null when unmetered" }),
    used_bytes: z.number().int(),
    remaining_bytes: z.number().int().nullable(),
    overage_bytes: z.number().int(),
    percent: z.number().nullable().openapi({ description: 'used / included in percent, two decimals, rounded down' }),
    warned_80_at: Instantish,
    warned_90_at: Instantish,
    exhausted_at: Instantish,
    reset_at: Instantish,
    rated_at: Instantish.openapi({ description: 'When the overage of the closed period was put on the next invoice' }),
  })
  .openapi('QuotaBucket');

const QuotaReset = z
  .object({
    subscription_id: z.string(),
    restored: z
      .boolean()
      .openapi({ description: 'Whether a fair-usage throttle was lifted now (false when none was open)' }),
    buckets_reset: z.number().int(),
    current: QuotaBucket.nullable(),
  })
  .openapi('QuotaReset');

const router = createRouter();
router.openAPIRegistry.register('UsageRecordInput', UsageRecordInput);
// Before authentication and the idempotency check, which read the body.
router.use(
  '/api/v1/usage-records',
  bodyLimit({
    maxSize: maxUsageBatchBytes,
    onError: () => {
      throw new AppError(
        'payload_too_large',
        `usage batches are limited to ${maxUsageBatchBytes / 1024 / 1024} MiB; send smaller batches`,
      );
    },
  }),
);

export const usageRouter = router
  .openapi(
    tenantRoute('network:write', {
      method: 'post',
      path: '/api/v1/usage-records',
      operationId: 'reportUsage',
      summary: 'Report usage (RADIUS accounting)',
      tags: ['usage'],
      description:
        `1–${maxUsageBatch} records, each naming its subscription by \`subscription_id\` or by ` +
        `\`username\` (the RADIUS login). Idempotent by record id. Not all-or-nothing: each bad row (invalid, ` +
        `unknown subscription or username, never activated) is reported in \`rejected\` with its index and every ` +
        `good row is stored, all in one transaction. Each record counts towards the quota bucket of the billing ` +
        `period containing its end; crossing 80 % and 90 % records \`usage.quota_warning\` once each, 100 % ` +
        `records \`usage.quota_exhausted\` and throttles the subscription (fair-usage hold).`,
      request: { body: body(UsageBatch) },
      responses: { 200: json(UsageBatchResult, 'What was stored, skipped as duplicate and rejected') },
    }),
    async (c) => c.json(await recordUsage({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 200),
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscriptions/{id}/usage',
      operationId: 'getSubscriptionUsage',
      summary: "Get a subscription's usage and quota",
      tags: ['usage'],
      description: 'The quota bucket of the period containing `period_start` (any instant of the period; default now).',
      request: { params: IdParam, query: z.object({ period_start: Instant.optional() }) },
      responses: { 200: json(QuotaBucket, 'The period, its volume and the thresholds reached') },
    }),
    async (c) =>
      c.json(
        await getUsage({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, period_start: c.req.valid('query').period_start },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/subscriptions/{id}/quota-reset',
      operationId: 'resetQuota',
      summary: 'Reset or top up the data quota',
      tags: ['usage'],
      description:
        'Lifts the fair-usage throttle, exactly once: a second reset finds nothing to lift (`restored: false`). The ' +
        'period keeps its numbers and does not throttle again; the next period starts afresh.',
      request: { params: IdParam },
      responses: { 200: json(QuotaReset, 'What the reset did') },
    }),
    async (c) => c.json(await resetQuota({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  );
