import { z } from '@hono/zod-openapi';
import { invoiceKinds, invoiceLineKinds, invoiceStatuses } from '../../db/tenant/index.ts';
import { createManualInvoice } from '../services/invoices/create-manual-invoice.ts';
import { addOneOffCharge, listWaitingCharges } from '../services/invoices/one-off-charges.ts';
import { getInvoice, listInvoices, voidInvoice, writeOffInvoice } from '../services/invoices/manage-invoices.ts';
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
import { Currency, LineTax, MinorUnits } from './money-schemas.ts';

const InvoiceLine = z
  .object({
    id: z.string(),
    kind: z.enum(invoiceLineKinds),
    subscription_id: z.string().nullable(),
    description: z.string(),
    quantity: z.number().int(),
    amount: z.number().int().openapi({ description: 'Net amount (tax excluded), minor units' }),
    tax_amount: z.number().int(),
    taxes: z.array(LineTax),
    period_start: z.string().nullable(),
    period_end: z.string().nullable(),
  })
  .openapi('InvoiceLine');

export const Invoice = z
  .object({
    id: z.string(),
    number: z.string(),
    subscriber_id: z.string(),
    kind: z.enum(invoiceKinds),
    status: z.enum(invoiceStatuses),
    currency: z.string(),
    subtotal: z.number().int(),
    tax_total: z.number().int(),
    total: z.number().int(),
    balance_due: z.number().int(),
    period_start: z.string().nullable(),
    period_end: z.string().nullable(),
    billing_run_id: z.string().nullable(),
    issued_at: z.string().nullable(),
    due_at: z.string().nullable().openapi({ description: 'The instant after which an unpaid balance is overdue' }),
    paid_at: z.string().nullable(),
    voided_at: z.string().nullable(),
    written_off_at: z.string().nullable(),
    status_reason: z.string().nullable(),
    created_at: z.string(),
    lines: z.array(InvoiceLine),
  })
  .openapi('Invoice');

// One row per invoice: its scalar fields (the lines are in the JSON list and GET …/{id}).
const invoiceCsvColumns = [
  'number',
  'kind',
  'status',
  'subscriber_id',
  'currency',
  'subtotal',
  'tax_total',
  'total',
  'balance_due',
  'period_start',
  'period_end',
  'issued_at',
  'due_at',
  'paid_at',
  'voided_at',
  'written_off_at',
  'status_reason',
  'billing_run_id',
  'created_at',
  'id',
] as const;

const Reason = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** A line a clerk writes: the unit amount as charged, taxed by the rate's mode. */
export const ManualLine = z
  .strictObject({
    description: z.string().trim().min(1).max(500),
    amount: MinorUnits.refine((n) => n !== 0, 'must not be 0').openapi({
      description: 'Per unit, as charged: the tax rate’s mode says whether tax is added or included',
    }),
    quantity: z.number().int().min(1).max(10_000).optional().openapi({ description: 'Default 1' }),
    tax_rate_id: z
      .uuid()
      .nullish()
      .openapi({
        description:
          'Taxed by the service address’s or the subscriber’s rate if they have one, else this, else the tenant ' +
          'defaults',
      }),
    subscription_id: z.uuid().nullish(),
  })
  .openapi('ManualLine');

const ManualInvoiceCreate = z
  .strictObject({
    subscriber_id: z.uuid(),
    currency: Currency.optional().openapi({ description: 'Default: the tenant’s' }),
    lines: z.array(ManualLine).min(1).max(100),
  })
  .openapi('ManualInvoiceCreate');

export const invoicesRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/invoices',
      operationId: 'listInvoices',
      summary: 'List invoices',
      tags: ['billing'],
      description: 'Newest first ((created_at, id) descending), with lines. `?format=csv`: one row per invoice.',
      request: {
        query: Pagination.extend({
          subscriber_id: z.uuid().optional(),
          status: z.enum(invoiceStatuses).optional(),
          number: z.string().trim().min(1).max(40).optional().openapi({
            description: 'Lookup by invoice number (INV-000123): a page of one, or empty',
            example: 'INV-000123',
          }),
        })
          .extend(TimeWindowQuery.shape)
          .extend(ListFormat.shape),
      },
      responses: { 200: listResponse(Invoice, 'Invoices') },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listInvoices, { filename: 'invoices.csv', columns: invoiceCsvColumns }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/invoices',
      operationId: 'createInvoice',
      summary: 'Issue a manual invoice',
      tags: ['billing'],
      description:
        'A manual invoice (kind `manual`), issued at once: numbered, taxed per line, journaled; account credit is ' +
        'applied to it.',
      request: { body: body(ManualInvoiceCreate) },
      responses: { 201: json(Invoice, 'The issued invoice') },
    }),
    async (c) => c.json(await createManualInvoice({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/invoices/{id}',
      operationId: 'getInvoice',
      summary: 'Get an invoice with its lines',
      tags: ['billing'],
      request: { params: IdParam },
      responses: { 200: json(Invoice, 'The invoice') },
    }),
    async (c) => c.json(await getInvoice({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/invoices/{id}/void',
      operationId: 'voidInvoice',
      summary: 'Void an invoice',
      tags: ['billing'],
      description:
        'Only while no payment or credit is applied; the issue entry is reversed. A voided period is not billed again.',
      request: { params: IdParam, body: body(Reason) },
      responses: { 200: json(Invoice, 'The void invoice') },
    }),
    async (c) =>
      c.json(
        await voidInvoice({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, reason: c.req.valid('json').reason },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/invoices/{id}/write-off',
      operationId: 'writeOffInvoice',
      summary: 'Write an invoice off to bad debt',
      tags: ['billing'],
      description: 'Writes the balance due off as bad debt.',
      request: { params: IdParam, body: body(Reason) },
      responses: { 200: json(Invoice, 'The written-off invoice') },
    }),
    async (c) =>
      c.json(
        await writeOffInvoice({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, reason: c.req.valid('json').reason },
        }),
        200,
      ),
  );

const Charge = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    subscription_id: z.string().nullable(),
    currency: z.string(),
    kind: z.enum(invoiceLineKinds),
    description: z.string(),
    quantity: z.number().int(),
    amount: z.number().int().openapi({ description: 'Net amount (tax excluded), minor units' }),
    tax_amount: z.number().int(),
    taxes: z.array(LineTax),
    created_at: z.string(),
  })
  .openapi('Charge');

// A charge's tax as its total; the per-rate split is in the JSON.
const chargeCsvColumns = [
  'created_at',
  'kind',
  'description',
  'currency',
  'quantity',
  'amount',
  'tax_amount',
  'subscription_id',
  'subscriber_id',
  'id',
] as const;

const ChargeCreate = ManualLine.extend({
  currency: Currency.optional().openapi({ description: 'Default: the tenant’s' }),
}).openapi('ChargeCreate');

export const chargesRouter = createRouter()
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/subscribers/{id}/charges',
      operationId: 'createCharge',
      summary: 'Add a one-off charge to the next invoice',
      tags: ['billing'],
      description:
        'A one-off charge, taxed now, billed by the next billing run: on the subscriber’s next invoice in its ' +
        'currency, or on one of its own when no subscription of the subscriber bills again.',
      request: { params: IdParam, body: body(ChargeCreate) },
      responses: { 201: json(Charge, 'The waiting charge') },
    }),
    async (c) =>
      c.json(
        await addOneOffCharge({
          ctx: c.get('tenantCtx'),
          input: { ...c.req.valid('json'), subscriber_id: c.req.valid('param').id },
        }),
        201,
      ),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/subscribers/{id}/charges',
      operationId: 'listCharges',
      summary: "List a subscriber's one-off charges",
      tags: ['billing'],
      description:
        'Charges waiting for an invoice (setup fees, deferred plan changes, overage, one-off charges), oldest first.',
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Charge, 'Waiting charges') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('query'), subscriber_id: c.req.valid('param').id }, listWaitingCharges, {
        filename: 'charges.csv',
        columns: chargeCsvColumns,
      }),
  );
