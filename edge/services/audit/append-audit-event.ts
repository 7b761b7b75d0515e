import { desc } from 'drizzle-orm';
import { auditEvents } from '../../../db/shared/audit-events.ts';
import type { ServiceContext, DbOrTx } from '../../context.ts';
import { sha256Hex } from '../../lib/crypto.ts';
import { uuidv7 } from '../../lib/ids.ts';

export type AuditEntry = {
  action: string;
  resource: string;
  resourceId?: string | null;
  changes?: Record<string, unknown> | null;
};

export const genesisHash = '0'.repeat(64);

type Hashed = {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  changes: string | null;
  requestId: string | null;
  ip: string | null;
};

/** The chain link: SHA-256 over the previous hash and this entry's fields in a fixed order. */
export const hashAuditEvent = (prevHash: string, e: Hashed) => {
  const fields = [
    e.id,
    e.at.getTime(),
    e.actorType,
    e.actorId,
    e.action,
    e.resource,
    e.resourceId,
    e.changes,
    e.requestId,
    e.ip,
  ];
  return sha256Hex(`${prevHash}|${JSON.stringify(fields)}`);
};

/**
 * Appends one entry to the hash chain. Call it inside the write transaction of the change
 * it records: the transaction's write lock serialises appends, so the chain never forks,
 * and the entry commits or rolls back with the change.
 */
export async function appendAuditEvent<S extends Record<string, unknown>>(
  db: DbOrTx<S>,
  ctx: ServiceContext<unknown>,
  entry: AuditEntry,
): Promise<void> {
  const [last] = await db.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const prevHash = last?.hash ?? genesisHash;
  const event: Hashed = {
    id: uuidv7(),
    at: new Date(ctx.platform.now()),
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    action: entry.action,
    resource: entry.resource,
    resourceId: entry.resourceId ?? null,
    changes: entry.changes ? JSON.stringify(entry.changes) : null,
    requestId: ctx.requestId,
    ip: ctx.ip,
  };
  const hash = await hashAuditEvent(prevHash, event);
  await db.insert(auditEvents).values({ ...event, actorType: ctx.actor.type, prevHash, hash });
}
