import { and, eq } from 'drizzle-orm';
import { leads, type LeadStatus } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';
import { insertSubscriber, SubscriberCreate } from '../subscribers/manage-subscribers.ts';
import { assertLeadTransition, findLead, presentLead } from './manage-leads.ts';

async function moveLead(
  ctx: TenantContext,
  id: string,
  to: Extract<LeadStatus, 'qualified' | 'unqualified'>,
  reason: string | null,
) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const row = await findLead(tx, id);
    assertLeadTransition(row, to);
    const [updated] = await tx
      .update(leads)
      .set({ status: to, statusReason: reason, updatedAt: now })
      .where(eq(leads.id, row.id))
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: to === 'qualified' ? 'lead.qualified' : 'lead.disqualified',
      resource: 'lead',
      resourceId: row.id,
      changes: { from: row.status, reason },
    });
    return presentLead(updated!);
  });
}

export const qualifyLead = ({ ctx, input }: { ctx: TenantContext; input: { id: string } }) =>
  moveLead(ctx, input.id, 'qualified', null);

export const disqualifyLead = ({ ctx, input }: { ctx: TenantContext; input: { id: string; reason: string } }) =>
  moveLead(ctx, input.id, 'unqualified', input.reason);

/** Subscriber settings a conversion may choose; names, email, phone, address and notes come from the lead. */
export type ConversionOptions = {
  kind?: 'person' | 'organization' | undefined;
  billing_day?: number | undefined;
  payment_due_days?: number | undefined;
  grace_days?: number | undefined;
  min_balance?: number | undefined;
  marketing_opt_in?: boolean | undefined;
};

/**
 * Creates the subscriber from the lead and marks the lead converted, in one transaction:
 * the subscriber (its number, audit entry and event), the lead's change and
 * `lead.converted` all commit together or not at all. A lead converts once (409 after).
 */
export async function convertLead({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; options: ConversionOptions };
}) {
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const lead = await findLead(tx, input.id);
    if (lead.status === 'converted')
      throw new AppError(
        'conflict',
        `lead ${lead.number} was already converted (subscriber ${lead.convertedSubscriberId})`,
      );
    assertLeadTransition(lead, 'converted');
    const onlyOrganization = Boolean(lead.organizationName) && !lead.firstName && !lead.lastName;
    const parsed = SubscriberCreate.safeParse({
      kind: onlyOrganization ? 'organization' : 'person',
      first_name: lead.firstName,
      last_name: lead.lastName,
      organization_name: lead.organizationName,
      email: lead.email,
      phone: lead.phone,
      notes: lead.notes,
      addresses: lead.address ? [{ ...lead.address, kind: 'service', is_primary: true }] : [],
      ...Object.fromEntries(Object.entries(input.options).filter(([, value]) => value !== undefined)),
    });
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({
        path: issue.path.join('.') || '(body)',
        message: issue.message,
      }));
      throw new AppError('validation_failed', 'the lead does not make a valid subscriber yet', { errors });
    }
    const { row: subscriber } = await insertSubscriber(tx, ctx, parsed.data);
    // Conditional on the status read above, so two concurrent conversions cannot both win.
    const [updated] = await tx
      .update(leads)
      .set({
        status: 'converted',
        convertedSubscriberId: subscriber.id,
        convertedAt: now,
        statusReason: null,
        updatedAt: now,
      })
      .where(and(eq(leads.id, lead.id), eq(leads.status, lead.status)))
      .returning();
    if (!updated) throw new AppError('conflict', `lead ${lead.number} changed while converting; retry`);
    const link = { subscriber_id: subscriber.id, subscriber_number: subscriber.number };
    await recordDomainEvent(
      tx,
      { type: 'lead.converted', subjectType: 'lead', subjectId: lead.id, payload: { number: lead.number, ...link } },
      now,
    );
    await appendAuditEvent(tx, ctx, {
      action: 'lead.converted',
      resource: 'lead',
      resourceId: lead.id,
      changes: { from: lead.status, ...link },
    });
    return { lead: presentLead(updated), subscriber: { id: subscriber.id, number: subscriber.number } };
  });
}
