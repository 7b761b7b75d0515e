import { eq } from 'drizzle-orm';
import { platformUsers } from '../../../db/control/index.ts';
import type { PlatformContext } from '../../context.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { checkLogin, type LoginInput } from '../auth/check-login.ts';
import { issueAccessToken } from '../auth/issue-token.ts';

type PlatformLoginInput = LoginInput & { email: string };

/** Password, then TOTP when the administrator enrolled it; the same lockout as staff logins. */
export async function loginPlatformUser({ ctx, input }: { ctx: PlatformContext; input: PlatformLoginInput }) {
  const email = input.email.toLowerCase();
  const [user] = await ctx.db.select().from(platformUsers).where(eq(platformUsers.email, email));
  const actor = { type: 'platform_user' as const, id: user?.id ?? null };
  await checkLogin({
    db: ctx.db,
    table: 'platform_users',
    account: user,
    input,
    platform: ctx.platform,
    audit: (tx, action) =>
      appendAuditEvent(tx, { ...ctx, actor }, { action, resource: 'platform_user', resourceId: user!.id }),
  });
  return issueAccessToken(ctx.platform, { typ: 'platform', sub: user!.id });
}
