import { and, asc, desc, eq, inArray, lt, lte } from 'drizzle-orm';
import { journalEntries, journalLines, ledgerAccounts } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { jsonInteger } from '../../lib/json-integer.ts';
import { exactSum, sumValue } from '../billing/exact-sum.ts';
import { pageOf } from '../page-of.ts';

/** Journal entries with their lines, newest first; the cursor is the last entry's seq. */
export async function listJournal({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { subscriber_id?: string | undefined; limit: number; cursor?: string | undefined };
}) {
  // The key inside an opaque cursor (routes decode it) is the last entry's seq.
  if (input.cursor !== undefined && !/^\d{1,15}$/.test(input.cursor)) {
    throw new AppError('validation_failed', 'not a cursor this API returned', {
      errors: [{ path: 'cursor', message: 'not a cursor this API returned' }],
    });
  }
  const cursor = input.cursor ? Number(input.cursor) : undefined;
  const entries = await ctx.db
    .select()
    .from(journalEntries)
    .where(
      and(
        input.subscriber_id ? eq(journalEntries.subscriberId, input.subscriber_id) : undefined,
        cursor !== undefined ? lt(journalEntries.seq, cursor) : undefined,
      ),
    )
    .orderBy(desc(journalEntries.seq))
    .limit(input.limit + 1);
  const page = pageOf(
    entries,
    input.limit,
    (entry) => entry,
    (entry) => String(entry.seq),
  );
  const lines = page.data.length
    ? await ctx.db
        .select()
        .from(journalLines)
        .where(
          inArray(
            journalLines.entryId,
            page.data.map((e) => e.id),
          ),
        )
        .orderBy(asc(journalLines.id))
    : [];
  return {
    ...page,
    data: page.data.map((entry) => ({
      id: entry.id,
      seq: entry.seq,
      kind: entry.kind,
      memo: entry.memo,
      subscriber_id: entry.subscriberId,
      currency: entry.currency,
      source_type: entry.sourceType,
      source_id: entry.sourceId,
      reverses_entry_id: entry.reversesEntryId,
      occurred_at: entry.occurredAt.toISOString(),
      lines: lines
        .filter((line) => line.entryId === entry.id)
        .map((line) => ({
          account: line.account,
          subscriber_id: line.subscriberId,
          debit: line.debit,
          credit: line.credit,
        })),
    })),
  };
}

/**
 * Debits and credits per account and currency, from the journal (optionally up to an
 * instant). Every entry balances, so the totals of each currency are equal: the report
 * shows both, and `balanced` says whether they are.
 */
export async function trialBalance({ ctx, input }: { ctx: TenantContext; input: { as_of?: string | undefined } }) {
  const asOf = input.as_of ? new Date(input.as_of) : undefined;
  const rows = await ctx.db
    .select({
      currency: journalLines.currency,
      account: journalLines.account,
      debit: exactSum(journalLines.debit),
      credit: exactSum(journalLines.credit),
    })
    .from(journalLines)
    .innerJoin(journalEntries, eq(journalEntries.id, journalLines.entryId))
    .where(asOf ? lte(journalEntries.occurredAt, asOf) : undefined)
    .groupBy(journalLines.currency, journalLines.account);
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  return {
    as_of: (asOf ?? new Date(ctx.platform.now())).toISOString(),
    currencies: currencies.map((currency) => {
      const accounts = ledgerAccounts
        .map((account) => rows.find((r) => r.currency === currency && r.account === account))
        .filter((r) => r !== undefined)
        .map((r) => ({ account: r.account, debit: sumValue(r.debit), credit: sumValue(r.credit) }));
      const totalDebit = accounts.reduce((sum, a) => sum + a.debit, 0n);
      const totalCredit = accounts.reduce((sum, a) => sum + a.credit, 0n);
      return {
        currency,
        accounts: accounts.map((a) => ({
          account: a.account,
          debit: jsonInteger(a.debit),
          credit: jsonInteger(a.credit),
          balance: jsonInteger(a.debit - a.credit),
        })),
        total_debit: jsonInteger(totalDebit),
        total_credit: jsonInteger(totalCredit),
        balanced: totalDebit === totalCredit,
      };
    }),
  };
}
