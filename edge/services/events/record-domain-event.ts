import type { ResultSet } from '@libsql/client';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { domainEvents } from '../../../db/tenant/index.ts';
import { uuidv7 } from '../../lib/ids.ts';

type Writer = Pick<BaseSQLiteDatabase<'async', ResultSet>, 'insert'>;

export type DomainEvent = {
  /** `<subject>.<past-tense verb>`, e.g. `ticket.created`, `ticket.sla_breached`. */
  type: string;
  subjectType: string;
  subjectId: string;
  payload?: Record<string, unknown>;
};

/** Appends to the outbox. Call it in the transaction of the change, so both commit or neither. */
export async function recordDomainEvent(tx: Writer, event: DomainEvent, at: Date): Promise<string> {
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
