import { and, desc, eq, lt } from 'drizzle-orm';
import { leads, type LeadAddress, type LeadSource, type LeadStatus } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { redact } from '../subscribers/audit-subscriber.ts';
import { nextDocumentNumber } from '../numbering/next-document-number.ts';
import { leadTransitions } from './lead-rules.ts';
import { pageOf } from '../page-of.ts';

type LeadRow = typeof leads.$inferSelect;

export type LeadFields = {
  first_name?: string | null | undefined;
  last_name?: string | null | undefined;
  organization_name?: string | null | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  address?: LeadAddress | null | undefined;
  source?: LeadSource | undefined;
  partner_id?: string | null | undefined;
  interested_offer?: string | null | undefined;
  notes?: string | null | undefined;
};
export type CreateLeadInput = LeadFields & { source: LeadSource };
export type UpdateLeadInput = LeadFields & {
  status?: 'contacted' | 'lost' | undefined;
  status_reason?: string | null | undefined;
};

export const presentLead = (row: LeadRow) => ({
  id: row.id,
  number: row.number,
  status: row.status,
  first_name: row.firstName,
  last_name: row.lastName,
  organization_name: row.organizationName,
  email: row.email,
  phone: row.phone,
  address: row.address,
  source: row.source,
  partner_id: row.partnerId,
  interested_offer: row.interestedOffer,
  notes: row.notes,
  status_reason: row.statusReason,
  converted_subscriber_id: row.convertedSubscriberId,
  converted_at: row.convertedAt?.toISOString() ?? null,
  created_by: row.createdBy,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

/** Editable fields and their columns. */
const editable = [
  ['first_name', 'firstName'],
  ['last_name', 'lastName'],
  ['organization_name', 'organizationName'],
  ['email', 'email'],
  ['phone', 'phone'],
  ['address', 'address'],
  ['source', 'source'],
  ['partner_id', 'partnerId'],
  ['interested_offer', 'interestedOffer'],
  ['notes', 'notes'],
] as const;

/** A lead someone can follow up: a name to address and a way to reach them. */
function assertReachable(lead: Pick<LeadRow, 'firstName' | 'lastName' | 'organizationName' | 'email' | 'phone'>) {
  const errors = [];
  if (!lead.firstName && !lead.lastName && !lead.organizationName)
    errors.push({ path: 'last_name', message: 'a lead needs a first_name, last_name or organization_name' });
  if (!lead.email && !lead.phone) errors.push({ path: 'email', message: 'a lead needs an email or a phone' });
  if (errors.length) throw new AppError('validation_failed', `${errors.length} field(s) failed validation`, { errors });
}

export async function createLead({ ctx, input }: { ctx: TenantContext; input: CreateLeadInput }) {
  const now = new Date(ctx.platform.now());
  const values = {
    firstName: input.first_name ?? null,
    lastName: input.last_name ?? null,
    organizationName: input.organization_name ?? null,
    email: input.email ?? null,
    phone: input.phone ?? null,
    address: input.address ?? null,
    source: input.source,
    partnerId: input.partner_id ?? null,
    interestedOffer: input.interested_offer ?? null,
    notes: input.notes ?? null,
  };
  assertReachable(values);
  return ctx.db.transaction(async (tx) => {
    const id = uuidv7(now.getTime());
    const number = await nextDocumentNumber(tx, 'LEAD');
    const [row] = await tx
      .insert(leads)
      .values({ ...values, id, number, status: 'new', createdBy: ctx.actor.id, createdAt: now, updatedAt: now })
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'lead.created',
      resource: 'lead',
      resourceId: id,
      changes: { number, source: input.source, partner_id: values.partnerId },
    });
    return presentLead(row!);
  });
}

export async function findLead(db: TenantReader, id: string): Promise<LeadRow> {
  const [row] = await db.select().from(leads).where(eq(leads.id, id));
  if (!row) throw new AppError('not_found', `no lead ${id}`);
  return row;
}

export const getLead = async ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  presentLead(await findLead(ctx.db, input.id));

/** Throws a 409 unless the lead may move from its status to `to`. */
export function assertLeadTransition(row: LeadRow, to: LeadStatus) {
  if (!leadTransitions[row.status].includes(to))
    throw new AppError('invalid_state', `a ${row.status} lead cannot become ${to}`);
}

/**
 * Contact details change freely until conversion; status here is only contacted or lost (the rest have their own
 * actions).
 */
export async function updateLead({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; patch: UpdateLeadInput };
}) {
  const { patch } = input;
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const row = await findLead(tx, input.id);
    if (row.status === 'converted')
      throw new AppError('invalid_state', 'a converted lead cannot be changed; change the subscriber');
    const set: Partial<LeadRow> = {};
    const changes: Record<string, unknown> = {};
    for (const [field, column] of editable) {
      const value = patch[field];
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(row[column])) {
        Object.assign(set, { [column]: value });
        changes[field] = value;
      }
    }
    if (patch.status !== undefined && patch.status !== row.status) {
      assertLeadTransition(row, patch.status);
      set.status = patch.status;
      changes.status = { from: row.status, to: patch.status };
    }
    if (patch.status_reason !== undefined && patch.status_reason !== row.statusReason) {
      set.statusReason = patch.status_reason;
      changes.status_reason = patch.status_reason;
    }
    if (Object.keys(changes).length === 0) return presentLead(row);
    assertReachable({ ...row, ...set });
    const [updated] = await tx
      .update(leads)
      .set({ ...set, updatedAt: now })
      .where(eq(leads.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'lead.updated',
      resource: 'lead',
      resourceId: row.id,
      changes: redact(changes),
    });
    return presentLead(updated!);
  });
}

export type LeadFilter = {
  status?: LeadStatus | undefined;
  source?: LeadSource | undefined;
  partner_id?: string | undefined;
};

/** Newest first; the cursor is the id of the last lead returned. */
export async function listLeads({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: LeadFilter & { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(leads)
    .where(
      and(
        input.status ? eq(leads.status, input.status) : undefined,
        input.source ? eq(leads.source, input.source) : undefined,
        input.partner_id ? eq(leads.partnerId, input.partner_id) : undefined,
        input.cursor ? lt(leads.id, input.cursor) : undefined,
      ),
    )
    .orderBy(desc(leads.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentLead, (row) => row.id);
}

/** The columns of the CSV export: the list's fields, the address flattened. */
export const leadCsvColumns = [
  'number',
  'id',
  'status',
  'first_name',
  'last_name',
  'organization_name',
  'email',
  'phone',
  'address_line1',
  'address_line2',
  'address_city',
  'address_region',
  'address_postal_code',
  'address_country',
  'source',
  'partner_id',
  'interested_offer',
  'notes',
  'status_reason',
  'converted_subscriber_id',
  'converted_at',
  'created_at',
  'updated_at',
] as const;

export const leadCsvRecord = (lead: ReturnType<typeof presentLead>) => ({
  ...lead,
  address_line1: lead.address?.line1,
  address_line2: lead.address?.line2,
  address_city: lead.address?.city,
  address_region: lead.address?.region,
  address_postal_code: lead.address?.postal_code,
  address_country: lead.address?.country,
});
