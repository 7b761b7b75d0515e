import { z } from '@hono/zod-openapi';
import { invoiceKinds, invoiceLineKinds, invoiceStatuses } from '../../db/tenant/index.ts';
import { getInvoice, listInvoices, voidInvoice, writeOffInvoice } from '../services/invoices/manage-invoices.ts';
import { IdParam, Pagination, TimeWindowQuery, body, createRouter, json, page, problems, tenantRoute } from './common.ts';
import { LineTax } from './money-schemas.ts';

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

const Reason = z.strictObject({ reason: z.string().trim().min(1).max(500) });

export const invoicesRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/invoices',
      tags: ['billing'],
      description: 'Newest first, with lines.',
      request: { query: Pagination.extend({ subscriber_id: z.uuid().optional(), status: z.enum(invoiceStatuses).optional() }).extend(TimeWindowQuery.shape) },
      responses: { 200: json(page(Invoice), 'Invoices'), ...problems },
    }),
    async (c) => c.json(await listInvoices({ ctx: c.get('tenantCtx'), input: c.req.valid('query') }), 200),
  )
  .openapi(
    tenantRoute('billing:read', { method: 'get', path: '/api/v1/invoices/{id}', tags: ['billing'], request: { params: IdParam }, responses: { 200: json(Invoice, 'The invoice'), ...problems } }),
    async (c) => c.json(await getInvoice({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/invoices/{id}/void',
      tags: ['billing'],
      description: 'Only while no payment or credit is applied; the issue entry is reversed. A voided period is not billed again.',
      request: { params: IdParam, body: body(Reason) },
      responses: { 200: json(Invoice, 'The void invoice'), ...problems },
    }),
    async (c) => c.json(await voidInvoice({ ctx: c.get('tenantCtx'), input: { id: c.req.valid('param').id, reason: c.req.valid('json').reason } }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/invoices/{id}/write-off',
      tags: ['billing'],
      description: 'Writes the balance due off as bad debt.',
      request: { params: IdParam, body: body(Reason) },
      responses: { 200: json(Invoice, 'The written-off invoice'), ...problems },
    }),
    async (c) => c.json(await writeOffInvoice({ ctx: c.get('tenantCtx'), input: { id: c.req.valid('param').id, reason: c.req.valid('json').reason } }), 200),
  );
