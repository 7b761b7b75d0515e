import { z } from '@hono/zod-openapi';
import { paymentMethods, paymentStatuses } from '../../db/tenant/index.ts';
import { getPayment, listPayments } from '../services/payments/manage-payments.ts';
import { recordPayment } from '../services/payments/record-payment.ts';
import { refundPayment } from '../services/payments/refund-payment.ts';
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
import { Currency, Instant, PositiveMinorUnits } from './money-schemas.ts';

const Refund = z
  .object({
    id: z.string(),
    payment_id: z.string(),
    amount: z.number().int(),
    reason: z.string().nullable(),
    from_credit: z.number().int(),
    from_invoices: z.number().int(),
    created_at: z.string(),
  })
  .openapi('Refund');

const Payment = z
  .object({
    id: z.string(),
    number: z.string(),
    subscriber_id: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    method: z.enum(paymentMethods),
    reference: z.string().nullable(),
    status: z.enum(paymentStatuses),
    provider_event_id: z.string().nullable(),
    received_at: z.string(),
    allocations: z.array(z.object({ invoice_id: z.string(), invoice_number: z.string(), amount: z.number().int() })),
    unallocated: z.number().int().openapi({ description: 'What this payment left as account credit' }),
    refunded_amount: z.number().int(),
    refunds: z.array(Refund),
    created_at: z.string(),
  })
  .openapi('Payment');

// One row per payment: its scalar fields (allocations and refunds are in the JSON).
const paymentCsvColumns = [
  'number',
  'status',
  'subscriber_id',
  'amount',
  'currency',
  'method',
  'reference',
  'provider_event_id',
  'received_at',
  'unallocated',
  'refunded_amount',
  'created_at',
  'id',
] as const;

const PaymentCreate = z
  .strictObject({
    subscriber_id: z.uuid(),
    amount: PositiveMinorUnits,
    currency: Currency,
    method: z.enum(['manual', 'cash', 'bank_transfer']),
    reference: z.string().trim().max(200).nullish(),
    received_at: Instant.optional().openapi({ description: 'When the money arrived; defaults to now' }),
    provider_event_id: z.string().trim().min(1).max(200).nullish().openapi({
      description: 'A bank or gateway transaction id: a second payment with the same id returns the first',
    }),
    allocations: z
      .array(z.strictObject({ invoice_id: z.uuid(), amount: PositiveMinorUnits }))
      .max(100)
      .optional()
      .openapi({
        description:
          'Omit to allocate automatically: open invoices, oldest due first; what is left becomes account credit',
      }),
  })
  .openapi('PaymentCreate');

const RefundCreate = z
  .strictObject({
    amount: PositiveMinorUnits.optional().openapi({ description: 'Defaults to everything not yet refunded' }),
    reason: z.string().trim().max(500).nullish(),
  })
  .openapi('RefundCreate');

export const paymentsRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/payments',
      operationId: 'listPayments',
      summary: 'List payments',
      tags: ['billing'],
      request: {
        query: Pagination.extend({
          subscriber_id: z.uuid().optional(),
          status: z.enum(paymentStatuses).optional(),
        })
          .extend(TimeWindowQuery.shape)
          .extend(ListFormat.shape),
      },
      responses: { 200: listResponse(Payment, 'Payments, newest first') },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listPayments, { filename: 'payments.csv', columns: paymentCsvColumns }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/payments',
      operationId: 'createPayment',
      summary: 'Record a payment',
      tags: ['billing'],
      description:
        'Records money received. Send an Idempotency-Key: a retried request returns the first reply, never a second ' +
        'payment.',
      request: { body: body(PaymentCreate) },
      responses: {
        200: json(Payment, 'A payment with this provider_event_id existed already'),
        201: json(Payment, 'The payment'),
      },
    }),
    async (c) => {
      const { replayed, payment } = await recordPayment({ ctx: c.get('tenantCtx'), input: c.req.valid('json') });
      return replayed ? c.json(payment, 200) : c.json(payment, 201);
    },
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/payments/{id}',
      operationId: 'getPayment',
      summary: 'Get a payment',
      tags: ['billing'],
      request: { params: IdParam },
      responses: { 200: json(Payment, 'The payment') },
    }),
    async (c) => c.json(await getPayment({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/payments/{id}/refunds',
      operationId: 'refundPayment',
      summary: 'Refund a payment',
      tags: ['billing'],
      description:
        'Full (no amount) or partial. Comes out of the payment’s unallocated credit first, then reopens the invoices ' +
        'it paid, newest first, by exactly the amount taken.',
      request: {
        params: IdParam,
        body: { required: false, content: { 'application/json': { schema: RefundCreate } } },
      },
      responses: { 201: json(Refund, 'The refund') },
    }),
    async (c) =>
      c.json(
        await refundPayment({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, ...(c.req.valid('json') ?? {}) },
        }),
        201,
      ),
  );
