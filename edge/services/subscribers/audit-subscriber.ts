import type { TenantContext, TenantTx } from '../../context.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { recordDomainEvent } from '../events/record-domain-event.ts';

// Audit entries and events are kept forever (the audit log is hash-chained), so they must
// not hold what an erase has to remove: personal values of subscribers and of the leads
// they came from (`address` is a lead's) are recorded as "[changed]".
const personal = new Set([
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
  'address',
  'line1',
  'line2',
  'city',
  'region',
  'postal_code',
  'latitude',
  'longitude',
  'value',
  'label',
]);

export const redact = (changes: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, personal.has(k) ? '[changed]' : v]));

/**
 * Records a change to a subscriber or one of its parts: an audit entry about the
 * subscriber (so its export finds every entry with one index lookup) and, when `event`
 * is given, a domain event. Call it inside the transaction of the change.
 */
export async function auditSubscriber(
  tx: TenantTx,
  ctx: TenantContext,
  subscriberId: string,
  action: string,
  changes: Record<string, unknown>,
  event?: { type: string; payload: Record<string, unknown> },
) {
  await appendAuditEvent(tx, ctx, {
    action: `subscriber.${action}`,
    resource: 'subscriber',
    resourceId: subscriberId,
    changes: redact(changes),
  });
  if (event)
    await recordDomainEvent(
      tx,
      { type: event.type, subjectType: 'subscriber', subjectId: subscriberId, payload: event.payload },
      new Date(ctx.platform.now()),
    );
}
