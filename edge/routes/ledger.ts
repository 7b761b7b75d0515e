import { z } from '@hono/zod-openapi';
import { ledgerAccounts } from '../../db/tenant/index.ts';
import { arAging } from '../services/ledger/ar-aging.ts';
import { listJournal, trialBalance } from '../services/ledger/read-journal.ts';
import { presentBalance, subscriberBalance } from '../services/ledger/subscriber-balance.ts';
import { findSubscriber } from '../services/subscribers/find-subscriber.ts';
import { IdParam, ListFormat, Pagination, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { csvDownload, csvPageSize } from './list-csv.ts';
import { Currency, Instant } from './money-schemas.ts';

const Balance = z
  .object({
    currency: z.string(),
    outstanding: z.number().int().openapi({ description: 'Owed on invoices (the receivable)' }),
    credit: z.number().int().openapi({ description: 'Unallocated payments and unapplied credit notes' }),
    overdue: z.number().int().openapi({ description: 'The part of outstanding on overdue invoices' }),
  })
  .openapi('Balance');

const JournalEntry = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    kind: z.string(),
    memo: z.string(),
    subscriber_id: z.string().nullable(),
    currency: z.string(),
    source_type: z.string(),
    source_id: z.string(),
    reverses_entry_id: z.string().nullable(),
    occurred_at: z.string(),
    lines: z.array(
      z.object({
        account: z.enum(ledgerAccounts),
        subscriber_id: z.string().nullable(),
        debit: z.number().int(),
        credit: z.number().int(),
      }),
    ),
  })
  .openapi('JournalEntry');

// One row per journal line, its entry's fields repeated: the shape ledgers import.
const journalCsvColumns = [
  'seq',
  'occurred_at',
  'kind',
  'memo',
  'currency',
  'account',
  'subscriber_id',
  'debit',
  'credit',
  'source_type',
  'source_id',
  'reverses_entry_id',
  'entry_id',
] as const;

const AgingBuckets = {
  current: z.number().int(),
  days_1_30: z.number().int(),
  days_31_60: z.number().int(),
  days_61_90: z.number().int(),
  days_over_90: z.number().int(),
  total: z.number().int(),
};
const ArAging = z
  .object({
    as_of: z.string(),
    totals: z.array(z.object({ currency: z.string(), ...AgingBuckets })),
    subscribers: z.array(
      z.object({
        subscriber_id: z.string(),
        subscriber_number: z.string().nullable(),
        display_name: z.string().nullable(),
        currency: z.string(),
        ...AgingBuckets,
      }),
    ),
  })
  .openapi('ArAging');

const TrialBalance = z
  .object({
    as_of: z.string(),
    currencies: z.array(
      z.object({
        currency: z.string(),
        accounts: z.array(
          z.object({
            account: z.enum(ledgerAccounts),
            debit: z.number().int(),
            credit: z.number().int(),
            balance: z.number().int(),
          }),
        ),
        total_debit: z.number().int(),
        total_credit: z.number().int(),
        balanced: z.boolean(),
      }),
    ),
  })
  .openapi('TrialBalance');

export const ledgerRouter = createRouter()
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/subscribers/{id}/balance',
      operationId: 'getSubscriberBalance',
      summary: "Get a subscriber's balance",
      tags: ['billing'],
      description: 'Derived from the journal. `?currency=` defaults to the tenant’s.',
      request: { params: IdParam, query: z.object({ currency: Currency.optional() }) },
      responses: { 200: json(Balance, 'The balance') },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      const subscriber = await findSubscriber(ctx.db, c.req.valid('param').id);
      return c.json(
        presentBalance(
          await subscriberBalance(ctx.db, subscriber.id, c.req.valid('query').currency ?? ctx.tenant.currency),
        ),
        200,
      );
    },
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/journal',
      operationId: 'listJournalEntries',
      summary: 'List journal entries',
      tags: ['billing'],
      description:
        'Journal entries, newest first (seq descending); append-only, corrections are reversing entries. ' +
        '`?format=csv`: one row per line, with its entry’s fields.',
      request: { query: Pagination.extend({ subscriber_id: z.uuid().optional() }).extend(ListFormat.shape) },
      responses: { 200: listResponse(JournalEntry, 'Entries') },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      const { format, ...input } = c.req.valid('query');
      if (format === 'csv')
        return csvDownload(c, 'journal.csv', journalCsvColumns, async (cursor) => {
          const { data, next_cursor } = await listJournal({ ctx, input: { ...input, limit: csvPageSize, cursor } });
          const lines = data.flatMap(({ lines, id, ...entry }) =>
            lines.map((line) => ({ ...entry, ...line, entry_id: id })),
          );
          return { data: lines, next_cursor };
        });
      return c.json(await listJournal({ ctx, input }), 200);
    },
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/reports/ar-aging',
      operationId: 'getArAging',
      summary: 'Report receivables by age',
      tags: ['billing'],
      description: 'Receivables by days past due at `as_of` (default now): current, 1–30, 31–60, 61–90, over 90.',
      request: { query: z.object({ as_of: Instant.optional() }) },
      responses: { 200: json(ArAging, 'The aging report') },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      return c.json(
        await arAging({
          ctx,
          input: { as_of: c.req.valid('query').as_of ?? new Date(ctx.platform.now()).toISOString() },
        }),
        200,
      );
    },
  )
  .openapi(
    tenantRoute('billing:read', {
      method: 'get',
      path: '/api/v1/reports/trial-balance',
      operationId: 'getTrialBalance',
      summary: 'Report the trial balance',
      tags: ['billing'],
      description: 'Debits and credits per ledger account and currency; they are equal, always.',
      request: { query: z.object({ as_of: Instant.optional() }) },
      responses: { 200: json(TrialBalance, 'The trial balance') },
    }),
    async (c) => c.json(await trialBalance({ ctx: c.get('tenantCtx'), input: c.req.valid('query') }), 200),
  );
