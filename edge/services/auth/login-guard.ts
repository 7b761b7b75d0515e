import { sql } from 'drizzle-orm';
import type { Config } from '../../env.ts';
import { AppError } from '../../errors.ts';
import type { DbOrTx } from '../../context.ts';

/** The tables whose rows have a password, `loginGuard()` and `totpFactor()` columns. */
export type AccountTable = 'users' | 'platform_users';

/**
 * Takes one strike before a password or code is checked, in one atomic UPDATE … RETURNING:
 * N attempts at once cost N strikes, and once `loginMaxFailures` of them have been taken
 * the account is locked for `loginLockSeconds` and every further attempt is refused (429)
 * without being checked. A completed login clears the strikes (`clearStrikes`).
 */
export async function takeStrike<S extends Record<string, unknown>>(
  db: DbOrTx<S>,
  table: AccountTable,
  id: string,
  config: Config,
  now: number,
) {
  const t = sql.identifier(table);
  const locks = sql`failed_logins + 1 >= ${config.loginMaxFailures}`;
  const taken = await db.all(sql`
    UPDATE ${t} SET
      failed_logins = CASE WHEN ${locks} THEN 0 ELSE failed_logins + 1 END,
      locked_until = CASE WHEN ${locks} THEN ${now + config.loginLockSeconds * 1000} ELSE NULL END
    WHERE id = ${id} AND (locked_until IS NULL OR locked_until <= ${now})
    RETURNING failed_logins`);
  if (taken.length > 0) return;
  const [row] = await db.all<{ locked_until: number | null }>(sql`SELECT locked_until FROM ${t} WHERE id = ${id}`);
  const retry = Math.max(1, Math.ceil((Number(row?.locked_until ?? now) - now) / 1000));
  throw new AppError('account_locked', 'too many failed attempts; try again later', {
    headers: { 'retry-after': String(retry) },
  });
}

/** The SET clause of a completed login or code check: strikes and lock cleared. */
export const clearStrikes = sql`failed_logins = 0, locked_until = NULL`;

/**
 * TOTP codes are single-use (RFC 6238 §5.2): an update that accepts `step` applies only
 * while no equal or later step has been accepted, so of two simultaneous uses one wins.
 */
export const stepUnused = (step: number) => sql`(totp_last_step IS NULL OR totp_last_step < ${step})`;

export const invalidCredentials = () => new AppError('invalid_credentials', 'the email, password or tenant is wrong');
