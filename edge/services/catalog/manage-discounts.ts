import { and, desc, eq, lt } from 'drizzle-orm';
import { discounts, type DiscountKind } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { pageOf } from '../page-of.ts';
import { discountErrors, type DiscountCreateInput, type DiscountPatchInput } from './catalog-input.ts';
import { archivedWhere, diff, uniquely, validationFailed, type ArchivedFilter } from './catalog-store.ts';
import { presentDiscount, pricesCell, type DiscountRow } from './present.ts';

const codeTaken = (code: string) =>
  new AppError('conflict', `a discount with code ${code} already exists`, {
    errors: [{ path: 'code', message: 'already used by another discount' }],
  });

export async function findDiscount(db: TenantReader, id: string): Promise<DiscountRow> {
  const [row] = await db.select().from(discounts).where(eq(discounts.id, id));
  if (!row) throw new AppError('not_found', `no discount ${id}`);
  return row;
}

const auditable = (d: ReturnType<typeof presentDiscount>) => ({
  code: d.code,
  name: d.name,
  kind: d.kind,
  percent: d.percent,
  amounts: d.amounts,
  valid_from: d.valid_from,
  valid_until: d.valid_until,
  max_cycles: d.max_cycles,
});

export async function createDiscount({ ctx, input }: { ctx: TenantContext; input: DiscountCreateInput }) {
  const now = new Date(ctx.platform.now());
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        const id = uuidv7(now.getTime());
        const [row] = await tx
          .insert(discounts)
          .values({
            id,
            code: input.code,
            name: input.name,
            kind: input.kind,
            percent: input.percent ?? null,
            amounts: input.amounts ?? null,
            validFrom: input.valid_from ?? null,
            validUntil: input.valid_until ?? null,
            maxCycles: input.max_cycles ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        const discount = presentDiscount(row!);
        await appendAuditEvent(tx, ctx, {
          action: 'discount.created',
          resource: 'discount',
          resourceId: id,
          changes: auditable(discount),
        });
        return discount;
      }),
    () => codeTaken(input.code),
  );
}

export const getDiscount = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentDiscount(await findDiscount(ctx.db, input.id));

/** A change of kind brings its own value: percent → fixed sets amounts and clears percent (null). */
export async function updateDiscount({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: DiscountPatchInput };
}) {
  const now = new Date(ctx.platform.now());
  return uniquely(
    () =>
      ctx.db.transaction(async (tx) => {
        const row = await findDiscount(tx, input.id);
        const { set, changes } = diff(row, input.patch, [
          ['code', 'code'],
          ['name', 'name'],
          ['kind', 'kind'],
          ['percent', 'percent'],
          ['amounts', 'amounts'],
          ['valid_from', 'validFrom'],
          ['valid_until', 'validUntil'],
          ['max_cycles', 'maxCycles'],
        ]);
        if (Object.keys(changes).length === 0) return presentDiscount(row);
        const next = { ...row, ...set };
        const errors = discountErrors({
          kind: next.kind,
          percent: next.percent,
          amounts: next.amounts,
          valid_from: next.validFrom,
          valid_until: next.validUntil,
        });
        if (errors.length) throw validationFailed(errors);
        const [updated] = await tx
          .update(discounts)
          .set({ ...set, updatedAt: now })
          .where(eq(discounts.id, row.id))
          .returning();
        await appendAuditEvent(tx, ctx, {
          action: 'discount.updated',
          resource: 'discount',
          resourceId: row.id,
          changes,
        });
        return presentDiscount(updated!);
      }),
    () => codeTaken(input.patch.code ?? ''),
  );
}

/** Archived discounts cannot be applied any more; where one is applied it runs its course. */
export async function archiveDiscount({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const now = new Date(ctx.platform.now());
  await ctx.db.transaction(async (tx) => {
    const row = await findDiscount(tx, input.id);
    if (row.archivedAt) return;
    await tx.update(discounts).set({ archivedAt: now, updatedAt: now }).where(eq(discounts.id, row.id));
    await appendAuditEvent(tx, ctx, {
      action: 'discount.archived',
      resource: 'discount',
      resourceId: row.id,
      changes: { code: row.code },
    });
  });
}

export type DiscountFilter = { kind?: DiscountKind | undefined; archived?: ArchivedFilter | undefined };

/** Newest first; the cursor is the id of the last discount returned. */
export async function listDiscounts({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: DiscountFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(discounts)
    .where(
      and(
        input.kind ? eq(discounts.kind, input.kind) : undefined,
        archivedWhere(discounts.archivedAt, input.archived),
        input.cursor ? lt(discounts.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(discounts.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentDiscount, (row) => row.id);
}

export const discountCsvColumns = [
  'code',
  'id',
  'name',
  'kind',
  'percent',
  'amounts',
  'valid_from',
  'valid_until',
  'max_cycles',
  'archived_at',
  'created_at',
  'updated_at',
] as const;
export const discountCsvRecord = (discount: ReturnType<typeof presentDiscount>) => ({
  ...discount,
  amounts: pricesCell(discount.amounts),
});
