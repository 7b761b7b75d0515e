import { z } from '@hono/zod-openapi';
import { limitLoginsBySource } from '../middleware/login-rate-limit.ts';
import { loginStaff } from '../services/auth/login-staff.ts';
import { Email, body, createRouter, json, publicRoute } from './common.ts';

export const Totp = z
  .string()
  .regex(/^\d{6}$/, 'six digits')
  .optional()
  .openapi({ description: 'The current TOTP code, when MFA is on' });

export const AccessToken = z
  .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() })
  .openapi('AccessToken');

export const authRouter = createRouter().openapi(
  publicRoute(limitLoginsBySource(), {
    method: 'post',
    path: '/api/v1/auth/login',
    operationId: 'loginStaff',
    summary: "Log in as a tenant's staff user",
    tags: ['auth'],
    request: {
      body: body(
        z.object({
          tenant: z.string().min(1).max(63),
          email: Email,
          password: z.string().min(1).max(256),
          totp: Totp,
        }),
      ),
    },
    responses: { 200: json(AccessToken, "An access token bound to the tenant and the user's role") },
  }),
  async (c) => {
    const ctx = {
      platform: c.get('platform'),
      actor: { type: 'user' as const, id: null },
      requestId: c.get('requestId'),
      ip: c.get('clientIp'),
      log: c.get('log'),
    };
    return c.json(await loginStaff({ ctx, input: c.req.valid('json') }), 200);
  },
);
