import { and, eq, isNull } from 'drizzle-orm';
import * as tenantSchema from '../../../db/tenant/index.ts';
import type { PlatformContext, TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { findTenantBySlug } from '../tenants/find-tenant.ts';
import { checkLogin, refuseUnknownAccount } from './check-login.ts';
import { issueAccessToken } from './issue-token.ts';

const { users } = tenantSchema;

export type StaffLoginInput = { tenant: string; email: string; password: string; totp?: string | undefined };

/** Password, then TOTP when the user enrolled it; lockout counts failures of either. */
export async function loginStaff({ ctx, input }: { ctx: Omit<PlatformContext, 'db'>; input: StaffLoginInput }) {
  const platform = ctx.platform;
  const tenant = await findTenantBySlug(await platform.databases.control(), input.tenant);
  if (!tenant || tenant.status === 'provisioning') {
    return refuseUnknownAccount(input.password);
  }
  if (tenant.status === 'suspended') throw new AppError('tenant_suspended', 'this tenant is suspended');
  const lease = await platform.databases.leaseTenant(tenant.slug);
  try {
    const { db } = lease;
    const [user] = await db
      .select()
      .from(users)
      .where(and(eq(users.email, input.email.toLowerCase()), isNull(users.deletedAt), eq(users.status, 'active')));
    const actor = { type: 'user' as const, id: user?.id ?? null };
    const auditCtx: TenantContext = { ...ctx, db, tenant, principal: null, actor };
    await checkLogin({
      db,
      table: 'users',
      account: user,
      input,
      platform,
      audit: (tx, action) => appendAuditEvent(tx, auditCtx, { action, resource: 'user', resourceId: user!.id }),
    });
    const { id, role, sessionEpoch } = user!;
    return issueAccessToken(platform, { typ: 'staff', sub: id, tenant: tenant.slug, role, epoch: sessionEpoch });
  } finally {
    lease.release();
  }
}
