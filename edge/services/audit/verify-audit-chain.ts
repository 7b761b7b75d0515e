import { asc, gt } from 'drizzle-orm';
import { auditEvents } from '../../../db/shared/audit-events.ts';
import type { TenantContext } from '../../context.ts';
import { genesisHash, hashAuditEvent } from './append-audit-event.ts';

export type ChainReport =
  | { valid: true; events: number; head: string }
  | {
      valid: false;
      events: number;
      first_broken: { seq: number; id: string; reason: 'hash_mismatch' | 'link_mismatch' };
    };

/** Walks the whole chain in order and reports the first entry that does not link or hash. */
export async function verifyAuditChain({ ctx }: { ctx: TenantContext }): Promise<ChainReport> {
  let prev = genesisHash;
  let seq = 0;
  let count = 0;
  for (;;) {
    const page = await ctx.db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.seq, seq))
      .orderBy(asc(auditEvents.seq))
      .limit(1000);
    if (page.length === 0) return { valid: true, events: count, head: prev };
    for (const event of page) {
      if (event.prevHash !== prev)
        return { valid: false, events: count, first_broken: { seq: event.seq, id: event.id, reason: 'link_mismatch' } };
      if ((await hashAuditEvent(prev, event)) !== event.hash) {
        return { valid: false, events: count, first_broken: { seq: event.seq, id: event.id, reason: 'hash_mismatch' } };
      }
      prev = event.hash;
      seq = event.seq;
      count++;
    }
  }
}
