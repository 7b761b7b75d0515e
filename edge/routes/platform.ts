import { z } from '@hono/zod-openapi';
import { limitLoginsBySource } from '../middleware/login-rate-limit.ts';
import { confirmTotp, disableTotp, enrolTotp, platformTotpOwner } from '../services/auth/manage-totp.ts';
import { loginPlatformUser } from '../services/platform/login-platform-user.ts';
import { createTenant } from '../services/platform/create-tenant.ts';
import { getTenant, listTenants, updateTenant } from '../services/platform/manage-tenants.ts';
import { Email, Pagination, Password, body, createRouter, json, page, platformRoute, publicRoute } from './common.ts';
import { AccessToken, Totp } from './auth.ts';
import { MfaState, TotpCode, TotpEnrolment } from './mfa-schemas.ts';

const reservedSlugs = new Set(['control', 'api', 'admin', 'platform', 'www', 'app', 'static', 'assets']);

const Slug = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and inner hyphens only')
  .refine((s) => !reservedSlugs.has(s), 'this slug is reserved');

const currencies = new Set(Intl.supportedValuesOf('currency'));
const timezones = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

const Tenant = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    currency: z.string(),
    timezone: z.string(),
    status: z.enum(['provisioning', 'active', 'suspended']),
    max_subscribers: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Tenant');

const CreateTenant = z.object({
  slug: Slug,
  name: z.string().trim().min(1).max(200),
  currency: z.string().refine((c) => currencies.has(c), 'must be an ISO 4217 currency code, e.g. USD'),
  timezone: z.string().refine((t) => timezones.has(t), 'must be an IANA time zone, e.g. Africa/Lagos'),
  admin_email: Email,
  admin_password: Password,
  max_subscribers: z.number().int().min(0).optional(),
});

const UpdateTenant = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    status: z.enum(['active', 'suspended']).optional(),
    max_subscribers: z.number().int().min(0).nullable().optional(),
  })
  .strict();

const SlugParam = z.object({ slug: z.string().openapi({ param: { name: 'slug', in: 'path' } }) });

export const platformRouter = createRouter()
  .openapi(
    publicRoute(limitLoginsBySource(), {
      method: 'post',
      path: '/api/v1/platform/auth/login',
      operationId: 'loginPlatformAdmin',
      summary: 'Log in as a platform administrator',
      tags: ['platform'],
      request: { body: body(z.object({ email: Email, password: z.string().min(1).max(256), totp: Totp })) },
      responses: { 200: json(AccessToken, 'An access token for the platform administrator') },
    }),
    async (c) => {
      const control = await c.get('platform').databases.controlDb();
      const ctx = {
        db: control,
        platform: c.get('platform'),
        actor: { type: 'platform_user' as const, id: null },
        requestId: c.get('requestId'),
        ip: c.get('clientIp'),
        log: c.get('log'),
      };
      return c.json(await loginPlatformUser({ ctx, input: c.req.valid('json') }), 200);
    },
  )
  .openapi(
    platformRoute({
      method: 'post',
      path: '/api/v1/platform/me/mfa/totp',
      operationId: 'enrolPlatformTotp',
      summary: 'Start TOTP enrolment (platform administrator)',
      tags: ['platform'],
      responses: { 200: TotpEnrolment },
    }),
    async (c) => {
      const ctx = c.get('platformCtx');
      return c.json(await enrolTotp({ ctx, owner: await platformTotpOwner(ctx) }), 200);
    },
  )
  .openapi(
    platformRoute({
      method: 'post',
      path: '/api/v1/platform/me/mfa/totp/verify',
      operationId: 'verifyPlatformTotp',
      summary: 'Confirm TOTP enrolment with a code (platform administrator)',
      tags: ['platform'],
      request: { body: TotpCode },
      responses: { 200: MfaState },
    }),
    async (c) => {
      const ctx = c.get('platformCtx');
      return c.json(await confirmTotp({ ctx, owner: await platformTotpOwner(ctx), input: c.req.valid('json') }), 200);
    },
  )
  .openapi(
    platformRoute({
      method: 'delete',
      path: '/api/v1/platform/me/mfa/totp',
      operationId: 'disablePlatformTotp',
      summary: 'Turn TOTP off (platform administrator)',
      tags: ['platform'],
      request: { body: TotpCode },
      responses: { 200: MfaState },
    }),
    async (c) => {
      const ctx = c.get('platformCtx');
      return c.json(await disableTotp({ ctx, owner: await platformTotpOwner(ctx), input: c.req.valid('json') }), 200);
    },
  )
  .openapi(
    platformRoute({
      method: 'post',
      path: '/api/v1/platform/tenants',
      operationId: 'createTenant',
      summary: 'Create a tenant with its owner',
      tags: ['platform'],
      request: { body: body(CreateTenant) },
      responses: { 201: json(Tenant, 'The tenant, active, with its database and owner') },
    }),
    async (c) => c.json(await createTenant({ ctx: c.get('platformCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    platformRoute({
      method: 'get',
      path: '/api/v1/platform/tenants',
      operationId: 'listTenants',
      summary: 'List tenants',
      tags: ['platform'],
      request: { query: Pagination },
      responses: { 200: json(page(Tenant), 'Tenants by slug') },
    }),
    async (c) => c.json(await listTenants({ ctx: c.get('platformCtx'), input: c.req.valid('query') }), 200),
  )
  .openapi(
    platformRoute({
      method: 'get',
      path: '/api/v1/platform/tenants/{slug}',
      operationId: 'getTenant',
      summary: 'Get a tenant',
      tags: ['platform'],
      request: { params: SlugParam },
      responses: { 200: json(Tenant, 'The tenant') },
    }),
    async (c) => c.json(await getTenant({ ctx: c.get('platformCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    platformRoute({
      method: 'patch',
      path: '/api/v1/platform/tenants/{slug}',
      operationId: 'updateTenant',
      summary: 'Rename, suspend, reactivate or limit a tenant',
      tags: ['platform'],
      request: { params: SlugParam, body: body(UpdateTenant) },
      responses: { 200: json(Tenant, 'The updated tenant') },
    }),
    async (c) =>
      c.json(
        await updateTenant({
          ctx: c.get('platformCtx'),
          input: { slug: c.req.valid('param').slug, patch: c.req.valid('json') },
        }),
        200,
      ),
  );
