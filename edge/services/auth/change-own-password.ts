import { eq, sql } from 'drizzle-orm';
import { users } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { hashPassword } from '../../lib/password.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { checkPasswordLogin, invalidCredentials } from './check-password-login.ts';
import { issueAccessToken } from './issue-token.ts';

/**
 * A staff user changes their own password, proving the current one (wrong guesses count
 * towards the lockout like failed logins). Every token issued before is revoked by
 * bumping the session epoch; the caller gets a fresh token.
 */
export async function changeOwnPassword({ ctx, input }: { ctx: TenantContext; input: { current_password: string; new_password: string } }) {
  const principal = ctx.principal;
  if (principal?.kind !== 'user') throw new AppError('forbidden', 'only a staff user can change their password; API keys have none');
  const now = ctx.platform.now();
  const [user] = await ctx.db.select().from(users).where(eq(users.id, principal.id));
  if (!user) throw new AppError('unauthenticated', 'the account no longer exists');
  const verdict = await checkPasswordLogin(user, input.current_password, ctx.platform.config, now);
  if (!verdict.ok) {
    await ctx.db.transaction(async (tx) => {
      if (verdict.failure) await tx.update(users).set(verdict.failure).where(eq(users.id, user.id));
      await appendAuditEvent(tx, ctx, { action: 'user.password_change_failed', resource: 'user', resourceId: user.id });
    });
    throw invalidCredentials();
  }
  if (input.new_password === input.current_password) {
    throw new AppError('validation_failed', 'the new password must differ from the current one', { errors: [{ path: 'new_password', message: 'same as the current password' }] });
  }
  const passwordHash = await hashPassword(input.new_password);
  const [updated] = await ctx.db.transaction(async (tx) => {
    const rows = await tx
      .update(users)
      .set({ passwordHash, failedLogins: 0, lockedUntil: null, sessionEpoch: sql`${users.sessionEpoch} + 1`, updatedAt: new Date(now) })
      .where(eq(users.id, user.id))
      .returning({ sessionEpoch: users.sessionEpoch });
    await appendAuditEvent(tx, ctx, { action: 'user.password_changed', resource: 'user', resourceId: user.id, changes: { password: '[changed]' } });
    return rows;
  });
  return issueAccessToken(ctx.platform, { typ: 'staff', sub: user.id, tenant: ctx.tenant.slug, role: user.role, epoch: updated!.sessionEpoch });
}
