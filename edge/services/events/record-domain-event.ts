import { domainEvents } from '../../../db/tenant/index.ts';
import { uuidv7 } from '../../lib/ids.ts';
import type { TenantTx } from '../../context.ts';

export type DomainEvent = {
  /** `<subject>.<past-tense verb>`, e.g. `ticket.created`, `ticket.sla_breached`. */
  type: string;
  subjectType: string;
  subjectId: string;
  payload?: Record<string, unknown>;
};

/** Appends to the outbox. Call it in the transaction of the change, so both commit or neither. */
export async function recordDomainEvent(tx: TenantTx, event: DomainEvent, at: Date): Promise<string> {
  const id = uuidv7(at.getTime());
  await tx.insert(domainEvents).values({
    id,
    type: event.type,
    subjectType: event.subjectType,
    subjectId: event.subjectId,
    payload: event.payload ?? {},
    occurredAt: at,
  });
  return id;
}
