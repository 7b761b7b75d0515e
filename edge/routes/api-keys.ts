import { z } from '@hono/zod-openapi';
import { permissions } from '../permissions.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys/manage-api-keys.ts';
import { listOrCsv } from './list-csv.ts';
import {
  IdParam,
  ListFormat,
  Pagination,
  StaffRole,
  body,
  createRouter,
  json,
  listResponse,
  tenantRoute,
} from './common.ts';

const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: StaffRole,
    scopes: z.array(z.string()).openapi({ description: 'The permissions the key may use' }),
    prefix: z.string(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

const apiKeyCsvColumns = [
  'id',
  'name',
  'role',
  'prefix',
  'created_by',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
] as const;

const CreateApiKey = z.object({
  name: z.string().trim().min(1).max(200),
  role: StaffRole,
  scopes: z
    .array(z.enum(permissions))
    .min(1)
    .optional()
    .openapi({ description: 'Permissions of `role` the key may use (default: all); at most what the caller holds' }),
  expires_at: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'From this instant the key is refused (401)' }),
});

export const apiKeysRouter = createRouter()
  .openapi(
    tenantRoute('api_keys:write', {
      method: 'post',
      path: '/api/v1/api-keys',
      operationId: 'createApiKey',
      summary: 'Create an API key (its secret is shown once)',
      tags: ['api-keys'],
      request: { body: body(CreateApiKey) },
      responses: {
        201: json(
          ApiKey.extend({ secret: z.string().openapi({ description: 'Shown once; use as a Bearer token' }) }),
          'The new key and its secret',
        ),
      },
    }),
    async (c) => c.json(await createApiKey({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('api_keys:read', {
      method: 'get',
      path: '/api/v1/api-keys',
      operationId: 'listApiKeys',
      summary: 'List API keys',
      tags: ['api-keys'],
      request: {
        query: Pagination.extend({
          include_revoked: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          ...ListFormat.shape,
        }),
      },
      responses: {
        200: listResponse(ApiKey, 'API keys (never their secrets); with format=csv every matching key as CSV'),
      },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listApiKeys, { filename: 'api-keys.csv', columns: apiKeyCsvColumns }),
  )
  .openapi(
    tenantRoute('api_keys:write', {
      method: 'delete',
      path: '/api/v1/api-keys/{id}',
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key',
      tags: ['api-keys'],
      request: { params: IdParam },
      responses: { 204: { description: 'Revoked' } },
    }),
    async (c) => {
      await revokeApiKey({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
