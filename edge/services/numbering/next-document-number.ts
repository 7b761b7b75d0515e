import { sql } from 'drizzle-orm';
import { documentSequences } from '../../../db/tenant/index.ts';
import type { TenantTx } from '../../context.ts';

export type DocumentPrefix = 'SUB' | 'INV' | 'CN' | 'PAY' | 'LEAD' | 'TKT';

/**
 * The next number of a per-tenant sequence, formatted `PREFIX-000001` (six digits, more
 * when needed). Call it inside the transaction that creates the document: the upsert
 * takes the write lock, so concurrent creators queue, and a rollback returns the number.
 */
export async function nextDocumentNumber(tx: TenantTx, prefix: DocumentPrefix): Promise<string> {
  const [row] = await tx
    .insert(documentSequences)
    .values({ prefix, lastValue: 1 })
    .onConflictDoUpdate({
      target: documentSequences.prefix,
      set: { lastValue: sql`${documentSequences.lastValue} + 1` },
    })
    .returning({ value: documentSequences.lastValue });
  return formatDocumentNumber(prefix, row!.value);
}

/**
 * `count` consecutive numbers in one statement, for batch creators (the billing run):
 * the same sequence, lock and rollback behaviour as nextDocumentNumber.
 */
export async function nextDocumentNumbers(tx: TenantTx, prefix: DocumentPrefix, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const [row] = await tx
    .insert(documentSequences)
    .values({ prefix, lastValue: count })
    .onConflictDoUpdate({
      target: documentSequences.prefix,
      set: { lastValue: sql`${documentSequences.lastValue} + ${count}` },
    })
    .returning({ value: documentSequences.lastValue });
  const first = row!.value - count + 1;
  return Array.from({ length: count }, (_, i) => formatDocumentNumber(prefix, first + i));
}

const formatDocumentNumber = (prefix: DocumentPrefix, value: number) => `${prefix}-${String(value).padStart(6, '0')}`;
