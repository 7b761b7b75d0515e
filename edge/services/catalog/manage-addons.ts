import { and, desc, eq, lt } from 'drizzle-orm';
import { addons, type AddonCharge } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { pageOf } from '../page-of.ts';
import type { AddonCreateInput, AddonPatchInput } from './catalog-input.ts';
import { archivedWhere, assertTaxRateUsable, diff, uniquely, type ArchivedFilter } from './catalog-store.ts';
import { presentAddon, pricesCell, type AddonRow } from './present.ts';

const codeTaken = (code: string) =>
  new AppError('conflict', `an add-on with code ${code} already exists`, {
    errors: [{ path: 'code', message: 'already used by another add-on' }],
  });

export async function findAddon(db: TenantReader, id: string): Promise<AddonRow> {
  const [row] = await db.select().from(addons).where(eq(addons.id, id));
  if (!row) throw new AppError('not_found', `no add-on ${id}`);
  return row;
}

export async function createAddon({ ctx, input }: { ctx: TenantContext; input: AddonCreateInput }) {
  const now = new Date(ctx.platform.now());
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        if (input.tax_rate_id) await assertTaxRateUsable(tx, input.tax_rate_id, 'tax_rate_id');
        const id = uuidv7(now.getTime());
        const [row] = await tx
          .insert(addons)
          .values({
            id,
            code: input.code,
            name: input.name,
            charge: input.charge,
            prices: input.prices,
            taxRateId: input.tax_rate_id ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        await appendAuditEvent(tx, ctx, {
          action: 'addon.created',
          resource: 'addon',
          resourceId: id,
          changes: { code: input.code, name: input.name, charge: input.charge, prices: input.prices },
        });
        return presentAddon(row!);
      }),
    () => codeTaken(input.code),
  );
}

export const getAddon = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentAddon(await findAddon(ctx.db, input.id));

export async function updateAddon({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: AddonPatchInput };
}) {
  const now = new Date(ctx.platform.now());
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        const row = await findAddon(tx, input.id);
        const { set, changes } = diff(row, input.patch, [
          ['code', 'code'],
          ['name', 'name'],
          ['charge', 'charge'],
          ['prices', 'prices'],
          ['tax_rate_id', 'taxRateId'],
        ]);
        if (Object.keys(changes).length === 0) return presentAddon(row);
        if (set.taxRateId) await assertTaxRateUsable(tx, set.taxRateId, 'tax_rate_id');
        const [updated] = await tx
          .update(addons)
          .set({ ...set, updatedAt: now })
          .where(eq(addons.id, row.id))
          .returning();
        await appendAuditEvent(tx, ctx, { action: 'addon.updated', resource: 'addon', resourceId: row.id, changes });
        return presentAddon(updated!);
      }),
    () => codeTaken(input.patch.code ?? ''),
  );
}

/** Archived add-ons cannot be added to subscriptions any more; those that have one keep it. */
export async function archiveAddon({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const now = new Date(ctx.platform.now());
  await ctx.db.transaction(async (tx) => {
    const row = await findAddon(tx, input.id);
    if (row.archivedAt) return;
    await tx.update(addons).set({ archivedAt: now, updatedAt: now }).where(eq(addons.id, row.id));
    await appendAuditEvent(tx, ctx, {
      action: 'addon.archived',
      resource: 'addon',
      resourceId: row.id,
      changes: { code: row.code },
    });
  });
}

export type AddonFilter = { charge?: AddonCharge | undefined; archived?: ArchivedFilter | undefined };

/** Newest first; the cursor is the id of the last add-on returned. */
export async function listAddons({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: AddonFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(addons)
    .where(
      and(
        input.charge ? eq(addons.charge, input.charge) : undefined,
        archivedWhere(addons.archivedAt, input.archived),
        input.cursor ? lt(addons.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(addons.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentAddon, (row) => row.id);
}

export const addonCsvColumns = [
  'code',
  'id',
  'name',
  'charge',
  'prices',
  'tax_rate_id',
  'archived_at',
  'created_at',
  'updated_at',
] as const;
export const addonCsvRecord = (addon: ReturnType<typeof presentAddon>) => ({
  ...addon,
  prices: pricesCell(addon.prices),
});
