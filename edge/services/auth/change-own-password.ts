import { eq, sql } from 'drizzle-orm';
import { users } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { hashPassword, verifyPassword } from '../../lib/password.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { invalidCredentials, takeStrike } from './login-guard.ts';
import { issueAccessToken } from './issue-token.ts';

type PasswordChange = { current_password: string; new_password: string };

/**
 * A staff user changes their own password, proving the current one (each attempt takes a
 * strike towards the lockout like a login). Every token issued before is revoked by
 * bumping the session epoch; the caller gets a fresh token.
 */
export async function changeOwnPassword({ ctx, input }: { ctx: TenantContext; input: PasswordChange }) {
  const principal = ctx.principal;
  if (principal?.kind !== 'user') {
    throw new AppError('forbidden', 'only a staff user can change their password; API keys have none');
  }
  const now = ctx.platform.now();
  const [user] = await ctx.db.select().from(users).where(eq(users.id, principal.id));
  if (!user) throw new AppError('unauthenticated', 'the account no longer exists');
  await takeStrike(ctx.db, 'users', user.id, ctx.platform.config, now);
  if (!(await verifyPassword(input.current_password, user.passwordHash))) {
    await ctx.db.transaction((tx) =>
      appendAuditEvent(tx, ctx, { action: 'user.password_change_failed', resource: 'user', resourceId: user.id }),
    );
    throw invalidCredentials();
  }
  if (input.new_password === input.current_password) {
    throw new AppError('validation_failed', 'the new password must differ from the current one', {
      errors: [{ path: 'new_password', message: 'same as the current password' }],
    });
  }
  const passwordHash = await hashPassword(input.new_password);
  const [updated] = await ctx.db.transaction(async (tx) => {
    const rows = await tx
      .update(users)
      .set({
        passwordHash,
        failedLogins: 0,
        lockedUntil: null,
        sessionEpoch: sql`${users.sessionEpoch} + 1`,
        updatedAt: new Date(now),
      })
      .where(eq(users.id, user.id))
      .returning({ sessionEpoch: users.sessionEpoch });
    await appendAuditEvent(tx, ctx, {
      action: 'user.password_changed',
      resource: 'user',
      resourceId: user.id,
      changes: { password: '[changed]' },
    });
    return rows;
  });
  const epoch = updated!.sessionEpoch;
  return issueAccessToken(ctx.platform, {
    typ: 'staff',
    sub: user.id,
    tenant: ctx.tenant.slug,
    role: user.role,
    epoch,
  });
}
