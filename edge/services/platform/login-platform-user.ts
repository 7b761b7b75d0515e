import { eq } from 'drizzle-orm';
import { platformUsers } from '../../../db/control/index.ts';
import type { PlatformContext } from '../../context.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { checkPasswordLogin, invalidCredentials } from '../auth/check-password-login.ts';
import { issueAccessToken } from '../auth/issue-token.ts';

export async function loginPlatformUser({ ctx, input }: { ctx: PlatformContext; input: { email: string; password: string } }) {
  const now = ctx.platform.now();
  const [user] = await ctx.db.select().from(platformUsers).where(eq(platformUsers.email, input.email.toLowerCase()));
  const verdict = await checkPasswordLogin(user, input.password, ctx.platform.config, now);
  if (!verdict.ok) {
    if (user && verdict.failure) {
      await ctx.db.transaction(async (tx) => {
        await tx.update(platformUsers).set(verdict.failure!).where(eq(platformUsers.id, user.id));
        await appendAuditEvent(tx, { ...ctx, actor: { type: 'platform_user', id: user.id } }, { action: 'auth.login_failed', resource: 'platform_user', resourceId: user.id });
      });
    }
    throw invalidCredentials();
  }
  await ctx.db.transaction(async (tx) => {
    await tx.update(platformUsers).set(verdict.reset).where(eq(platformUsers.id, user!.id));
    await appendAuditEvent(tx, { ...ctx, actor: { type: 'platform_user', id: user!.id } }, { action: 'auth.login', resource: 'platform_user', resourceId: user!.id });
  });
  return issueAccessToken(ctx.platform, { typ: 'platform', sub: user!.id });
}
