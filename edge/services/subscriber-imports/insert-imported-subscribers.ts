import { inArray, sql } from 'drizzle-orm';
import { documentSequences, domainEvents, subscriberAddresses, subscribers } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantReader, TenantTx } from '../../context.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { searchBody } from '../subscribers/search-index.ts';
import { subscriberCapacity, subscriberLimitMessage } from '../subscribers/subscriber-limit.ts';
import { addressRow, subscriberRow } from '../subscribers/subscriber-rows.ts';
import type { ImportedSubscriber, RowError } from './subscriber-columns.ts';

// Rows per multi-row INSERT. Measured on 2,000 subscribers: 50 a statement took 365 ms,
// 500 took 913 ms (drizzle's per-value work grows faster than the statement count falls).
const rowsPerInsert = 50;

/** Which of these (lower-cased) emails a subscriber already has. */
export async function existingEmails(db: TenantReader, emails: string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let i = 0; i < emails.length; i += rowsPerInsert) {
    const rows = await db
      .select({ email: subscribers.email })
      .from(subscribers)
      .where(inArray(subscribers.email, emails.slice(i, i + rowsPerInsert)));
    for (const r of rows) if (r.email) taken.add(r.email);
  }
  return taken;
}

/**
 * Inserts validated subscribers inside the caller's transaction, in file order: numbers are
 * one block of the SUB sequence taken here (gap-free: a rollback returns it), rows go in as
 * multi-row INSERTs. Emails are checked again under the write lock, since a subscriber may
 * have been created after validation; clashes come back as row errors and nothing is kept.
 */
export async function insertImportedSubscribers(
  tx: TenantTx,
  ctx: TenantContext,
  rows: ImportedSubscriber[],
  meta: { jobId: string; emailColumn: string | null },
): Promise<RowError[]> {
  const emails = rows.flatMap((s) => (s.email ? [s.email] : []));
  const taken = await existingEmails(tx, emails);
  if (taken.size > 0) {
    return rows
      .filter((s) => s.email && taken.has(s.email))
      .map((s) => ({
        row: s.row,
        line: s.line,
        column: meta.emailColumn,
        message: `a subscriber with email ${s.email} was created while the file was being checked`,
      }));
  }
  const capacity = await subscriberCapacity(ctx, tx);
  if (capacity !== null && rows.length > capacity)
    return [{ row: null, line: 1, column: null, message: subscriberLimitMessage(ctx, capacity, rows.length) }];

  const [block] = await tx
    .insert(documentSequences)
    .values({ prefix: 'SUB', lastValue: rows.length })
    .onConflictDoUpdate({
      target: documentSequences.prefix,
      set: { lastValue: sql`${documentSequences.lastValue} + ${rows.length}` },
    })
    .returning({ last: documentSequences.lastValue });
  const firstSeq = block!.last - rows.length + 1;
  const now = new Date(ctx.platform.now());

  for (let i = 0; i < rows.length; i += rowsPerInsert) {
    const chunk = rows.slice(i, i + rowsPerInsert);
    const values = chunk.map((s, k) =>
      subscriberRow(s, {
        id: uuidv7(now.getTime()),
        number: `SUB-${String(firstSeq + i + k).padStart(6, '0')}`,
        customFields: s.custom_fields,
        now,
      }),
    );
    await tx.insert(subscribers).values(values);
    const addresses = chunk.map((s, k) =>
      s.addresses.map((a) => addressRow(values[k]!.id, a, { id: uuidv7(now.getTime()), isPrimary: true, now })),
    );
    if (addresses.flat().length > 0) await tx.insert(subscriberAddresses).values(addresses.flat());
    // An imported subscriber has no contacts yet.
    await tx.run(
      sql`INSERT INTO subscribers_fts (rowid, body) VALUES ${sql.join(
        values.map((v, k) => sql`(${v.seq}, ${searchBody(v, addresses[k]!, [])})`),
        sql`, `,
      )}`,
    );
    await tx.insert(domainEvents).values(
      values.map((v) => ({
        id: uuidv7(now.getTime()),
        type: 'subscriber.created',
        subjectType: 'subscriber',
        subjectId: v.id,
        payload: { number: v.number, import_id: meta.jobId },
        occurredAt: now,
      })),
    );
  }
  await appendAuditEvent(tx, ctx, {
    action: 'subscriber_import.completed',
    resource: 'subscriber_import',
    resourceId: meta.jobId,
    changes: {
      created: rows.length,
      first_number: `SUB-${String(firstSeq).padStart(6, '0')}`,
      last_number: `SUB-${String(block!.last).padStart(6, '0')}`,
    },
  });
  return [];
}
