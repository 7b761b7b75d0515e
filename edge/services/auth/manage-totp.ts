import { eq } from 'drizzle-orm';
import { users } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { openSecret, sealSecret } from '../../lib/sealed.ts';
import { decodeBase32, encodeBase32, totpUri, verifyTotp } from '../../lib/totp.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { failedLogin } from './check-password-login.ts';

const currentUser = async (ctx: TenantContext) => {
  if (ctx.principal?.kind !== 'user') throw new AppError('forbidden', 'only a staff user (not an API key) has MFA');
  const [row] = await ctx.db.select().from(users).where(eq(users.id, ctx.principal.id));
  if (!row) throw new AppError('not_found');
  return row;
};

/** Starts enrolment: a new secret, sealed at rest, active only once a code from it is verified. */
export async function enrolTotp({ ctx }: { ctx: TenantContext }) {
  const user = await currentUser(ctx);
  if (user.totpEnabledAt) throw new AppError('invalid_state', 'TOTP is already enabled; disable it first');
  const secret = encodeBase32(crypto.getRandomValues(new Uint8Array(20)));
  await ctx.db.transaction(async (tx) => {
    await tx.update(users).set({ totpSecret: await sealSecret(secret, ctx.platform.config.dataKey), totpLastStep: null }).where(eq(users.id, user.id));
    await appendAuditEvent(tx, ctx, { action: 'user.mfa_enrolment_started', resource: 'user', resourceId: user.id });
  });
  return { secret, otpauth_url: totpUri(ctx.tenant.name, user.email, secret) };
}

/** Checks a code like a password (RFC 4226 §7.3 throttling): wrong codes count towards
 * the account's lockout, so a stolen session cannot guess its way through. */
const checkCode = async (ctx: TenantContext, user: Awaited<ReturnType<typeof currentUser>>, code: string) => {
  if (!user.totpSecret) throw new AppError('invalid_state', 'start TOTP enrolment first');
  const now = ctx.platform.now();
  if (user.lockedUntil && user.lockedUntil.getTime() > now) {
    const retry = Math.ceil((user.lockedUntil.getTime() - now) / 1000);
    throw new AppError('account_locked', 'too many wrong codes; try again later', { headers: { 'retry-after': String(retry) } });
  }
  const secret = decodeBase32(await openSecret(user.totpSecret, ctx.platform.config.dataKey));
  const step = await verifyTotp(secret, code, now, user.totpLastStep);
  if (step === null) {
    await ctx.db.transaction(async (tx) => {
      await tx.update(users).set(failedLogin(user, ctx.platform.config, now)).where(eq(users.id, user.id));
      await appendAuditEvent(tx, ctx, { action: 'auth.mfa_failed', resource: 'user', resourceId: user.id });
    });
    throw new AppError('unprocessable', 'the code is wrong or was already used', { errors: [{ path: 'code', message: 'invalid code' }] });
  }
  return step;
};

export async function confirmTotp({ ctx, input }: { ctx: TenantContext; input: { code: string } }) {
  const user = await currentUser(ctx);
  if (user.totpEnabledAt) throw new AppError('invalid_state', 'TOTP is already enabled');
  const step = await checkCode(ctx, user, input.code);
  await ctx.db.transaction(async (tx) => {
    await tx.update(users).set({ totpEnabledAt: new Date(ctx.platform.now()), totpLastStep: step, failedLogins: 0 }).where(eq(users.id, user.id));
    await appendAuditEvent(tx, ctx, { action: 'user.mfa_enabled', resource: 'user', resourceId: user.id });
  });
  return { mfa_enabled: true };
}

/** Turning MFA off needs a current code, so a stolen session alone cannot do it. */
export async function disableTotp({ ctx, input }: { ctx: TenantContext; input: { code: string } }) {
  const user = await currentUser(ctx);
  if (!user.totpEnabledAt) throw new AppError('invalid_state', 'TOTP is not enabled');
  await checkCode(ctx, user, input.code);
  await ctx.db.transaction(async (tx) => {
    await tx.update(users).set({ totpEnabledAt: null, totpSecret: null, totpLastStep: null, failedLogins: 0 }).where(eq(users.id, user.id));
    await appendAuditEvent(tx, ctx, { action: 'user.mfa_disabled', resource: 'user', resourceId: user.id });
  });
  return { mfa_enabled: false };
}
