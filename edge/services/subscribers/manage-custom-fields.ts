import { asc, eq, gt, sql } from 'drizzle-orm';
import { customFields, subscribers } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { presentCustomField } from './present.ts';
import type { CustomFieldCreateInput, CustomFieldPatchInput } from './subscriber-input.ts';
import { pageOf } from '../page-of.ts';

export async function listCustomFields({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(customFields)
    .where(input.cursor ? gt(customFields.key, input.cursor) : undefined)
    .orderBy(asc(customFields.key))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentCustomField, (row) => row.key);
}

export async function createCustomField({ ctx, input }: { ctx: TenantContext; input: CustomFieldCreateInput }) {
  return ctx.db.transaction(async (tx) => {
    const [clash] = await tx.select({ id: customFields.id }).from(customFields).where(eq(customFields.key, input.key));
    if (clash)
      throw new AppError('conflict', `a custom field with key ${input.key} already exists`, {
        errors: [{ path: 'key', message: 'already defined' }],
      });
    const now = new Date(ctx.platform.now());
    const [row] = await tx
      .insert(customFields)
      .values({
        id: uuidv7(now.getTime()),
        key: input.key,
        label: input.label,
        type: input.type,
        options: input.options ?? null,
        required: input.required,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'custom_field.created',
      resource: 'custom_field',
      resourceId: row!.id,
      changes: { ...input },
    });
    return presentCustomField(row!);
  });
}

const findCustomField = async (db: TenantReader, id: string) => {
  const [row] = await db.select().from(customFields).where(eq(customFields.id, id));
  if (!row) throw new AppError('not_found', `no custom field ${id}`);
  return row;
};

/** Key and type are fixed (stored values depend on them); label, options and required change.
 * New rules apply to values as they are next written. */
export async function updateCustomField({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: CustomFieldPatchInput };
}) {
  const { patch } = input;
  return ctx.db.transaction(async (tx) => {
    const row = await findCustomField(tx, input.id);
    if (patch.options && row.type !== 'select')
      throw new AppError('validation_failed', 'only select fields have options', {
        errors: [{ path: 'options', message: 'only select fields have options' }],
      });
    const [updated] = await tx
      .update(customFields)
      .set({
        ...(patch.label !== undefined ? { label: patch.label } : {}),
        ...(patch.options !== undefined ? { options: patch.options } : {}),
        ...(patch.required !== undefined ? { required: patch.required } : {}),
        updatedAt: new Date(ctx.platform.now()),
      })
      .where(eq(customFields.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'custom_field.updated',
      resource: 'custom_field',
      resourceId: row.id,
      changes: { ...patch },
    });
    return presentCustomField(updated!);
  });
}

/** Deleting a definition removes its values from every subscriber, in the same transaction. */
export async function deleteCustomField({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const row = await findCustomField(tx, input.id);
    const path = `$."${row.key}"`;
    await tx
      .update(subscribers)
      .set({ customFields: sql`json_remove(${subscribers.customFields}, ${path})` })
      .where(sql`json_type(${subscribers.customFields}, ${path}) IS NOT NULL`);
    await tx.delete(customFields).where(eq(customFields.id, row.id));
    await appendAuditEvent(tx, ctx, {
      action: 'custom_field.deleted',
      resource: 'custom_field',
      resourceId: row.id,
      changes: { key: row.key },
    });
  });
}
