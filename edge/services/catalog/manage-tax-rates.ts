import { and, desc, eq, lt } from 'drizzle-orm';
import { taxRates, type TaxMode } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { pageOf } from '../page-of.ts';
import type { TaxRateCreateInput, TaxRatePatchInput } from './catalog-input.ts';
import { archivedWhere, diff, type ArchivedFilter } from './catalog-store.ts';
import { presentTaxRate, type TaxRateRow } from './present.ts';

export async function findTaxRate(db: TenantReader, id: string): Promise<TaxRateRow> {
  const [row] = await db.select().from(taxRates).where(eq(taxRates.id, id));
  if (!row) throw new AppError('not_found', `no tax rate ${id}`);
  return row;
}

export async function createTaxRate({ ctx, input }: { ctx: TenantContext; input: TaxRateCreateInput }) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const id = uuidv7(now.getTime());
    const [row] = await tx
      .insert(taxRates)
      .values({
        id,
        name: input.name,
        rate: input.rate,
        mode: input.mode,
        compound: input.compound,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'tax_rate.created',
      resource: 'tax_rate',
      resourceId: id,
      changes: { name: input.name, rate: input.rate, mode: input.mode, compound: input.compound },
    });
    return presentTaxRate(row!);
  });
}

export const getTaxRate = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentTaxRate(await findTaxRate(ctx.db, input.id));

/**
 * Only the name changes. Invoice lines snapshot a rate, but offers and add-ons point at
 * it, so changing rate, mode or compound would silently re-price them: archive the rate
 * and create a new one instead.
 */
export async function updateTaxRate({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: TaxRatePatchInput };
}) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const row = await findTaxRate(tx, input.id);
    const { set, changes } = diff(row, input.patch, [
      ['name', 'name'],
      ['rate', 'rate'],
      ['mode', 'mode'],
      ['compound', 'compound'],
    ]);
    const frozen = (['rate', 'mode', 'compound'] as const).filter((field) => field in changes);
    if (frozen.length)
      throw new AppError(
        'invalid_state',
        `a tax rate's ${frozen.join(', ')} cannot change; archive it and create a new rate`,
      );
    if (Object.keys(changes).length === 0) return presentTaxRate(row);
    const [updated] = await tx
      .update(taxRates)
      .set({ ...set, updatedAt: now })
      .where(eq(taxRates.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, { action: 'tax_rate.updated', resource: 'tax_rate', resourceId: row.id, changes });
    return presentTaxRate(updated!);
  });
}

/** Archived rates stay on what uses them but cannot be chosen again; archiving twice changes nothing. */
export async function archiveTaxRate({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const now = new Date(ctx.platform.now());
  await ctx.db.transaction(async (tx) => {
    const row = await findTaxRate(tx, input.id);
    if (row.archivedAt) return;
    await tx.update(taxRates).set({ archivedAt: now, updatedAt: now }).where(eq(taxRates.id, row.id));
    await appendAuditEvent(tx, ctx, {
      action: 'tax_rate.archived',
      resource: 'tax_rate',
      resourceId: row.id,
      changes: { name: row.name },
    });
  });
}

export type TaxRateFilter = { mode?: TaxMode | undefined; archived?: ArchivedFilter | undefined };

/** Newest first; the cursor is the id of the last rate returned. */
export async function listTaxRates({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: TaxRateFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(taxRates)
    .where(
      and(
        input.mode ? eq(taxRates.mode, input.mode) : undefined,
        archivedWhere(taxRates.archivedAt, input.archived),
        input.cursor ? lt(taxRates.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(taxRates.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentTaxRate, (row) => row.id);
}

export const taxRateCsvColumns = [
  'id',
  'name',
  'rate',
  'mode',
  'compound',
  'archived_at',
  'created_at',
  'updated_at',
] as const;
