import { and, asc, eq } from 'drizzle-orm';
import { auditEvents, domainEvents, subscribers } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { presentAuditEvent } from '../audit/list-audit-events.ts';
import { getSubscriber } from './manage-subscribers.ts';

/**
 * Everything held about one subscriber (GDPR art. 15 and 20): the record with its
 * addresses, contacts, custom values and tags, its organization or members, every
 * audit entry and domain event about it.
 */
export async function exportSubscriber({ ctx, input }: { ctx: TenantContext; input: { id: string } }) {
  const subscriber = await getSubscriber({ ctx, input });
  const [organization] = subscriber.organization_id
    ? await ctx.db.select().from(subscribers).where(eq(subscribers.id, subscriber.organization_id))
    : [];
  const members =
    subscriber.kind === 'organization'
      ? await ctx.db
          .select()
          .from(subscribers)
          .where(eq(subscribers.organizationId, subscriber.id))
          .orderBy(asc(subscribers.seq))
      : [];
  const audit = await ctx.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resource, 'subscriber'), eq(auditEvents.resourceId, subscriber.id)))
    .orderBy(asc(auditEvents.seq));
  const events = await ctx.db
    .select()
    .from(domainEvents)
    .where(and(eq(domainEvents.subjectType, 'subscriber'), eq(domainEvents.subjectId, subscriber.id)))
    .orderBy(asc(domainEvents.seq));
  return {
    exported_at: new Date(ctx.platform.now()).toISOString(),
    subscriber,
    organization: organization
      ? { id: organization.id, subscriber_number: organization.number, display_name: organization.displayName }
      : null,
    members: members.map((m) => ({ id: m.id, subscriber_number: m.number, display_name: m.displayName })),
    audit_events: audit.map(presentAuditEvent),
    domain_events: events.map((e) => ({
      id: e.id,
      type: e.type,
      payload: e.payload,
      occurred_at: e.occurredAt.toISOString(),
    })),
  };
}
