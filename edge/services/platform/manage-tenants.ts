import { asc, eq, gt } from 'drizzle-orm';
import { tenants } from '../../../db/control/index.ts';
import type { PlatformContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { presentTenant } from './present-tenant.ts';
import { pageOf } from '../page-of.ts';
import { forgetTenant } from '../tenants/find-tenant.ts';

export async function listTenants({
  ctx,
  input,
}: {
  ctx: PlatformContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(tenants)
    .where(input.cursor ? gt(tenants.slug, input.cursor) : undefined)
    .orderBy(asc(tenants.slug))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentTenant, (row) => row.slug);
}

export async function getTenant({ ctx, input }: { ctx: PlatformContext; input: { slug: string } }) {
  const [row] = await ctx.db.select().from(tenants).where(eq(tenants.slug, input.slug));
  if (!row) throw new AppError('not_found', `no tenant "${input.slug}"`);
  return presentTenant(row);
}

export type UpdateTenantInput = {
  name?: string | undefined;
  status?: 'active' | 'suspended' | undefined;
  max_subscribers?: number | null | undefined;
};

/** Renames, suspends or reactivates a tenant, or changes its limits. Suspension takes effect
 * on the tenant's next request in this process, and within activeTenantTtlMs elsewhere
 * (tenant requests reuse an active tenant's record that long). */
export async function updateTenant({
  ctx,
  input,
}: {
  ctx: PlatformContext;
  input: { slug: string; patch: UpdateTenantInput };
}) {
  const updated = await ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(tenants).where(eq(tenants.slug, input.slug));
    if (!row) throw new AppError('not_found', `no tenant "${input.slug}"`);
    if (row.status === 'provisioning') throw new AppError('invalid_state', 'the tenant is still being provisioned');
    const changes: Record<string, unknown> = {};
    if (input.patch.name !== undefined && input.patch.name !== row.name) changes.name = input.patch.name;
    if (input.patch.status !== undefined && input.patch.status !== row.status) changes.status = input.patch.status;
    if (input.patch.max_subscribers !== undefined && input.patch.max_subscribers !== row.maxSubscribers)
      changes.max_subscribers = input.patch.max_subscribers;
    if (Object.keys(changes).length === 0) return presentTenant(row);
    const [updated] = await tx
      .update(tenants)
      .set({
        ...(changes.name !== undefined ? { name: input.patch.name } : {}),
        ...(changes.status !== undefined ? { status: input.patch.status } : {}),
        ...('max_subscribers' in changes ? { maxSubscribers: input.patch.max_subscribers } : {}),
        updatedAt: new Date(ctx.platform.now()),
      })
      .where(eq(tenants.id, row.id))
      .returning();
    const action =
      changes.status === 'suspended'
        ? 'tenant.suspended'
        : changes.status === 'active'
          ? 'tenant.reactivated'
          : 'tenant.updated';
    await appendAuditEvent(tx, ctx, { action, resource: 'tenant', resourceId: row.id, changes });
    return presentTenant(updated!);
  });
  forgetTenant(ctx.platform, input.slug);
  return updated;
}
