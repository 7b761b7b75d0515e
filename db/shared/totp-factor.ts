import { integer, text } from 'drizzle-orm/sqlite-core';
import { instant } from './columns.ts';

// Columns of an account that may enrol a TOTP second factor (RFC 6238).
export const totpFactor = () => ({
  // The seed sealed with the platform's data key (AES-GCM); never stored in clear.
  totpSecret: text('totp_secret'),
  totpEnabledAt: instant('totp_enabled_at'),
  // Last accepted time step: a code is never accepted twice (RFC 6238 §5.2). Advanced only by
  // a conditional UPDATE, so two simultaneous logins cannot both use one code.
  totpLastStep: integer('totp_last_step'),
});
