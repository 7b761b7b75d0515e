import type { ResultSet } from '@libsql/client';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import { journalEntries, journalLines, type LedgerAccount } from '../../../db/tenant/index.ts';
import { uuidv7 } from '../../lib/ids.ts';

type Writer = Pick<BaseSQLiteDatabase<'async', ResultSet>, 'insert'>;

export type JournalLine = { account: LedgerAccount; subscriberId?: string | null; debit?: number; credit?: number };

export type JournalEntryInput = {
  /** What happened: invoice.issued, payment.received, refund, credit_note.applied, … */
  kind: string;
  memo: string;
  subscriberId: string | null;
  currency: string;
  sourceType: string;
  sourceId: string;
  reversesEntryId?: string | null;
  lines: readonly JournalLine[];
};

/** Thrown for an entry that does not balance: a programming error, never user input. */
export class UnbalancedEntryError extends Error {
  override name = 'UnbalancedEntryError';
}

// Entries have 10 columns, lines 6: well under SQLite's 32,766 bound parameters.
const rowsPerInsert = 500;

/** The lines worth writing (zero lines dropped), after checking the entry balances. */
function checkedLines(entry: JournalEntryInput): JournalLine[] {
  const lines = entry.lines.filter((line) => (line.debit ?? 0) !== 0 || (line.credit ?? 0) !== 0);
  let debits = 0;
  let credits = 0;
  for (const line of lines) {
    const debit = line.debit ?? 0;
    const credit = line.credit ?? 0;
    if (!Number.isSafeInteger(debit) || !Number.isSafeInteger(credit) || debit < 0 || credit < 0) {
      throw new UnbalancedEntryError(`${entry.kind}: amounts must be non-negative integers (got ${debit}/${credit} on ${line.account})`);
    }
    debits += debit;
    credits += credit;
  }
  if (debits !== credits) throw new UnbalancedEntryError(`${entry.kind}: debits ${debits} ≠ credits ${credits}`);
  return lines;
}

/**
 * Appends balanced entries (business-rules.md, "Ledger"), all checked before anything is
 * written. Call it in the transaction of the documents that move the money, so both
 * commit or neither. An entry with nothing left after dropping zero lines is not written
 * (its id comes back null).
 */
export async function postJournalEntries(tx: Writer, entries: readonly JournalEntryInput[], at: Date): Promise<(string | null)[]> {
  const ids: (string | null)[] = [];
  const entryRows: (typeof journalEntries.$inferInsert)[] = [];
  const lineRows: (typeof journalLines.$inferInsert)[] = [];
  for (const entry of entries) {
    const lines = checkedLines(entry);
    if (lines.length === 0) {
      ids.push(null);
      continue;
    }
    const id = uuidv7(at.getTime());
    ids.push(id);
    entryRows.push({
      id,
      kind: entry.kind,
      memo: entry.memo,
      subscriberId: entry.subscriberId,
      currency: entry.currency,
      sourceType: entry.sourceType,
      sourceId: entry.sourceId,
      reversesEntryId: entry.reversesEntryId ?? null,
      occurredAt: at,
    });
    for (const line of lines) {
      lineRows.push({ entryId: id, account: line.account, subscriberId: line.subscriberId ?? null, currency: entry.currency, debit: line.debit ?? 0, credit: line.credit ?? 0 });
    }
  }
  for (let i = 0; i < entryRows.length; i += rowsPerInsert) await tx.insert(journalEntries).values(entryRows.slice(i, i + rowsPerInsert));
  for (let i = 0; i < lineRows.length; i += rowsPerInsert) await tx.insert(journalLines).values(lineRows.slice(i, i + rowsPerInsert));
  return ids;
}

export async function postJournalEntry(tx: Writer, entry: JournalEntryInput, at: Date): Promise<string | null> {
  const [id] = await postJournalEntries(tx, [entry], at);
  return id ?? null;
}
