import { sql } from 'drizzle-orm';
import type { ResultSet } from '@libsql/client';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { documentSequences } from '../../../db/tenant/index.ts';

export type DocumentPrefix = 'SUB' | 'INV' | 'CN' | 'PAY' | 'LEAD' | 'TKT';

/** A tenant database or an open transaction on it. */
type Writer = Pick<BaseSQLiteDatabase<'async', ResultSet>, 'insert'>;

/**
 * The next number of a per-tenant sequence, formatted `PREFIX-000001` (six digits, more
 * when needed). Call it inside the transaction that creates the document: the upsert
 * takes the write lock, so concurrent creators queue, and a rollback returns the number.
 */
export async function nextDocumentNumber(tx: Writer, prefix: DocumentPrefix): Promise<string> {
  const [row] = await tx
    .insert(documentSequences)
    .values({ prefix, lastValue: 1 })
    .onConflictDoUpdate({ target: documentSequences.prefix, set: { lastValue: sql`${documentSequences.lastValue} + 1` } })
    .returning({ value: documentSequences.lastValue });
  return `${prefix}-${String(row!.value).padStart(6, '0')}`;
}
