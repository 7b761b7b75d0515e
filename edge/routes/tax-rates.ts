import { z } from '@hono/zod-openapi';
import { taxModes } from '../../db/tenant/index.ts';
import { TaxRateCreate, TaxRatePatch } from '../services/catalog/catalog-input.ts';
import {
  archiveTaxRate,
  createTaxRate,
  getTaxRate,
  listTaxRates,
  taxRateCsvColumns,
  updateTaxRate,
} from '../services/catalog/manage-tax-rates.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';

const tags = ['catalog'];

const TaxRate = z
  .object({
    id: z.string(),
    name: z.string(),
    rate: z.string().openapi({ description: 'Percent as a decimal string' }),
    mode: z.enum(taxModes),
    compound: z.boolean().openapi({ description: 'Applies to the amount plus the simple taxes of the same line' }),
    archived_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('TaxRate');

const TaxRateFilter = z.object({
  mode: z.enum(taxModes).optional(),
  archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
  ...ListFormat.shape,
});

export const taxRatesRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/tax-rates',
      operationId: 'listTaxRates',
      summary: 'List tax rates',
      tags,
      description:
        'Newest first; archived rates only with `archived=include|only`. `?format=csv` returns every matching rate.',
      request: { query: Pagination.extend(TaxRateFilter.shape) },
      responses: {
        200: listResponse(TaxRate, 'Tax rates'),
      },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listTaxRates, { filename: 'tax-rates.csv', columns: taxRateCsvColumns }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/tax-rates',
      operationId: 'createTaxRate',
      summary: 'Create a tax rate',
      tags,
      request: { body: body(TaxRateCreate) },
      responses: { 201: json(TaxRate, 'The new tax rate') },
    }),
    async (c) => c.json(await createTaxRate({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/tax-rates/{id}',
      operationId: 'getTaxRate',
      summary: 'Get a tax rate',
      tags,
      request: { params: IdParam },
      responses: { 200: json(TaxRate, 'The tax rate') },
    }),
    async (c) => c.json(await getTaxRate({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'patch',
      path: '/api/v1/tax-rates/{id}',
      operationId: 'updateTaxRate',
      summary: 'Update a tax rate',
      tags,
      description:
        'Only the name may change; a different rate, mode or compound is a 409 (archive the rate and create a new ' +
        'one).',
      request: { params: IdParam, body: body(TaxRatePatch) },
      responses: { 200: json(TaxRate, 'The updated tax rate') },
    }),
    async (c) =>
      c.json(
        await updateTaxRate({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'delete',
      path: '/api/v1/tax-rates/{id}',
      operationId: 'archiveTaxRate',
      summary: 'Archive a tax rate',
      tags,
      description: 'Archives the rate: what uses it keeps it, nothing new may choose it.',
      request: { params: IdParam },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await archiveTaxRate({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
