import { eq } from 'drizzle-orm';
import { tenants } from '../../../db/control/index.ts';
import * as tenantSchema from '../../../db/tenant/index.ts';
import type { PlatformContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { hashPassword } from '../../lib/password.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { presentTenant } from './present-tenant.ts';

export type CreateTenantInput = {
  slug: string;
  name: string;
  currency: string;
  timezone: string;
  admin_email: string;
  admin_password: string;
  max_subscribers?: number | undefined;
};

/**
 * Registers the tenant as `provisioning`, creates and migrates its database with its
 * owner, then marks it `active`. A failure undoes both; a crash leaves a provisioning
 * row that can neither log in nor be half-used.
 */
export async function createTenant({ ctx, input }: { ctx: PlatformContext; input: CreateTenantInput }) {
  const now = new Date(ctx.platform.now());
  const id = uuidv7();
  const ownerId = uuidv7();
  const passwordHash = await hashPassword(input.admin_password);
  const row = {
    id,
    slug: input.slug,
    name: input.name,
    currency: input.currency,
    timezone: input.timezone,
    status: 'provisioning' as const,
    maxSubscribers: input.max_subscribers ?? null,
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await ctx.db.insert(tenants).values(row).onConflictDoNothing().returning({ id: tenants.id });
  if (inserted.length === 0) throw new AppError('conflict', `a tenant with slug "${input.slug}" already exists`);

  try {
    await ctx.platform.databases.createTenant(input.slug);
    const lease = await ctx.platform.databases.leaseTenant(input.slug);
    try {
      const { db } = lease;
      const tenantCtx = { ...ctx, db };
      await db.transaction(async (tx) => {
        await appendAuditEvent(tx, tenantCtx, {
          action: 'tenant.created',
          resource: 'tenant',
          resourceId: id,
          changes: { slug: input.slug, name: input.name },
        });
        await tx.insert(tenantSchema.users).values({
          id: ownerId,
          email: input.admin_email.toLowerCase(),
          name: 'Owner',
          role: 'owner',
          status: 'active',
          passwordHash,
          createdAt: now,
          updatedAt: now,
        });
        await appendAuditEvent(tx, tenantCtx, {
          action: 'user.created',
          resource: 'user',
          resourceId: ownerId,
          changes: { email: input.admin_email.toLowerCase(), role: 'owner' },
        });
      });
    } finally {
      lease.release();
    }
  } catch (error) {
    await ctx.platform.databases.dropTenant(input.slug).catch(() => undefined);
    await ctx.db.delete(tenants).where(eq(tenants.id, id));
    throw error;
  }

  const [active] = await ctx.db.transaction(async (tx) => {
    const updated = await tx
      .update(tenants)
      .set({ status: 'active', updatedAt: now })
      .where(eq(tenants.id, id))
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'tenant.created',
      resource: 'tenant',
      resourceId: id,
      changes: { slug: input.slug, name: input.name, currency: input.currency },
    });
    return updated;
  });
  return presentTenant(active!);
}
