import { z } from '@hono/zod-openapi';
import { leadSources, leadStatuses } from '../../db/tenant/index.ts';
import { convertLead, disqualifyLead, qualifyLead } from '../services/leads/lead-actions.ts';
import {
  createLead,
  getLead,
  leadCsvColumns,
  leadCsvRecord,
  listLeads,
  updateLead,
} from '../services/leads/manage-leads.ts';
import {
  BillingDay,
  Country,
  GraceDays,
  MinBalance,
  PaymentDueDays,
  Phone,
  SubscriberEmail,
} from '../services/subscribers/subscriber-input.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';

const Name = z.string().trim().min(1).max(200);
const Text = (max: number) => z.string().trim().max(max);

const LeadAddress = z
  .strictObject({
    line1: Name,
    line2: Text(200).nullish(),
    city: Text(100).min(1),
    region: Text(100).nullish(),
    postal_code: Text(20).nullish(),
    country: Country,
  })
  .openapi('LeadAddress');

const leadFields = {
  first_name: Name.nullish(),
  last_name: Name.nullish(),
  organization_name: Name.nullish(),
  email: SubscriberEmail.nullish(),
  phone: Phone.nullish(),
  address: LeadAddress.nullish(),
  partner_id: z.uuid().nullish().openapi({ description: 'The referring partner' }),
  interested_offer: Text(200).nullish().openapi({ description: 'The plan or offer the prospect asked about' }),
  notes: Text(10_000).nullish(),
};

const Lead = z
  .object({
    id: z.string(),
    number: z.string(),
    status: z.enum(leadStatuses),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    organization_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    address: z
      .object({
        line1: z.string(),
        line2: z.string().nullish(),
        city: z.string(),
        region: z.string().nullish(),
        postal_code: z.string().nullish(),
        country: z.string(),
      })
      .nullable(),
    source: z.enum(leadSources),
    partner_id: z.string().nullable(),
    interested_offer: z.string().nullable(),
    notes: z.string().nullable(),
    status_reason: z.string().nullable(),
    converted_subscriber_id: z.string().nullable(),
    converted_at: z.string().nullable(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Lead');

const CreateLead = z.strictObject({ ...leadFields, source: z.enum(leadSources) }).openapi('LeadCreate');
const UpdateLead = z
  .strictObject({
    ...leadFields,
    source: z.enum(leadSources).optional(),
    status: z
      .enum(['contacted', 'lost'])
      .optional()
      .openapi({ description: 'Qualify, disqualify and convert have their own actions' }),
    status_reason: Text(500).nullish().openapi({ description: 'Why the lead was lost' }),
  })
  .openapi('LeadPatch');

const LeadFilter = z.object({
  status: z.enum(leadStatuses).optional(),
  source: z.enum(leadSources).optional(),
  partner_id: z.uuid().optional(),
  ...ListFormat.shape,
});

const Disqualify = z.strictObject({ reason: Text(500).min(1) });
const Convert = z
  .strictObject({
    kind: z
      .enum(['person', 'organization'])
      .optional()
      .openapi({ description: 'Defaults to organization when the lead has only an organization_name' }),
    billing_day: BillingDay.optional(),
    payment_due_days: PaymentDueDays.optional(),
    grace_days: GraceDays.optional(),
    min_balance: MinBalance.optional(),
    marketing_opt_in: z.boolean().optional(),
  })
  .openapi('LeadConversion');
const Converted = z
  .object({ lead: Lead, subscriber: z.object({ id: z.string(), number: z.string() }) })
  .openapi('LeadConverted');

export const leadsRouter = createRouter()
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/leads',
      operationId: 'listLeads',
      summary: 'List leads',
      tags: ['leads'],
      description: 'Newest first. `?format=csv` returns every matching lead as CSV (limit and cursor do not apply).',
      request: { query: Pagination.extend(LeadFilter.shape) },
      responses: {
        200: listResponse(Lead, 'Leads'),
      },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listLeads, {
        filename: 'leads.csv',
        columns: leadCsvColumns,
        row: leadCsvRecord,
      }),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/leads',
      operationId: 'createLead',
      summary: 'Create a lead',
      tags: ['leads'],
      description: 'A lead needs a name (first, last or organization) and an email or a phone.',
      request: { body: body(CreateLead) },
      responses: { 201: json(Lead, 'The new lead') },
    }),
    async (c) => c.json(await createLead({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/leads/{id}',
      operationId: 'getLead',
      summary: 'Get a lead',
      tags: ['leads'],
      request: { params: IdParam },
      responses: { 200: json(Lead, 'The lead') },
    }),
    async (c) => c.json(await getLead({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'patch',
      path: '/api/v1/leads/{id}',
      operationId: 'updateLead',
      summary: 'Update a lead',
      tags: ['leads'],
      description:
        'Statuses: new → contacted/qualified/unqualified/converted/lost; contacted → ' +
        'qualified/unqualified/converted/lost; qualified → contacted/unqualified/converted/lost; unqualified → ' +
        'qualified/lost; lost → contacted; converted is final.',
      request: { params: IdParam, body: body(UpdateLead) },
      responses: { 200: json(Lead, 'The updated lead') },
    }),
    async (c) =>
      c.json(
        await updateLead({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/leads/{id}/disqualify',
      operationId: 'disqualifyLead',
      summary: 'Disqualify a lead',
      tags: ['leads'],
      request: { params: IdParam, body: body(Disqualify) },
      responses: { 200: json(Lead, 'The unqualified lead') },
    }),
    async (c) =>
      c.json(
        await disqualifyLead({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, reason: c.req.valid('json').reason },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/leads/{id}/qualify',
      operationId: 'qualifyLead',
      summary: 'Qualify a lead',
      tags: ['leads'],
      request: { params: IdParam },
      responses: { 200: json(Lead, 'The qualified lead') },
    }),
    async (c) => c.json(await qualifyLead({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/leads/{id}/convert',
      operationId: 'convertLead',
      summary: 'Convert a lead into a subscriber',
      tags: ['leads'],
      description:
        'Creates a subscriber from the lead (names, email, phone, address as primary service address, notes) and ' +
        'marks the lead converted, in one transaction; a second conversion is a 409.',
      request: { params: IdParam, body: { required: false, content: { 'application/json': { schema: Convert } } } },
      responses: { 201: json(Converted, 'The converted lead and its new subscriber') },
    }),
    async (c) =>
      c.json(
        await convertLead({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, options: c.req.valid('json') ?? {} },
        }),
        201,
      ),
  );
