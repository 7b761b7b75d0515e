import { eq, inArray, like, or, sql } from 'drizzle-orm';
import {
  idempotencyKeys,
  leads,
  subscriberAddresses,
  subscriberContacts,
  subscribers,
} from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { auditSubscriber } from './audit-subscriber.ts';
import { findSubscriber } from './find-subscriber.ts';
import { indexSubscriber, purgeDeletedSearchText } from './search-index.ts';

export const erasedDisplayName = 'Erased subscriber';

/**
 * GDPR art. 17 erasure, irreversible: names, email, phone, notes, locale, time zone,
 * custom values, every address and contact, the search row's text and the contact
 * fields of the lead it was converted from go; the row stays
 * with its id, number, status and billing terms, so invoices and payments keep pointing
 * at it. Audit entries and events never held personal values (see audit-subscriber.ts);
 * the erase is audited by field name only. Erasing an erased subscriber changes nothing.
 *
 * Stored Idempotency-Key replies (24 h, sealed) may quote the person too. Their bodies
 * are sealed, so the rule goes by path: every stored reply to a POST under
 * /api/v1/subscribers/{id} goes, every stored reply to POST /api/v1/subscribers (any
 * caller's create could be this subscriber's), and the reply to POST
 * /api/v1/leads/{id}/convert of each lead converted into this subscriber. A retry with such a key after the erase
 * runs again instead of replaying; erases are rare, so the lost replays are few.
 */
export async function eraseSubscriber({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  await ctx.db.transaction(async (tx) => {
    const row = await findSubscriber(tx, input.id);
    if (row.erasedAt) return;
    const now = new Date(ctx.platform.now());
    const addresses = await tx
      .delete(subscriberAddresses)
      .where(eq(subscriberAddresses.subscriberId, row.id))
      .returning({ id: subscriberAddresses.id });
    const contacts = await tx
      .delete(subscriberContacts)
      .where(eq(subscriberContacts.subscriberId, row.id))
      .returning({ id: subscriberContacts.id });
    // Members of an erased organization stay subscribers, without the link.
    await tx
      .update(subscribers)
      .set({ organizationId: null, updatedAt: now })
      .where(eq(subscribers.organizationId, row.id));
    await tx
      .update(subscribers)
      .set({
        firstName: null,
        lastName: null,
        organizationName: null,
        displayName: erasedDisplayName,
        email: null,
        phone: null,
        locale: null,
        timezone: null,
        organizationId: null,
        marketingOptIn: false,
        notes: null,
        customFields: sql`'{}'`,
        erasedAt: now,
        updatedAt: now,
      })
      .where(eq(subscribers.id, row.id));
    // The lead the subscriber was converted from holds the same person (issue 13 D8): its
    // contact fields go too, keeping its number, status and link for the sales figures.
    const erasedLeads = await tx
      .update(leads)
      .set({
        firstName: null,
        lastName: null,
        organizationName: null,
        email: null,
        phone: null,
        address: null,
        notes: null,
        statusReason: null,
        updatedAt: now,
      })
      .where(eq(leads.convertedSubscriberId, row.id))
      .returning({ id: leads.id });
    for (const lead of erasedLeads) {
      await appendAuditEvent(tx, ctx, {
        action: 'lead.erased',
        resource: 'lead',
        resourceId: lead.id,
        changes: { subscriber_id: row.id },
      });
    }
    const conversions = tx
      .select({ path: sql`'/api/v1/leads/' || ${leads.id} || '/convert'` })
      .from(leads)
      .where(eq(leads.convertedSubscriberId, row.id));
    await tx
      .delete(idempotencyKeys)
      .where(
        or(
          eq(idempotencyKeys.path, '/api/v1/subscribers'),
          eq(idempotencyKeys.path, `/api/v1/subscribers/${row.id}`),
          like(idempotencyKeys.path, `/api/v1/subscribers/${row.id}/%`),
          inArray(idempotencyKeys.path, conversions),
        ),
      );
    await indexSubscriber(tx, row.id);
    await purgeDeletedSearchText(tx);
    await auditSubscriber(
      tx,
      ctx,
      row.id,
      'erased',
      {
        fields: [
          'first_name',
          'last_name',
          'organization_name',
          'display_name',
          'email',
          'phone',
          'locale',
          'timezone',
          'notes',
          'custom_fields',
          'organization_id',
        ],
        addresses: addresses.length,
        contacts: contacts.length,
      },
      { type: 'subscriber.erased', payload: { subscriber_number: row.number } },
    );
  });
}
