import { z } from '@hono/zod-openapi';
import { creditNoteStatuses } from '../../db/tenant/index.ts';
import {
  applyCreditNote,
  createCreditNote,
  getCreditNote,
  issueCreditNote,
  listCreditNotes,
  voidCreditNote,
} from '../services/credit-notes/manage-credit-notes.ts';
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
import { Currency, LineTax, PositiveMinorUnits } from './money-schemas.ts';

const CreditNote = z
  .object({
    id: z.string(),
    number: z.string(),
    subscriber_id: z.string(),
    invoice_id: z.string().nullable(),
    currency: z.string(),
    status: z.enum(creditNoteStatuses),
    reason: z.string(),
    lines: z.array(
      z.object({
        description: z.string(),
        amount: z.number().int(),
        tax_amount: z.number().int(),
        taxes: z.array(LineTax),
      }),
    ),
    subtotal: z.number().int(),
    tax_total: z.number().int(),
    total: z.number().int(),
    remaining: z.number().int().openapi({ description: 'Not yet applied to invoices' }),
    issued_at: z.string().nullable(),
    voided_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('CreditNote');

// One row per credit note: its scalar fields (the lines are in the JSON).
const creditNoteCsvColumns = [
  'number',
  'status',
  'subscriber_id',
  'invoice_id',
  'currency',
  'reason',
  'subtotal',
  'tax_total',
  'total',
  'remaining',
  'issued_at',
  'voided_at',
  'created_at',
  'id',
] as const;

const CreditNoteCreate = z
  .strictObject({
    subscriber_id: z.uuid(),
    invoice_id: z.uuid().nullish().openapi({ description: 'Tie the note to one invoice: it then applies only to it' }),
    currency: Currency.optional().openapi({ description: 'Defaults to the invoice’s, else the tenant’s' }),
    reason: z.string().trim().min(1).max(500),
    lines: z
      .array(
        z.strictObject({
          description: z.string().trim().min(1).max(500),
          amount: PositiveMinorUnits.openapi({
            description: 'As charged: the tax rate’s mode says whether tax is added or included',
          }),
          tax_rate_id: z.uuid().nullish(),
        }),
      )
      .min(1)
      .max(100),
  })
  .openapi('CreditNoteCreate');

const Apply = z
  .strictObject({ invoice_id: z.uuid().optional(), amount: PositiveMinorUnits.optional() })
  .openapi('CreditNoteApplication');
const Reason = z.strictObject({ reason: z.string().trim().min(1).max(500) });
const optionalBody = <T extends z.ZodType>(schema: T) => ({
  required: false,
  content: { 'application/json': { schema } },
});

export const creditNotesRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/credit-notes',
      operationId: 'listCreditNotes',
      summary: 'List credit notes',
      tags: ['billing'],
      request: {
        query: Pagination.extend({
          subscriber_id: z.uuid().optional(),
          status: z.enum(creditNoteStatuses).optional(),
        })
          .extend(TimeWindowQuery.shape)
          .extend(ListFormat.shape),
      },
      responses: { 200: listResponse(CreditNote, 'Credit notes, newest first') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listCreditNotes, {
        filename: 'credit-notes.csv',
        columns: creditNoteCsvColumns,
      }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/credit-notes',
      operationId: 'createCreditNote',
      summary: 'Draft a credit note',
      tags: ['billing'],
      description: 'A numbered draft; issue it to credit the account.',
      request: { body: body(CreditNoteCreate) },
      responses: { 201: json(CreditNote, 'The draft') },
    }),
    async (c) => c.json(await createCreditNote({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/credit-notes/{id}',
      operationId: 'getCreditNote',
      summary: 'Get a credit note',
      tags: ['billing'],
      request: { params: IdParam },
      responses: { 200: json(CreditNote, 'The credit note') },
    }),
    async (c) => c.json(await getCreditNote({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/credit-notes/{id}/issue',
      operationId: 'issueCreditNote',
      summary: 'Issue a credit note',
      tags: ['billing'],
      request: { params: IdParam },
      responses: { 200: json(CreditNote, 'The issued note') },
    }),
    async (c) => c.json(await issueCreditNote({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/credit-notes/{id}/apply',
      operationId: 'applyCreditNote',
      summary: 'Apply a credit note to an invoice',
      tags: ['billing'],
      description:
        'To its own invoice when tied to one, else to the invoice named; the amount defaults to min(remaining, ' +
        'balance due).',
      request: { params: IdParam, body: optionalBody(Apply) },
      responses: { 200: json(CreditNote, 'The note after applying') },
    }),
    async (c) =>
      c.json(
        await applyCreditNote({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, ...(c.req.valid('json') ?? {}) },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/credit-notes/{id}/void',
      operationId: 'voidCreditNote',
      summary: 'Void a credit note',
      tags: ['billing'],
      description: 'A draft, or an issued note nothing of which was applied.',
      request: { params: IdParam, body: body(Reason) },
      responses: { 200: json(CreditNote, 'The void note') },
    }),
    async (c) =>
      c.json(
        await voidCreditNote({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, reason: c.req.valid('json').reason },
        }),
        200,
      ),
  );
