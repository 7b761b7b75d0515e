import { integer } from 'drizzle-orm/sqlite-core';
import { instant } from './columns.ts';

// Columns every password-holding account has for lockout after repeated failures.
export const loginGuard = () => ({
  failedLogins: integer('failed_logins').notNull().default(0),
  lockedUntil: instant('locked_until'),
  lastLoginAt: instant('last_login_at'),
});
