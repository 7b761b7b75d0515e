import { count } from 'drizzle-orm';
import { platformUsers } from '../../../db/control/index.ts';
import type { PlatformContext } from '../../context.ts';
import { randomToken } from '../../lib/crypto.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { hashPassword } from '../../lib/password.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';

/**
 * When the control database has no platform user, creates the first one from
 * configuration, or with a generated password that is returned so it can be shown once.
 */
export async function ensurePlatformAdmin({
  ctx,
}: {
  ctx: PlatformContext;
}): Promise<{ email: string; password: string | null } | null> {
  const [{ n } = { n: 0 }] = await ctx.db.select({ n: count() }).from(platformUsers);
  if (n > 0) return null;
  const email = (ctx.platform.config.platformAdminEmail ?? 'admin@platform.local').toLowerCase();
  const generated = ctx.platform.config.platformAdminPassword ? null : randomToken(18);
  const password = ctx.platform.config.platformAdminPassword ?? generated!;
  const now = new Date(ctx.platform.now());
  const id = uuidv7();
  const passwordHash = await hashPassword(password);
  await ctx.db.transaction(async (tx) => {
    await tx
      .insert(platformUsers)
      .values({ id, email, name: 'Platform administrator', passwordHash, createdAt: now, updatedAt: now });
    await appendAuditEvent(tx, ctx, {
      action: 'platform_user.created',
      resource: 'platform_user',
      resourceId: id,
      changes: { email },
    });
  });
  return { email, password: generated };
}
