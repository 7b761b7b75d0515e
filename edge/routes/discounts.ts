import { z } from '@hono/zod-openapi';
import { discountKinds } from '../../db/tenant/index.ts';
import { DiscountCreate, DiscountPatch } from '../services/catalog/catalog-input.ts';
import {
  archiveDiscount,
  createDiscount,
  discountCsvColumns,
  discountCsvRecord,
  getDiscount,
  listDiscounts,
  updateDiscount,
} from '../services/catalog/manage-discounts.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { PriceList } from './offers.ts';

const tags = ['catalog'];

const Discount = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    kind: z.enum(discountKinds),
    percent: z.string().nullable(),
    amounts: PriceList.nullable(),
    valid_from: z.string().nullable(),
    valid_until: z.string().nullable().openapi({ description: 'Exclusive' }),
    max_cycles: z.number().int().nullable(),
    archived_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Discount');

const DiscountFilter = z.object({
  kind: z.enum(discountKinds).optional(),
  archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
  ...ListFormat.shape,
});

export const discountsRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/discounts',
      operationId: 'listDiscounts',
      summary: 'List discounts',
      tags,
      description:
        'Newest first; archived discounts only with `archived=include|only`. `?format=csv` returns every matching ' +
        'discount.',
      request: { query: Pagination.extend(DiscountFilter.shape) },
      responses: {
        200: listResponse(Discount, 'Discounts'),
      },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listDiscounts, {
        filename: 'discounts.csv',
        columns: discountCsvColumns,
        row: discountCsvRecord,
      }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/discounts',
      operationId: 'createDiscount',
      summary: 'Create a discount',
      tags,
      description:
        '`percent` for kind percent, `amounts` (minor units per currency) for kind fixed; valid in [valid_from, ' +
        'valid_until).',
      request: { body: body(DiscountCreate) },
      responses: { 201: json(Discount, 'The new discount') },
    }),
    async (c) => c.json(await createDiscount({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/discounts/{id}',
      operationId: 'getDiscount',
      summary: 'Get a discount',
      tags,
      request: { params: IdParam },
      responses: { 200: json(Discount, 'The discount') },
    }),
    async (c) => c.json(await getDiscount({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'patch',
      path: '/api/v1/discounts/{id}',
      operationId: 'updateDiscount',
      summary: 'Update a discount',
      tags,
      description:
        'Changing kind needs the new value and null for the old (e.g. `{kind: "fixed", amounts: […], percent: ' +
        'null}`).',
      request: { params: IdParam, body: body(DiscountPatch) },
      responses: { 200: json(Discount, 'The updated discount') },
    }),
    async (c) =>
      c.json(
        await updateDiscount({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'delete',
      path: '/api/v1/discounts/{id}',
      operationId: 'archiveDiscount',
      summary: 'Archive a discount',
      tags,
      description: 'Archives the discount: it can no longer be applied; where applied it runs its course.',
      request: { params: IdParam },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await archiveDiscount({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
