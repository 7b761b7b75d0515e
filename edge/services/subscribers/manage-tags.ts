import { and, asc, eq, gt } from 'drizzle-orm';
import { subscriberTags, tags } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { auditSubscriber } from './audit-subscriber.ts';
import { findSubscriber } from './find-subscriber.ts';
import { presentTag } from './present.ts';
import type { TagCreateInput, TagPatchInput } from './subscriber-input.ts';
import { pageOf } from '../page-of.ts';

export async function listTags({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(tags)
    .where(input.cursor ? gt(tags.nameKey, input.cursor) : undefined)
    .orderBy(asc(tags.nameKey))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentTag, (row) => row.nameKey);
}

const assertNameFree = async (tx: TenantTx, nameKey: string, except?: string) => {
  const [clash] = await tx.select({ id: tags.id }).from(tags).where(eq(tags.nameKey, nameKey));
  if (clash && clash.id !== except)
    throw new AppError('conflict', `a tag named ${nameKey} already exists`, {
      errors: [{ path: 'name', message: 'already used by another tag' }],
    });
};

export async function createTag({ ctx, input }: { ctx: TenantContext; input: TagCreateInput }) {
  return ctx.db.transaction(async (tx) => {
    const nameKey = input.name.toLowerCase();
    await assertNameFree(tx, nameKey);
    const now = new Date(ctx.platform.now());
    const [row] = await tx
      .insert(tags)
      .values({ id: uuidv7(now.getTime()), name: input.name, nameKey, color: input.color ?? null, createdAt: now })
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'tag.created',
      resource: 'tag',
      resourceId: row!.id,
      changes: { name: row!.name, color: row!.color },
    });
    return presentTag(row!);
  });
}

const findTag = async (tx: TenantReader, id: string) => {
  const [row] = await tx.select().from(tags).where(eq(tags.id, id));
  if (!row) throw new AppError('not_found', `no tag ${id}`);
  return row;
};

export async function updateTag({ ctx, input }: { ctx: TenantContext; input: { id: string; patch: TagPatchInput } }) {
  const { patch } = input;
  return ctx.db.transaction(async (tx) => {
    const row = await findTag(tx, input.id);
    const changes: TagPatchInput = {};
    if (patch.name !== undefined && patch.name !== row.name) changes.name = patch.name;
    if (patch.color !== undefined && patch.color !== row.color) changes.color = patch.color;
    // Nothing to change (an empty body included) is not an UPDATE with nothing to set.
    if (Object.keys(changes).length === 0) return presentTag(row);
    if (changes.name !== undefined) await assertNameFree(tx, changes.name.toLowerCase(), row.id);
    const [updated] = await tx
      .update(tags)
      .set({
        ...(changes.name !== undefined ? { name: changes.name, nameKey: changes.name.toLowerCase() } : {}),
        ...(changes.color !== undefined ? { color: changes.color } : {}),
      })
      .where(eq(tags.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, { action: 'tag.updated', resource: 'tag', resourceId: row.id, changes });
    return presentTag(updated!);
  });
}

/** Deleting a tag detaches it from every subscriber. */
export async function deleteTag({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const row = await findTag(tx, input.id);
    await tx.delete(subscriberTags).where(eq(subscriberTags.tagId, row.id));
    await tx.delete(tags).where(eq(tags.id, row.id));
    await appendAuditEvent(tx, ctx, {
      action: 'tag.deleted',
      resource: 'tag',
      resourceId: row.id,
      changes: { name: row.name },
    });
  });
}

/** A page of a subscriber's tags by name, as the tag list; the cursor is the last name's key. */
export async function listSubscriberTags({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  await findSubscriber(ctx.db, input.id);
  const rows = await ctx.db
    .select({ tag: tags })
    .from(subscriberTags)
    .innerJoin(tags, eq(tags.id, subscriberTags.tagId))
    .where(and(eq(subscriberTags.subscriberId, input.id), input.cursor ? gt(tags.nameKey, input.cursor) : undefined))
    .orderBy(asc(tags.nameKey))
    .limit(input.limit + 1);
  return pageOf(
    rows,
    input.limit,
    (r) => presentTag(r.tag),
    (r) => r.tag.nameKey,
  );
}

/** PUT: attaching an attached tag changes nothing. */
export async function attachTag({ ctx, input }: { ctx: TenantContext; input: { id: string; tagId: string } }) {
  await ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, input.id);
    const tag = await findTag(tx, input.tagId);
    const inserted = await tx
      .insert(subscriberTags)
      .values({ subscriberId: subscriber.id, tagId: tag.id, createdAt: new Date(ctx.platform.now()) })
      .onConflictDoNothing()
      .returning({ tagId: subscriberTags.tagId });
    if (inserted.length)
      await auditSubscriber(tx, ctx, subscriber.id, 'tag_attached', { tag_id: tag.id, tag: tag.name });
  });
}

/** DELETE: detaching a tag that is not attached changes nothing. */
export async function detachTag({ ctx, input }: { ctx: TenantContext; input: { id: string; tagId: string } }) {
  await ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, input.id);
    const tag = await findTag(tx, input.tagId);
    const removed = await tx
      .delete(subscriberTags)
      .where(and(eq(subscriberTags.subscriberId, subscriber.id), eq(subscriberTags.tagId, tag.id)))
      .returning({ tagId: subscriberTags.tagId });
    if (removed.length)
      await auditSubscriber(tx, ctx, subscriber.id, 'tag_detached', { tag_id: tag.id, tag: tag.name });
  });
}
