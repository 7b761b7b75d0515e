import { z } from '@hono/zod-openapi';
import { changeOwnPassword } from '../services/auth/change-own-password.ts';
import { confirmTotp, disableTotp, enrolTotp, staffTotpOwner } from '../services/auth/manage-totp.ts';
import { getUser } from '../services/users/manage-users.ts';
import { Password, StaffRole, body, createRouter, json, tenantRoute } from './common.ts';
import { MfaState, TotpCode, TotpEnrolment } from './mfa-schemas.ts';
import { User } from './users.ts';

const Me = z
  .object({
    kind: z.enum(['user', 'api_key']),
    id: z.string(),
    role: StaffRole,
    permissions: z.array(z.string()),
    tenant: z.object({ slug: z.string(), name: z.string(), currency: z.string(), timezone: z.string() }),
    user: User.nullable(),
  })
  .openapi('Me');

const PasswordChange = body(z.object({ current_password: z.string().min(1).max(256), new_password: Password }));
const Token = json(
  z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() }),
  'A fresh access token; every earlier one is revoked',
);

export const meRouter = createRouter()
  .openapi(
    tenantRoute(null, {
      method: 'get',
      path: '/api/v1/me',
      operationId: 'getMe',
      summary: 'Get the caller',
      tags: ['me'],
      responses: { 200: json(Me, 'The caller') },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      const p = ctx.principal!;
      return c.json(
        {
          kind: p.kind,
          id: p.id,
          role: p.role,
          permissions: [...p.permissions],
          tenant: {
            slug: ctx.tenant.slug,
            name: ctx.tenant.name,
            currency: ctx.tenant.currency,
            timezone: ctx.tenant.timezone,
          },
          user: p.kind === 'user' ? await getUser({ ctx, input: { id: p.id } }) : null,
        },
        200,
      );
    },
  )
  .openapi(
    tenantRoute(null, {
      method: 'post',
      path: '/api/v1/me/mfa/totp',
      operationId: 'enrolTotp',
      summary: 'Start TOTP enrolment',
      tags: ['me'],
      responses: { 200: TotpEnrolment },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      return c.json(await enrolTotp({ ctx, owner: await staffTotpOwner(ctx) }), 200);
    },
  )
  .openapi(
    tenantRoute(null, {
      method: 'post',
      path: '/api/v1/me/mfa/totp/verify',
      operationId: 'verifyTotp',
      summary: 'Confirm TOTP enrolment with a code',
      tags: ['me'],
      request: { body: TotpCode },
      responses: { 200: MfaState },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      return c.json(await confirmTotp({ ctx, owner: await staffTotpOwner(ctx), input: c.req.valid('json') }), 200);
    },
  )
  .openapi(
    tenantRoute(null, {
      method: 'delete',
      path: '/api/v1/me/mfa/totp',
      operationId: 'disableTotp',
      summary: 'Turn TOTP off',
      tags: ['me'],
      request: { body: TotpCode },
      responses: { 200: MfaState },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      return c.json(await disableTotp({ ctx, owner: await staffTotpOwner(ctx), input: c.req.valid('json') }), 200);
    },
  )
  .openapi(
    tenantRoute(null, {
      method: 'post',
      path: '/api/v1/me/password',
      operationId: 'changeMyPassword',
      summary: "Change the caller's password",
      tags: ['me'],
      request: { body: PasswordChange },
      responses: { 200: Token },
    }),
    async (c) => c.json(await changeOwnPassword({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 200),
  );
