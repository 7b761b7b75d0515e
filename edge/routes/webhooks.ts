import { z } from '@hono/zod-openapi';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  retryWebhookDelivery,
  updateWebhookEndpoint,
} from '../services/webhooks/manage-webhooks.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';
import { locationHeader } from './operation.ts';

const tags = ['webhooks'];

const EventType = z
  .string()
  .regex(/^(\*|[a-z][a-z_]*(\.[a-z][a-z_]*)+)$/, 'an event type such as subscription.suspended, or *')
  .openapi({ example: 'subscription.suspended' });
const EventTypes = z.array(EventType).min(1).max(100);
const Url = z.string().max(2000).openapi({ example: 'https://crm.example.com/hooks/isp' });

const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    status: z.enum(['enabled', 'disabled']),
    disabled_reason: z.string().nullable().openapi({ description: 'Why it stopped: sustained failure, or the API' }),
    disabled_at: z.string().nullable(),
    failing_since: z.string().nullable().openapi({ description: 'First failed attempt since the last success' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookEndpoint');

const WebhookDelivery = z
  .object({
    id: z.string().openapi({ description: 'The webhook-id header of every attempt' }),
    endpoint_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('WebhookDelivery');

// Event types as one cell, "a; b", like the offers' price lists.
const endpointCsvColumns = [
  'url',
  'description',
  'events',
  'status',
  'disabled_reason',
  'disabled_at',
  'failing_since',
  'created_at',
  'updated_at',
  'id',
] as const;
const deliveryCsvColumns = [
  'event_type',
  'status',
  'attempts',
  'next_attempt_at',
  'last_attempt_at',
  'last_status_code',
  'last_error',
  'created_at',
  'event_id',
  'endpoint_id',
  'id',
] as const;

const Create = z.object({ url: Url, events: EventTypes, description: z.string().max(500).nullish() });
const Patch = z
  .object({
    url: Url,
    events: EventTypes,
    description: z.string().max(500).nullable(),
    status: z.enum(['enabled', 'disabled']),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'name at least one field');

const secret = z.string().openapi({
  description: 'whsec_ + base64 signing key; shown only in this response',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
});

export const webhooksRouter = createRouter()
  .openapi(
    tenantRoute('webhooks:write', {
      method: 'post',
      path: '/api/v1/webhooks',
      operationId: 'createWebhookEndpoint',
      summary: 'Register a webhook endpoint',
      tags,
      description:
        'Events of the listed types (`*` for all) are POSTed to `url` as Standard Webhooks messages, signed with the ' +
        'secret returned here, once. Loopback and private addresses are refused on Workers, and self-hosted ' +
        'with WEBHOOK_ALLOW_PRIVATE=0.',
      request: { body: body(Create) },
      responses: {
        201: {
          ...json(WebhookEndpoint.extend({ secret }), 'The endpoint and its signing secret'),
          headers: locationHeader,
        },
      },
    }),
    async (c) => {
      const created = await createWebhookEndpoint({ ctx: c.get('tenantCtx'), input: c.req.valid('json') });
      return c.json(created, 201, { location: `/api/v1/webhooks/${created.id}` });
    },
  )
  .openapi(
    tenantRoute('webhooks:read', {
      method: 'get',
      path: '/api/v1/webhooks',
      operationId: 'listWebhookEndpoints',
      summary: 'List webhook endpoints',
      tags,
      request: { query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(WebhookEndpoint, 'Endpoints, newest first (never their secrets)') },
    }),
    (c) =>
      listOrCsv(c, c.req.valid('query'), listWebhookEndpoints, {
        filename: 'webhooks.csv',
        columns: endpointCsvColumns,
        row: (endpoint) => ({
          ...endpoint,
          events: endpoint.events.join('; '),
        }),
      }),
  )
  .openapi(
    tenantRoute('webhooks:read', {
      method: 'get',
      path: '/api/v1/webhooks/{id}',
      operationId: 'getWebhookEndpoint',
      summary: 'Get a webhook endpoint',
      tags,
      request: { params: IdParam },
      responses: { 200: json(WebhookEndpoint, 'The endpoint') },
    }),
    async (c) => c.json(await getWebhookEndpoint({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('webhooks:write', {
      method: 'patch',
      path: '/api/v1/webhooks/{id}',
      operationId: 'updateWebhookEndpoint',
      summary: 'Change, disable or enable a webhook endpoint',
      tags,
      description: 'Enabling a disabled endpoint resumes its pending deliveries and clears its failure streak.',
      request: { params: IdParam, body: body(Patch) },
      responses: { 200: json(WebhookEndpoint, 'The endpoint') },
    }),
    async (c) => {
      const input = { id: c.req.valid('param').id, patch: c.req.valid('json') };
      return c.json(await updateWebhookEndpoint({ ctx: c.get('tenantCtx'), input }), 200);
    },
  )
  .openapi(
    tenantRoute('webhooks:write', {
      method: 'delete',
      path: '/api/v1/webhooks/{id}',
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete a webhook endpoint and its deliveries',
      tags,
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteWebhookEndpoint({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  )
  .openapi(
    tenantRoute('webhooks:read', {
      method: 'get',
      path: '/api/v1/webhooks/{id}/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: "List an endpoint's deliveries",
      tags,
      request: {
        params: IdParam,
        query: Pagination.extend({ status: WebhookDelivery.shape.status.optional() }).extend(ListFormat.shape),
      },
      responses: { 200: listResponse(WebhookDelivery, 'Deliveries, newest first') },
    }),
    (c) =>
      listOrCsv(c, { ...c.req.valid('param'), ...c.req.valid('query') }, listWebhookDeliveries, {
        filename: 'webhook-deliveries.csv',
        columns: deliveryCsvColumns,
      }),
  )
  .openapi(
    tenantRoute('webhooks:write', {
      method: 'post',
      path: '/api/v1/webhooks/deliveries/{id}/retry',
      operationId: 'retryWebhookDelivery',
      summary: 'Send a delivery again now',
      tags,
      description: 'One more attempt with the same webhook-id and body, at once (whatever its status).',
      request: { params: IdParam },
      responses: { 200: json(WebhookDelivery, 'The delivery, pending') },
    }),
    async (c) => c.json(await retryWebhookDelivery({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  );
