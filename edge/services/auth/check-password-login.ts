import type { Config } from '../../env.ts';
import { AppError } from '../../errors.ts';
import { decoyPasswordHash, verifyPassword } from '../../lib/password.ts';

export type GuardedAccount = { passwordHash: string; failedLogins: number; lockedUntil: Date | null };

export type LoginVerdict =
  | { ok: true; reset: { failedLogins: 0; lockedUntil: null; lastLoginAt: Date } }
  | { ok: false; failure: { failedLogins: number; lockedUntil: Date | null } | null };

/**
 * The password step shared by platform and staff logins. An unknown account is checked
 * against a decoy hash so response time does not reveal which emails exist. After
 * `loginMaxFailures` consecutive failures the account is locked for `loginLockSeconds`.
 */
export async function checkPasswordLogin(account: GuardedAccount | undefined, password: string, config: Config, now: number): Promise<LoginVerdict> {
  if (account?.lockedUntil && account.lockedUntil.getTime() > now) {
    const retry = Math.ceil((account.lockedUntil.getTime() - now) / 1000);
    throw new AppError('account_locked', 'too many failed logins; try again later', { headers: { 'retry-after': String(retry) } });
  }
  const valid = await verifyPassword(password, account?.passwordHash ?? decoyPasswordHash);
  if (!account) return { ok: false, failure: null };
  if (valid) return { ok: true, reset: { failedLogins: 0, lockedUntil: null, lastLoginAt: new Date(now) } };
  return { ok: false, failure: failedLogin(account, config, now) };
}

export function failedLogin(account: Pick<GuardedAccount, 'failedLogins'>, config: Config, now: number) {
  const failedLogins = account.failedLogins + 1;
  const locked = failedLogins >= config.loginMaxFailures;
  return { failedLogins: locked ? 0 : failedLogins, lockedUntil: locked ? new Date(now + config.loginLockSeconds * 1000) : null };
}

export const invalidCredentials = () => new AppError('invalid_credentials', 'the email, password or tenant is wrong');
