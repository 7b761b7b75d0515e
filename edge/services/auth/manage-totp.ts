import { eq, sql, type SQL } from 'drizzle-orm';
import { platformUsers } from '../../../db/control/index.ts';
import { users } from '../../../db/tenant/index.ts';
import type { DbOrTx, PlatformContext, ServiceContext, TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { openSecret, sealSecret } from '../../lib/sealed.ts';
import { decodeBase32, encodeBase32, totpUri, verifyTotp } from '../../lib/totp.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { clearStrikes, stepUnused, takeStrike, type AccountTable } from './login-guard.ts';

/** The account a TOTP factor belongs to: a tenant's staff user or a platform administrator. */
export type TotpOwner = {
  table: AccountTable;
  resource: 'user' | 'platform_user';
  id: string;
  issuer: string;
  account: string;
};

type Ctx<S extends Record<string, unknown>> = ServiceContext<DbOrTx<S>>;
type Factor = { totp_secret: string | null; totp_enabled_at: number | null; totp_last_step: number | null };
type CodeCheck<S extends Record<string, unknown>> = { ctx: Ctx<S>; owner: TotpOwner; input: { code: string } };

export async function staffTotpOwner(ctx: TenantContext): Promise<TotpOwner> {
  if (ctx.principal?.kind !== 'user') throw new AppError('forbidden', 'only a staff user (not an API key) has MFA');
  const [row] = await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, ctx.principal.id));
  if (!row) throw new AppError('not_found');
  return { table: 'users', resource: 'user', id: ctx.principal.id, issuer: ctx.tenant.name, account: row.email };
}

export async function platformTotpOwner(ctx: PlatformContext): Promise<TotpOwner> {
  const id = ctx.actor.id ?? '';
  const [row] = await ctx.db.select({ email: platformUsers.email }).from(platformUsers).where(eq(platformUsers.id, id));
  if (!row) throw new AppError('not_found');
  return { table: 'platform_users', resource: 'platform_user', id, issuer: 'ISP platform', account: row.email };
}

async function factorOf<S extends Record<string, unknown>>(ctx: Ctx<S>, owner: TotpOwner) {
  const table = sql.identifier(owner.table);
  const [row] = await ctx.db.all<Factor>(
    sql`SELECT totp_secret, totp_enabled_at, totp_last_step FROM ${table} WHERE id = ${owner.id}`,
  );
  if (!row) throw new AppError('not_found');
  return row;
}

/** Starts enrolment: a new secret, sealed at rest, active only once a code from it is verified. */
export async function enrolTotp<S extends Record<string, unknown>>({ ctx, owner }: { ctx: Ctx<S>; owner: TotpOwner }) {
  if ((await factorOf(ctx, owner)).totp_enabled_at !== null) {
    throw new AppError('invalid_state', 'TOTP is already enabled; disable it first');
  }
  const secret = encodeBase32(crypto.getRandomValues(new Uint8Array(20)));
  const sealed = await sealSecret(secret, ctx.platform.config.dataKey);
  await ctx.db.transaction(async (tx) => {
    const table = sql.identifier(owner.table);
    await tx.all(sql`UPDATE ${table} SET totp_secret = ${sealed}, totp_last_step = NULL WHERE id = ${owner.id}`);
    const action = `${owner.resource}.mfa_enrolment_started`;
    await appendAuditEvent(tx, ctx, { action, resource: owner.resource, resourceId: owner.id });
  });
  return { secret, otpauth_url: totpUri(owner.issuer, owner.account, secret) };
}

/**
 * Checks a code like a password (RFC 4226 §7.3 throttling): each check takes a strike
 * towards the account's lockout, so a stolen session cannot guess its way through. `change`
 * is the update the code authorises, made only if no code of that step or later was used
 * meanwhile; `action` is audited when it is made, `auth.mfa_failed` when not.
 */
async function withCode<S extends Record<string, unknown>>(
  ctx: Ctx<S>,
  owner: TotpOwner,
  factor: Factor,
  code: string,
  change: (step: number) => SQL,
  action: string,
) {
  if (!factor.totp_secret) throw new AppError('invalid_state', 'start TOTP enrolment first');
  const now = ctx.platform.now();
  await takeStrike(ctx.db, owner.table, owner.id, ctx.platform.config, now);
  const secret = decodeBase32(await openSecret(factor.totp_secret, ctx.platform.config.dataKey));
  const step = await verifyTotp(secret, code, now, factor.totp_last_step);
  const applied = await ctx.db.transaction(async (tx) => {
    const table = sql.identifier(owner.table);
    const rows =
      step === null
        ? []
        : await tx.all(sql`UPDATE ${table} SET ${change(step)}, ${clearStrikes}
                           WHERE id = ${owner.id} AND ${stepUnused(step)} RETURNING id`);
    const audited = rows.length > 0 ? action : 'auth.mfa_failed';
    await appendAuditEvent(tx, ctx, { action: audited, resource: owner.resource, resourceId: owner.id });
    return rows.length > 0;
  });
  if (!applied) {
    throw new AppError('unprocessable', 'the code is wrong or was already used', {
      errors: [{ path: 'code', message: 'invalid code' }],
    });
  }
}

export async function confirmTotp<S extends Record<string, unknown>>(args: CodeCheck<S>) {
  const { ctx, owner, input } = args;
  const factor = await factorOf(ctx, owner);
  if (factor.totp_enabled_at !== null) throw new AppError('invalid_state', 'TOTP is already enabled');
  const now = ctx.platform.now();
  const enable = (step: number) => sql`totp_enabled_at = ${now}, totp_last_step = ${step}`;
  await withCode(ctx, owner, factor, input.code, enable, `${owner.resource}.mfa_enabled`);
  return { mfa_enabled: true };
}

/** Turning MFA off needs a current code, so a stolen session alone cannot do it. */
export async function disableTotp<S extends Record<string, unknown>>(args: CodeCheck<S>) {
  const { ctx, owner, input } = args;
  const factor = await factorOf(ctx, owner);
  if (factor.totp_enabled_at === null) throw new AppError('invalid_state', 'TOTP is not enabled');
  const disable = () => sql`totp_enabled_at = NULL, totp_secret = NULL, totp_last_step = NULL`;
  await withCode(ctx, owner, factor, input.code, disable, `${owner.resource}.mfa_disabled`);
  return { mfa_enabled: false };
}
