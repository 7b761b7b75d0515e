import { z } from '@hono/zod-openapi';
import { body, json } from './common.ts';

// The TOTP enrolment routes of staff (/me/mfa/totp) and platform administrators
// (/platform/me/mfa/totp) take and answer the same shapes.
export const TotpCode = body(z.object({ code: z.string().regex(/^\d{6}$/, 'six digits') }));
export const MfaState = json(z.object({ mfa_enabled: z.boolean() }), 'MFA state');
export const TotpEnrolment = json(
  z.object({ secret: z.string(), otpauth_url: z.string() }),
  'A new TOTP secret; confirm it with a code',
);
