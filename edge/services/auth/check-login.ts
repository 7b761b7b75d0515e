import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../context.ts';
import type { Platform } from '../../env.ts';
import { AppError } from '../../errors.ts';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../../lib/password.ts';
import { openSecret } from '../../lib/sealed.ts';
import { decodeBase32, verifyTotp } from '../../lib/totp.ts';
import { clearStrikes, invalidCredentials, stepUnused, takeStrike, type AccountTable } from './login-guard.ts';

export type LoginAccount = {
  id: string;
  passwordHash: string;
  totpSecret: string | null;
  totpEnabledAt: Date | null;
  totpLastStep: number | null;
};

export type LoginInput = { password: string; totp?: string | undefined };

/** Same work as a wrong password, so response time does not tell which accounts exist. */
export async function refuseUnknownAccount(password: string): Promise<never> {
  await verifyPassword(password, decoyPasswordHash);
  throw invalidCredentials();
}

/**
 * The login step shared by staff and platform administrators: a strike is taken first (see
 * `takeStrike`), then the password, then the TOTP code when the account enrolled one. An
 * attempt that does not end in a login keeps its strike, one without its code included. A
 * password stored below the current cost is re-hashed on the login that proves it (unless a
 * password change replaced it meanwhile). `audit` records the outcome inside the transaction of the login's own write.
 */
export async function checkLogin<S extends Record<string, unknown>>(args: {
  db: DbOrTx<S>;
  table: AccountTable;
  account: LoginAccount | undefined;
  input: LoginInput;
  platform: Platform;
  audit: (tx: DbOrTx<S>, action: string) => Promise<void>;
}): Promise<void> {
  const { db, table, account, input, platform, audit } = args;
  const now = platform.now();
  if (!account) return refuseUnknownAccount(input.password);
  await takeStrike(db, table, account.id, platform.config, now);
  const refuse = async (action: string, error: AppError): Promise<never> => {
    await db.transaction((tx) => audit(tx, action));
    throw error;
  };
  const valid = await verifyPassword(input.password, account.passwordHash);
  if (!valid) return refuse('auth.login_failed', invalidCredentials());

  let step: number | null = null;
  const wrongCode = () => new AppError('invalid_credentials', 'the TOTP code is wrong or was already used');
  if (account.totpEnabledAt && account.totpSecret) {
    if (!input.totp) throw new AppError('mfa_required', 'this account needs a TOTP code: send it as "totp"');
    const secret = decodeBase32(await openSecret(account.totpSecret, platform.config.dataKey));
    step = await verifyTotp(secret, input.totp, now, account.totpLastStep);
    if (step === null) return refuse('auth.mfa_failed', wrongCode());
  }
  const rehash = needsRehash(account.passwordHash) ? await hashPassword(input.password) : null;
  const loggedIn = await db.transaction(async (tx) => {
    const usesCode = step === null ? sql`` : sql`, totp_last_step = ${step}`;
    const upgrades =
      rehash === null
        ? sql``
        : sql`,
      password_hash = CASE WHEN password_hash = ${account.passwordHash} THEN ${rehash} ELSE password_hash END`;
    const codeUnused = step === null ? sql`` : sql` AND ${stepUnused(step)}`;
    const rows = await tx.all(sql`
      UPDATE ${sql.identifier(table)} SET ${clearStrikes}, last_login_at = ${now}${usesCode}${upgrades}
      WHERE id = ${account.id}${codeUnused} RETURNING id`);
    if (rows.length === 0) return false;
    await audit(tx, 'auth.login');
    return true;
  });
  if (!loggedIn) return refuse('auth.mfa_failed', wrongCode());
}
