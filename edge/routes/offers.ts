import { z } from '@hono/zod-openapi';
import { accessTypes, billingCycles, billingModes, serviceTypes } from '../../db/tenant/index.ts';
import { OfferCreate, OfferPatch } from '../services/catalog/catalog-input.ts';
import {
  archiveOffer,
  createOffer,
  getOffer,
  listOffers,
  offerCsvColumns,
  offerCsvRecord,
  updateOffer,
} from '../services/catalog/manage-offers.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';

const tags = ['catalog'];

export const PriceList = z.array(z.object({ currency: z.string(), amount: z.number().int() }));

const Offer = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    service_type: z.enum(serviceTypes),
    access_type: z.enum(accessTypes),
    billing_cycle: z.enum(billingCycles),
    billing_mode: z.enum(billingModes),
    prices: PriceList,
    tax_rate_id: z.string().nullable(),
    download_mbps: z.number().int(),
    upload_mbps: z.number().int(),
    included_gb: z.number().int().nullable(),
    overage_per_gb: PriceList.nullable(),
    setup_fee: PriceList.nullable(),
    policy_set_id: z.string().nullable(),
    archived_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Offer');

const OfferFilter = z.object({
  service_type: z.enum(serviceTypes).optional(),
  access_type: z.enum(accessTypes).optional(),
  billing_mode: z.enum(billingModes).optional(),
  archived: z.enum(['exclude', 'include', 'only']).default('exclude'),
  ...ListFormat.shape,
});

export const offersRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/offers',
      operationId: 'listOffers',
      summary: 'List offers (plans)',
      tags,
      description:
        'Newest first; archived offers only with `archived=include|only`. `?format=csv` returns every matching offer ' +
        '(price lists as "USD 4999; EUR 4500").',
      request: { query: Pagination.extend(OfferFilter.shape) },
      responses: {
        200: listResponse(Offer, 'Offers'),
      },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listOffers, {
        filename: 'offers.csv',
        columns: offerCsvColumns,
        row: offerCsvRecord,
      }),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'post',
      path: '/api/v1/offers',
      operationId: 'createOffer',
      summary: 'Create an offer',
      tags,
      description:
        'Amounts are integer minor units, one per currency. `tax_rate_id` must name a live tax rate and ' +
        '`policy_set_id` a policy set (else 422); `code` is unique (else 409).',
      request: { body: body(OfferCreate) },
      responses: { 201: json(Offer, 'The new offer') },
    }),
    async (c) => c.json(await createOffer({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/offers/{id}',
      operationId: 'getOffer',
      summary: 'Get an offer',
      tags,
      request: { params: IdParam },
      responses: { 200: json(Offer, 'The offer') },
    }),
    async (c) => c.json(await getOffer({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'patch',
      path: '/api/v1/offers/{id}',
      operationId: 'updateOffer',
      summary: 'Update an offer',
      tags,
      description:
        'billing_cycle and billing_mode cannot change (409): a different cycle is a different offer. Nullable fields ' +
        'are cleared with null.',
      request: { params: IdParam, body: body(OfferPatch) },
      responses: { 200: json(Offer, 'The updated offer') },
    }),
    async (c) =>
      c.json(
        await updateOffer({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('billing:write', {
      method: 'delete',
      path: '/api/v1/offers/{id}',
      operationId: 'archiveOffer',
      summary: 'Archive an offer',
      tags,
      description: 'Archives the offer: no new subscriptions on it; existing subscriptions keep it.',
      request: { params: IdParam },
      responses: { 204: { description: 'Archived' } },
    }),
    async (c) => {
      await archiveOffer({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
