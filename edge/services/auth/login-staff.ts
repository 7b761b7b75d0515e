import { and, eq, isNull } from 'drizzle-orm';
import * as tenantSchema from '../../../db/tenant/index.ts';
import type { PlatformContext, TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { openSecret } from '../../lib/sealed.ts';
import { decodeBase32, verifyTotp } from '../../lib/totp.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { findTenantBySlug } from '../tenants/find-tenant.ts';
import { checkPasswordLogin, failedLogin, invalidCredentials } from './check-password-login.ts';
import { issueAccessToken } from './issue-token.ts';

const { users } = tenantSchema;

export type StaffLoginInput = { tenant: string; email: string; password: string; totp?: string | undefined };

/** Password, then TOTP when the user enrolled it; lockout counts failures of either. */
export async function loginStaff({ ctx, input }: { ctx: Omit<PlatformContext, 'db'>; input: StaffLoginInput }) {
  const platform = ctx.platform;
  const tenant = await findTenantBySlug(await platform.databases.control(), input.tenant);
  if (!tenant || tenant.status === 'provisioning') {
    // Same work as a wrong password, so timing does not tell which tenants exist.
    await checkPasswordLogin(undefined, input.password, platform.config, platform.now());
    throw invalidCredentials();
  }
  if (tenant.status === 'suspended') throw new AppError('tenant_suspended', 'this tenant is suspended');
  const lease = await platform.databases.leaseTenant(tenant.slug);
  try {
    const { db } = lease;
    const now = platform.now();
    const [user] = await db
      .select()
      .from(users)
      .where(and(eq(users.email, input.email.toLowerCase()), isNull(users.deletedAt), eq(users.status, 'active')));
    const auditCtx: TenantContext = { ...ctx, db, tenant, principal: null, actor: { type: 'user', id: user?.id ?? null } };
    const verdict = await checkPasswordLogin(user, input.password, platform.config, now);

    const fail = async (failure: { failedLogins: number; lockedUntil: Date | null }, action: string) => {
      await db.transaction(async (tx) => {
        await tx.update(users).set(failure).where(eq(users.id, user!.id));
        await appendAuditEvent(tx, auditCtx, { action, resource: 'user', resourceId: user!.id });
      });
    };

    if (!verdict.ok) {
      if (user && verdict.failure) await fail(verdict.failure, 'auth.login_failed');
      throw invalidCredentials();
    }
    let totpStep: number | null = null;
    if (user!.totpEnabledAt && user!.totpSecret) {
      if (!input.totp) throw new AppError('mfa_required', 'this account needs a TOTP code: send it as "totp"');
      const secret = decodeBase32(await openSecret(user!.totpSecret, platform.config.dataKey));
      totpStep = await verifyTotp(secret, input.totp, now, user!.totpLastStep);
      if (totpStep === null) {
        await fail(failedLogin(user!, platform.config, now), 'auth.mfa_failed');
        throw new AppError('invalid_credentials', 'the TOTP code is wrong or was already used');
      }
    }
    await db.transaction(async (tx) => {
      await tx
        .update(users)
        .set({ ...verdict.reset, ...(totpStep !== null ? { totpLastStep: totpStep } : {}) })
        .where(eq(users.id, user!.id));
      await appendAuditEvent(tx, auditCtx, { action: 'auth.login', resource: 'user', resourceId: user!.id });
    });
    return issueAccessToken(platform, { typ: 'staff', sub: user!.id, tenant: tenant.slug, role: user!.role, epoch: user!.sessionEpoch });
  } finally {
    lease.release();
  }
}
