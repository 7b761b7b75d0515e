import type { journalEntries, journalLines, LedgerAccount } from '../../../db/tenant/index.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { insertFromJson } from '../bulk-rows.ts';
import type { TenantTx } from '../../context.ts';

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

/** The lines worth writing (zero lines dropped), after checking the entry balances. */
function checkedLines(entry: JournalEntryInput): JournalLine[] {
  const lines = entry.lines.filter((line) => (line.debit ?? 0) !== 0 || (line.credit ?? 0) !== 0);
  let debits = 0;
  let credits = 0;
  for (const line of lines) {
    const debit = line.debit ?? 0;
    const credit = line.credit ?? 0;
    if (!Number.isSafeInteger(debit) || !Number.isSafeInteger(credit) || debit < 0 || credit < 0) {
      throw new UnbalancedEntryError(
        `${entry.kind}: amounts must be non-negative integers (got ${debit}/${credit} on ${line.account})`,
      );
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
export async function postJournalEntries(
  tx: TenantTx,
  entries: readonly JournalEntryInput[],
  at: Date,
): Promise<(string | null)[]> {
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
      lineRows.push({
        entryId: id,
        account: line.account,
        subscriberId: line.subscriberId ?? null,
        currency: entry.currency,
        debit: line.debit ?? 0,
        credit: line.credit ?? 0,
      });
    }
  }
  await insertFromJson(
    tx,
    'journal_entries',
    ['id', 'kind', 'memo', 'subscriber_id', 'currency', 'source_type', 'source_id', 'reverses_entry_id', 'occurred_at'],
    entryRows.map((r) => [
      r.id,
      r.kind,
      r.memo,
      r.subscriberId ?? null,
      r.currency,
      r.sourceType,
      r.sourceId,
      r.reversesEntryId ?? null,
      r.occurredAt.getTime(),
    ]),
  );
  await insertFromJson(
    tx,
    'journal_lines',
    ['entry_id', 'account', 'subscriber_id', 'currency', 'debit', 'credit'],
    lineRows.map((r) => [r.entryId, r.account, r.subscriberId ?? null, r.currency, r.debit, r.credit]),
  );
  return ids;
}

export async function postJournalEntry(tx: TenantTx, entry: JournalEntryInput, at: Date): Promise<string | null> {
  const [id] = await postJournalEntries(tx, [entry], at);
  return id ?? null;
}
