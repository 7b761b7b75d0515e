import { z } from '@hono/zod-openapi';
import { addonCharges } from '../../db/tenant/index.ts';
import { AddonCreate, AddonPatch } from '../services/catalog/catalog-input.ts';
import {
  addonCsvColumns,
  addonCsvRecord,
  archiveAddon,
  createAddon,
  getAddon,
  listAddons,
  updateAddon,
} from '../services/catalog/manage-addons.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { PriceList } from './offers.ts';

const tags = ['catalog'];

const Addon = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    charge: z.enum(addonCharges),
    prices: PriceList,
    tax_rate_id: z.string().nullable(),
    archived_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Addon');

const AddonFilter = z.object({
  charge: z.enum(addonCharges).optional(),
  archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
  ...ListFormat.shape,
});

export const addonsRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/addons',
      operationId: 'listAddons',
      summary: 'List add-ons',
      tags,
      description:
        'Newest first; archived add-ons only with `archived=include|only`. `?format=csv` returns every matching ' +
        'add-on.',
      request: { query: Pagination.extend(AddonFilter.shape) },
      responses: {
        200: listResponse(Addon, 'Add-ons'),
      },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listAddons, {
        filename: 'addons.csv',
        columns: addonCsvColumns,
        row: addonCsvRecord,
      }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/addons',
      operationId: 'createAddon',
      summary: 'Create an add-on',
      tags,
      request: { body: body(AddonCreate) },
      responses: { 201: json(Addon, 'The new add-on') },
    }),
    async (c) => c.json(await createAddon({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/addons/{id}',
      operationId: 'getAddon',
      summary: 'Get an add-on',
      tags,
      request: { params: IdParam },
      responses: { 200: json(Addon, 'The add-on') },
    }),
    async (c) => c.json(await getAddon({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'patch',
      path: '/api/v1/addons/{id}',
      operationId: 'updateAddon',
      summary: 'Update an add-on',
      tags,
      request: { params: IdParam, body: body(AddonPatch) },
      responses: { 200: json(Addon, 'The updated add-on') },
    }),
    async (c) =>
      c.json(
        await updateAddon({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'delete',
      path: '/api/v1/addons/{id}',
      operationId: 'archiveAddon',
      summary: 'Archive an add-on',
      tags,
      description: 'Archives the add-on: subscriptions that have it keep it.',
      request: { params: IdParam },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await archiveAddon({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
