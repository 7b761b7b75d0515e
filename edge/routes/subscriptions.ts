import { z } from '@hono/zod-openapi';
import {
  billingCycles,
  dunningActions,
  holdReasons,
  invoiceLineKinds,
  subscriptionStatuses,
} from '../../db/tenant/index.ts';
import { cancelSubscription } from '../services/subscriptions/cancel-subscription.ts';
import { changePlan, previewPlanChange } from '../services/subscriptions/change-plan.ts';
import {
  createSubscription,
  getSubscription,
  listSubscriptions,
  updateSubscription,
} from '../services/subscriptions/manage-subscriptions.ts';
import {
  activateSubscription,
  resumeSubscription,
  suspendSubscription,
} from '../services/subscriptions/subscription-lifecycle.ts';
import {
  IdParam,
  ListFormat,
  Pagination,
  TimeWindowQuery,
  body,
  createRouter,
  json,
  listResponse,
  tenantRoute,
} from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { Currency, Instant, LineTax, MinorUnits, NonNegativeMinorUnits } from './money-schemas.ts';

const Reason = z.string().trim().min(1).max(500);
const Username = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^\S+$/, 'must not contain spaces')
  .openapi({ description: 'The service line: its RADIUS login', example: 'ada@fiber' });
const PriceOverride = NonNegativeMinorUnits.openapi({ description: 'Replaces the offer’s price, in minor units' });

const ScheduledChange = z
  .object({
    id: z.string().optional(),
    offer_id: z.string(),
    effective_at: z.string(),
    currency: z.string().optional(),
    credit: z.number().int().optional(),
    charge: z.number().int().optional(),
    net: z.number().int().optional(),
  })
  .openapi('ScheduledPlanChange', {
    description:
      'The amounts (detail view only) are as previewed when it was scheduled; the billing run applies it with the ' +
      'amounts at effective_at',
  });

const subscriptionFields = {
  id: z.string(),
  subscriber_id: z.string(),
  offer_id: z.string(),
  status: z.enum(subscriptionStatuses),
  username: z.string().nullable(),
  currency: z.string(),
  price_override: z.number().int().nullable(),
  discount_id: z.string().nullable(),
  discount_cycles_used: z.number().int(),
  billing_cycle: z.enum(billingCycles),
  billing_anchor_day: z
    .number()
    .int()
    .nullable()
    .openapi({ description: 'Day of month (monthly, quarterly, annual) or ISO weekday (weekly); null for daily' }),
  billing_anchor_month: z.number().int().nullable(),
  start_at: z.string(),
  activated_at: z.string().nullable(),
  next_billing_at: z
    .string()
    .nullable()
    .openapi({ description: 'End of the last billed period: where the billing run continues' }),
  credit_basis: z.number().int().openapi({
    description:
      'What the customer paid per cycle for the current period; plan changes and cancellations credit it pro rata',
  }),
  scheduled_change: ScheduledChange.nullable(),
  suspended_at: z.string().nullable(),
  canceled_at: z.string().nullable(),
  ends_at: z.string().nullable(),
  cancel_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
};

const SubscriptionSummary = z.object(subscriptionFields).openapi('SubscriptionSummary');
const Subscription = z
  .object({
    ...subscriptionFields,
    open_holds: z.array(
      z.object({
        id: z.string(),
        reason: z.enum(holdReasons),
        action: z.enum(dunningActions),
        note: z.string().nullable(),
        placed_at: z.string(),
      }),
    ),
    addons: z.array(
      z.object({
        id: z.string(),
        addon_id: z.string(),
        quantity: z.number().int(),
        started_at: z.string(),
        ended_at: z.string().nullable(),
      }),
    ),
  })
  .openapi('Subscription');

const CreateSubscription = z
  .strictObject({
    subscriber_id: z.uuid(),
    offer_id: z.uuid(),
    start_at: Instant,
    billing_anchor_day: z.number().int().min(1).max(31).optional().openapi({
      description: 'Day of month, or ISO weekday 1–7 for weekly offers; defaults to the start’s local day',
    }),
    currency: Currency.optional().openapi({
      description: 'Defaults to the tenant’s currency; the offer needs a price in it',
    }),
    username: Username.nullish(),
    price_override: PriceOverride.nullish(),
    discount_id: z.uuid().nullish(),
    addons: z
      .array(z.strictObject({ addon_id: z.uuid(), quantity: z.number().int().min(1).max(1000).default(1) }))
      .max(50)
      .optional(),
  })
  .openapi('SubscriptionCreate');

const UpdateSubscription = z
  .strictObject({
    username: Username.nullish(),
    price_override: PriceOverride.nullish(),
    discount_id: z.uuid().nullish(),
  })
  .openapi('SubscriptionPatch', { description: 'A new price or discount applies from the next billed period' });

const SubscriptionFilter = z.object({
  subscriber_id: z.uuid().optional(),
  status: z.enum(subscriptionStatuses).optional(),
});

// The summary's scalar fields; a scheduled plan change as its offer and instant.
const subscriptionCsvColumns = [
  'status',
  'subscriber_id',
  'offer_id',
  'username',
  'currency',
  'price_override',
  'discount_id',
  'discount_cycles_used',
  'billing_cycle',
  'billing_anchor_day',
  'billing_anchor_month',
  'start_at',
  'activated_at',
  'next_billing_at',
  'credit_basis',
  'scheduled_offer_id',
  'scheduled_effective_at',
  'suspended_at',
  'canceled_at',
  'ends_at',
  'cancel_reason',
  'created_at',
  'updated_at',
  'id',
] as const;

const At = Instant.optional().openapi({ description: 'When it happened; defaults to now' });
const Activate = z.strictObject({ at: At }).openapi('SubscriptionActivation');
const Suspend = z.strictObject({ at: At, reason: Reason }).openapi('SubscriptionSuspension');
const Resume = z.strictObject({ at: At }).openapi('SubscriptionResumption');
const Cancel = z.strictObject({ at: At, reason: Reason }).openapi('SubscriptionCancellation');
const PlanChange = z
  .strictObject({
    offer_id: z.uuid(),
    effective_at: Instant.optional().openapi({ description: 'Defaults to now; a future instant schedules the change' }),
  })
  .openapi('PlanChangeRequest');

const PlannedLine = z.object({
  kind: z.enum(invoiceLineKinds),
  description: z.string(),
  quantity: z.number().int(),
  amount: MinorUnits,
  tax_amount: MinorUnits,
  taxes: z.array(LineTax),
  period_start: z.string().nullable(),
  period_end: z.string().nullable(),
});
const planFields = {
  currency: z.string(),
  from_offer_id: z.string(),
  to_offer_id: z.string(),
  effective_at: z.string(),
  scheduled: z.boolean().openapi({ description: 'Takes effect later: the billing run applies it at effective_at' }),
  credit: MinorUnits.openapi({
    description: 'Unused part of what was paid this cycle: credit_basis × remaining / cycle',
  }),
  charge: MinorUnits.openapi({ description: 'New price × remaining / cycle' }),
  net: MinorUnits.openapi({ description: 'charge − credit; 0 when the refund policy `none` clamps it' }),
  fee: MinorUnits,
  total: MinorUnits.openapi({ description: 'What the customer pays (negative: is credited), tax and fee included' }),
  outcome: z.enum(['invoice', 'pending_charges', 'credit_note', 'clamped', 'none']),
  lines: z.array(PlannedLine),
};
const PlanPreview = z.object(planFields).openapi('PlanChangePreview');
const Change = z.object({
  id: z.string(),
  status: z.enum(['scheduled', 'applied', 'canceled']),
  from_offer_id: z.string(),
  to_offer_id: z.string(),
  effective_at: z.string(),
  currency: z.string(),
  credit: z.number().int(),
  charge: z.number().int(),
  net: z.number().int(),
  invoice_id: z.string().nullable(),
  credit_note_id: z.string().nullable(),
  created_at: z.string(),
});
const PlanChanged = z.object({ ...planFields, change: Change, subscription: Subscription }).openapi('PlanChange');

const action = <T extends z.ZodType>(path: string, description: string, schema: T, optional: boolean) =>
  tenantRoute('billing:write', {
    method: 'post',
    path: `/api/v1/subscriptions/{id}/${path}`,
    operationId: `${path}Subscription`,
    summary: `${path.charAt(0).toUpperCase()}${path.slice(1)} a subscription`,
    tags: ['subscriptions'],
    description,
    request: {
      params: IdParam,
      body: optional ? { required: false, content: { 'application/json': { schema } } } : body(schema),
    },
    responses: { 200: json(Subscription, 'The subscription') },
  });

export const subscriptionsRouter = createRouter()
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscriptions',
      operationId: 'listSubscriptions',
      summary: 'List subscriptions',
      tags: ['subscriptions'],
      description: 'Newest first ((created_at, id) descending).',
      request: {
        query: Pagination.extend(SubscriptionFilter.shape).extend(TimeWindowQuery.shape).extend(ListFormat.shape),
      },
      responses: { 200: listResponse(SubscriptionSummary, 'Subscriptions') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listSubscriptions, {
        filename: 'subscriptions.csv',
        columns: subscriptionCsvColumns,
        row: (row) => ({
          ...row,
          scheduled_offer_id: row.scheduled_change?.offer_id ?? null,
          scheduled_effective_at: row.scheduled_change?.effective_at ?? null,
        }),
      }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/subscriptions',
      operationId: 'createSubscription',
      summary: 'Create a subscription (pending)',
      tags: ['subscriptions'],
      description:
        'A pending subscription; billing starts at activation. The offer, add-ons and discount must not be archived.',
      request: { body: body(CreateSubscription) },
      responses: { 201: json(Subscription, 'The new subscription') },
    }),
    async (c) => c.json(await createSubscription({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/subscriptions/{id}',
      operationId: 'getSubscription',
      summary: 'Get a subscription',
      tags: ['subscriptions'],
      request: { params: IdParam },
      responses: { 200: json(Subscription, 'The subscription') },
    }),
    async (c) => c.json(await getSubscription({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'patch',
      path: '/api/v1/subscriptions/{id}',
      operationId: 'updateSubscription',
      summary: 'Update a subscription',
      tags: ['subscriptions'],
      description:
        'Service line, price override and discount only; offers change through change-plan, status through the ' +
        'actions.',
      request: { params: IdParam, body: body(UpdateSubscription) },
      responses: { 200: json(Subscription, 'The subscription') },
    }),
    async (c) =>
      c.json(
        await updateSubscription({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    action(
      'activate',
      'pending → active. Billing starts at `at`; the setup fee and one-time add-ons go on the first invoice.',
      Activate,
      true,
    ),
    async (c) =>
      c.json(
        await activateSubscription({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, ...(c.req.valid('json') ?? {}) },
        }),
        200,
      ),
  )
  .openapi(action('suspend', 'active → suspended by an admin hold.', Suspend, false), async (c) =>
    c.json(
      await suspendSubscription({
        ctx: c.get('tenantCtx'),
        input: { id: c.req.valid('param').id, ...c.req.valid('json') },
      }),
      200,
    ),
  )
  .openapi(
    action('resume', 'suspended → active, lifting every open hold (overdue, prepaid, fup, admin).', Resume, true),
    async (c) =>
      c.json(
        await resumeSubscription({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, ...(c.req.valid('json') ?? {}) },
        }),
        200,
      ),
  )
  .openapi(
    action(
      'cancel',
      'Service ends at the end of the local day of `at` (the day counts as used); the billed part after it is ' +
        'credited when the policy refunds by credit. Canceled at once when that end has passed, else by the ' +
        'billing run.',
      Cancel,
      false,
    ),
    async (c) =>
      c.json(
        await cancelSubscription({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, ...c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/subscriptions/{id}/change-plan/preview',
      operationId: 'previewPlanChange',
      summary: "Preview a plan change's credit and charge",
      tags: ['subscriptions'],
      description:
        'What the change would move ("you pay X today"); writes nothing. Applying the same body moves exactly this.',
      request: { params: IdParam, body: body(PlanChange) },
      responses: { 200: json(PlanPreview, 'The planned change') },
    }),
    async (c) =>
      c.json(
        await previewPlanChange({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, ...c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/subscriptions/{id}/change-plan',
      operationId: 'changePlan',
      summary: "Change a subscription's plan",
      tags: ['subscriptions'],
      description:
        'Prorated by seconds in the billed cycle: credit = credit_basis × remaining / cycle, charge = new price × ' +
        'remaining / cycle. A future effective_at schedules the change; an offer with another billing cycle ' +
        'takes effect at the next cycle boundary (scheduled, no proration).',
      request: { params: IdParam, body: body(PlanChange) },
      responses: { 200: json(PlanChanged, 'The applied or scheduled change') },
    }),
    async (c) =>
      c.json(
        await changePlan({ ctx: c.get('tenantCtx'), input: { id: c.req.valid('param').id, ...c.req.valid('json') } }),
        200,
      ),
  );
