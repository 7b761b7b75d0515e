import { and, asc, eq, sql } from 'drizzle-orm';
import { subscriberContacts } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { auditSubscriber } from './audit-subscriber.ts';
import { findSubscriber, findWritableSubscriber } from './find-subscriber.ts';
import { presentContact } from './present.ts';
import { indexSubscriber } from './search-index.ts';
import { pageOf, tupleKey, tupleOf } from '../page-of.ts';
import type { ContactCreateInput, ContactPatchInput } from './subscriber-input.ts';

export const contactKey = (c: { createdAt: Date; id: string }) => tupleKey([c.createdAt.getTime(), c.id]);

/** A page of a subscriber's contacts, oldest first (created_at, id); the cursor is the last one's key. */
export async function listContacts({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  const after = input.cursor === undefined ? undefined : tupleOf(input.cursor, ['number', 'string']);
  await findSubscriber(ctx.db, input.id);
  const rows = await ctx.db
    .select()
    .from(subscriberContacts)
    .where(
      and(
        eq(subscriberContacts.subscriberId, input.id),
        after
          ? sql`(${subscriberContacts.createdAt}, ${subscriberContacts.id}) > (${after[0]}, ${after[1]})`
          : undefined,
      ),
    )
    .orderBy(asc(subscriberContacts.createdAt), asc(subscriberContacts.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentContact, contactKey);
}

export async function addContact({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; contact: ContactCreateInput };
}) {
  const { contact } = input;
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findWritableSubscriber(tx, input.id);
    const [clash] = await tx
      .select({ id: subscriberContacts.id })
      .from(subscriberContacts)
      .where(
        and(
          eq(subscriberContacts.subscriberId, subscriber.id),
          eq(subscriberContacts.channel, contact.channel),
          eq(subscriberContacts.value, contact.value),
        ),
      );
    if (clash)
      throw new AppError('conflict', `the subscriber already has this ${contact.channel} contact`, {
        errors: [{ path: 'value', message: 'already a contact of this subscriber' }],
      });
    const now = new Date(ctx.platform.now());
    const [row] = await tx
      .insert(subscriberContacts)
      .values({
        id: uuidv7(now.getTime()),
        subscriberId: subscriber.id,
        channel: contact.channel,
        value: contact.value,
        label: contact.label ?? null,
        optIn: contact.opt_in,
        verified: contact.verified,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await indexSubscriber(tx, subscriber.id);
    await auditSubscriber(tx, ctx, subscriber.id, 'contact_added', {
      contact_id: row!.id,
      channel: row!.channel,
      opt_in: row!.optIn,
      verified: row!.verified,
    });
    return presentContact(row!);
  });
}

const findContact = async (tx: TenantTx, subscriberId: string, contactId: string) => {
  const [row] = await tx
    .select()
    .from(subscriberContacts)
    .where(and(eq(subscriberContacts.id, contactId), eq(subscriberContacts.subscriberId, subscriberId)));
  if (!row) throw new AppError('not_found', `no contact ${contactId} on subscriber ${subscriberId}`);
  return row;
};

/** Consent and verification change here; a different value is a new contact. */
export async function updateContact({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; contactId: string; patch: ContactPatchInput };
}) {
  const { patch } = input;
  return ctx.db.transaction(async (tx) => {
    await findWritableSubscriber(tx, input.id);
    const row = await findContact(tx, input.id, input.contactId);
    const [updated] = await tx
      .update(subscriberContacts)
      .set({
        ...(patch.label !== undefined ? { label: patch.label } : {}),
        ...(patch.opt_in !== undefined ? { optIn: patch.opt_in } : {}),
        ...(patch.verified !== undefined ? { verified: patch.verified } : {}),
        updatedAt: new Date(ctx.platform.now()),
      })
      .where(eq(subscriberContacts.id, row.id))
      .returning();
    await auditSubscriber(tx, ctx, row.subscriberId, 'contact_updated', {
      contact_id: row.id,
      channel: row.channel,
      ...patch,
    });
    return presentContact(updated!);
  });
}

export async function removeContact({ ctx, input }: { ctx: TenantContext; input: { id: string; contactId: string } }) {
  await ctx.db.transaction(async (tx) => {
    await findWritableSubscriber(tx, input.id);
    const row = await findContact(tx, input.id, input.contactId);
    await tx.delete(subscriberContacts).where(eq(subscriberContacts.id, row.id));
    await indexSubscriber(tx, row.subscriberId);
    await auditSubscriber(tx, ctx, row.subscriberId, 'contact_removed', { contact_id: row.id, channel: row.channel });
  });
}
