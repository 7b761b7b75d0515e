import { and, asc, eq, gt } from 'drizzle-orm';
import { ticketAttachments, tickets } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { toHex } from '../../lib/encoding.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { tenantObjectKey, type StoredObject } from '../../lib/object-storage.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { findTicket } from './manage-tickets.ts';
import { attachmentTypes, type AttachmentType } from './ticket-rules.ts';
import { pageOf } from '../page-of.ts';

type AttachmentRow = typeof ticketAttachments.$inferSelect;

export const presentAttachment = (row: AttachmentRow) => ({
  id: row.id,
  ticket_id: row.ticketId,
  filename: row.filename,
  content_type: row.contentType,
  size: row.size,
  sha256: row.sha256,
  uploaded_by_type: row.uploadedByType,
  uploaded_by: row.uploadedBy,
  created_at: row.createdAt.toISOString(),
});

const extensions: Record<AttachmentType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/csv': 'csv',
};

const isAttachmentType = (type: string): type is AttachmentType =>
  (attachmentTypes as readonly string[]).includes(type);

/** The media type of a Content-Type header, if it is one attachments may have. */
function attachmentType(header: string | undefined): AttachmentType | null {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return isAttachmentType(type) ? type : null;
}

/** The last path segment, without control characters, at most 200 characters; a default when nothing is left. */
function cleanFilename(name: string | undefined, type: AttachmentType): string {
  const base = (name ?? '')
    .split(/[/\\]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 200);
  return base && base !== '.' && base !== '..' ? base : `attachment.${extensions[type]}`;
}

/**
 * The size limit is the route's: it must hold before anything reads the body.
 * Stores the bytes first, then the row (with its audit entry) in one transaction; if the
 * transaction fails the stored object is removed again, so no row points at nothing.
 */
export async function uploadTicketAttachment({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { ticketId: string; filename?: string | undefined; contentType: string | undefined; body: Uint8Array };
}) {
  const type = attachmentType(input.contentType);
  if (!type) throw new AppError('unsupported_media_type', `attachments may be ${attachmentTypes.join(', ')}`);
  if (input.body.byteLength === 0)
    throw new AppError('validation_failed', 'the attachment is empty', {
      errors: [{ path: '(body)', message: 'must not be empty' }],
    });
  const assertOpen = (ticket: typeof tickets.$inferSelect) => {
    if (ticket.status === 'closed')
      throw new AppError('invalid_state', 'a closed ticket takes no more attachments; open a new ticket');
  };
  assertOpen(await findTicket(ctx.db, input.ticketId));

  const now = new Date(ctx.platform.now());
  const id = uuidv7(now.getTime());
  const storageKey = tenantObjectKey(ctx.tenant.id, 'tickets', input.ticketId, id);
  const sha256 = toHex(await crypto.subtle.digest('SHA-256', input.body));
  const filename = cleanFilename(input.filename, type);
  await ctx.platform.storage.put(storageKey, input.body, { contentType: type });
  try {
    return await ctx.db.transaction(async (tx) => {
      // Checked again under the write lock: the ticket may have closed meanwhile.
      assertOpen(await findTicket(tx, input.ticketId));
      const uploader = {
        uploadedByType: ctx.actor.type === 'api_key' ? ('api_key' as const) : ('user' as const),
        uploadedBy: ctx.actor.id,
      };
      const [row] = await tx
        .insert(ticketAttachments)
        .values({
          id,
          ticketId: input.ticketId,
          filename,
          contentType: type,
          size: input.body.byteLength,
          sha256,
          storageKey,
          ...uploader,
          createdAt: now,
        })
        .returning();
      await tx.update(tickets).set({ updatedAt: now }).where(eq(tickets.id, input.ticketId));
      await appendAuditEvent(tx, ctx, {
        action: 'ticket.attachment_added',
        resource: 'ticket',
        resourceId: input.ticketId,
        changes: { attachment_id: id, filename, content_type: type, size: row!.size, sha256 },
      });
      return presentAttachment(row!);
    });
  } catch (error) {
    await ctx.platform.storage
      .delete(storageKey)
      .catch((cleanup: unknown) =>
        ctx.log.error('orphaned attachment object', { key: storageKey, error: String(cleanup) }),
      );
    throw error;
  }
}

export async function listTicketAttachments({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { ticketId: string; limit: number; cursor?: string | undefined };
}) {
  await findTicket(ctx.db, input.ticketId);
  const rows = await ctx.db
    .select()
    .from(ticketAttachments)
    .where(
      and(
        eq(ticketAttachments.ticketId, input.ticketId),
        input.cursor ? gt(ticketAttachments.id, input.cursor) : undefined,
      ),
    )
    .orderBy(asc(ticketAttachments.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentAttachment, (row) => row.id);
}

async function findAttachment(db: TenantContext['db'], id: string): Promise<AttachmentRow> {
  const [row] = await db.select().from(ticketAttachments).where(eq(ticketAttachments.id, id));
  if (!row) throw new AppError('not_found', `no attachment ${id}`);
  return row;
}

/**
 * The attachment's bytes as stored. A row whose key is not under this tenant's prefix
 * (a restored or tampered database) is refused like a missing one.
 */
export async function readTicketAttachment({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string };
}): Promise<{ attachment: AttachmentRow; object: StoredObject }> {
  const attachment = await findAttachment(ctx.db, input.id);
  const object = attachment.storageKey.startsWith(tenantObjectKey(ctx.tenant.id) + '/')
    ? await ctx.platform.storage.get(attachment.storageKey)
    : null;
  if (!object) {
    ctx.log.error('attachment content unavailable', { attachment_id: attachment.id });
    throw new AppError('not_found', `no content for attachment ${input.id}`);
  }
  return { attachment, object };
}

/** Removes the row (audited) and then the object; removing data is allowed on closed tickets too. */
export async function deleteTicketAttachment({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const removed = await ctx.db.transaction(async (tx) => {
    const [row] = await tx.delete(ticketAttachments).where(eq(ticketAttachments.id, input.id)).returning();
    if (!row) throw new AppError('not_found', `no attachment ${input.id}`);
    await appendAuditEvent(tx, ctx, {
      action: 'ticket.attachment_deleted',
      resource: 'ticket',
      resourceId: row.ticketId,
      changes: { attachment_id: row.id, filename: row.filename },
    });
    return row;
  });
  if (removed.storageKey.startsWith(tenantObjectKey(ctx.tenant.id) + '/')) {
    await ctx.platform.storage
      .delete(removed.storageKey)
      .catch((error: unknown) =>
        ctx.log.error('orphaned attachment object', { key: removed.storageKey, error: String(error) }),
      );
  }
}
