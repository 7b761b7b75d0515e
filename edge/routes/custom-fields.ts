import { z } from '@hono/zod-openapi';
import { customFieldTypes } from '../../db/tenant/index.ts';
import {
  createCustomField,
  deleteCustomField,
  listCustomFields,
  updateCustomField,
} from '../services/subscribers/manage-custom-fields.ts';
import { CustomFieldCreate, CustomFieldPatch } from '../services/subscribers/subscriber-input.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';

const CustomField = z
  .object({
    id: z.string(),
    key: z.string(),
    label: z.string(),
    type: z.enum(customFieldTypes),
    options: z.array(z.string()).nullable(),
    required: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('CustomField');

const tags = ['custom-fields'];
// A select field's options as one cell, "a; b".
const customFieldCsvColumns = [
  'key',
  'label',
  'type',
  'options',
  'required',
  'created_at',
  'updated_at',
  'id',
] as const;

// Definitions are tenant settings (settings:write); everyone who reads subscribers reads them.
export const customFieldsRouter = createRouter()
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/custom-fields',
      operationId: 'listCustomFields',
      summary: 'List custom field definitions',
      tags,
      description: 'By key.',
      request: { query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(CustomField, 'Subscriber custom field definitions, by key') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listCustomFields, {
        filename: 'custom-fields.csv',
        columns: customFieldCsvColumns,
        row: (field) => ({
          ...field,
          options: field.options?.join('; ') ?? null,
        }),
      }),
  )
  .openapi(
    tenantRoute('settings:write', {
      method: 'post',
      path: '/api/v1/custom-fields',
      operationId: 'createCustomField',
      summary: 'Define a custom field',
      tags,
      request: { body: body(CustomFieldCreate) },
      responses: { 201: json(CustomField, 'The new definition') },
    }),
    async (c) => c.json(await createCustomField({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('settings:write', {
      method: 'patch',
      path: '/api/v1/custom-fields/{id}',
      operationId: 'updateCustomField',
      summary: 'Update a custom field definition',
      tags,
      request: { params: IdParam, body: body(CustomFieldPatch) },
      responses: { 200: json(CustomField, 'The updated definition') },
    }),
    async (c) =>
      c.json(
        await updateCustomField({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('settings:write', {
      method: 'delete',
      path: '/api/v1/custom-fields/{id}',
      operationId: 'deleteCustomField',
      summary: 'Delete a custom field definition',
      tags,
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted, with its values' } },
    }),
    async (c) => {
      await deleteCustomField({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
