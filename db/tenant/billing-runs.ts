import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { dunningActions } from './catalog.ts';
import { subscribers } from './subscribers.ts';
import { subscriptions } from './subscriptions.ts';

// One row per request to bill up to `as_of`. The counts are what this run created; a
// repeated or concurrent run for the same instant finds nothing left and creates nothing.
export const billingRuns = sqliteTable('billing_runs', {
  id: id(),
  asOf: instant('as_of').notNull(),
  status: text('status', { enum: ['running', 'completed', 'failed'] }).notNull(),
  invoicesCreated: integer('invoices_created').notNull(),
  linesCreated: integer('lines_created').notNull(),
  createdBy: text('created_by'),
  startedAt: instant('started_at').notNull(),
  finishedAt: instant('finished_at'),
});

// What a billing run could not bill, one row per subscription and run: the run goes on
// with everyone else, and the failure stays readable on the run (GET /billing-runs/{id}).
export const billingRunFailures = sqliteTable(
  'billing_run_failures',
  {
    id: id(),
    runId: text('run_id')
      .notNull()
      .references(() => billingRuns.id),
    subscriptionId: text('subscription_id').notNull(),
    message: text('message').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('billing_run_failures_run').on(t.runId, t.id)],
);

export const collectionRuns = sqliteTable('collection_runs', {
  id: id(),
  asOf: instant('as_of').notNull(),
  createdBy: text('created_by'),
  createdAt: createdAt(),
});

// The actions a collection run took, appended chunk by chunk in the chunk's transaction
// (rewriting one JSON array per chunk made a long run quadratic).
export const collectionRunActions = sqliteTable(
  'collection_run_actions',
  {
    runId: text('run_id')
      .notNull()
      .references(() => collectionRuns.id),
    position: integer('position').notNull(),
    subscriberId: text('subscriber_id').notNull(),
    subscriptionId: text('subscription_id'),
    invoiceId: text('invoice_id'),
    action: text('action').notNull(),
    reason: text('reason').notNull(),
    step: integer('step'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.position] })],
);

export const collectionCaseKinds = ['overdue', 'prepaid'] as const;
export type CollectionCaseKind = (typeof collectionCaseKinds)[number];

// One open case per subscriber and kind. `step` is the day offset of the highest ladder
// step executed (overdue) or the prepaid stage reached; steps only move up while open.
export const collectionCases = sqliteTable(
  'collection_cases',
  {
    id: id(),
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    kind: text('kind', { enum: collectionCaseKinds }).notNull(),
    status: text('status', { enum: ['open', 'closed'] }).notNull(),
    step: integer('step'),
    action: text('action', { enum: [...dunningActions, 'low_balance', 'cancel'] }),
    openedAt: instant('opened_at').notNull(),
    lastActionAt: instant('last_action_at'),
    closedAt: instant('closed_at'),
    closeReason: text('close_reason'),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('collection_cases_open')
      .on(t.subscriberId, t.kind)
      .where(sql`status = 'open'`),
    index('collection_cases_subscriber').on(t.subscriberId, t.openedAt),
  ],
);

// Raw usage as reported (RADIUS accounting), idempotent by the reporter's id.
export const usageRecords = sqliteTable(
  'usage_records',
  {
    id: text('id').primaryKey(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    bucketId: text('bucket_id').notNull(),
    startAt: instant('start_at').notNull(),
    endAt: instant('end_at').notNull(),
    inputOctets: integer('input_octets').notNull(),
    outputOctets: integer('output_octets').notNull(),
    receivedAt: instant('received_at').notNull(),
  },
  (t) => [index('usage_records_subscription').on(t.subscriptionId, t.endAt)],
);

// Volume per subscription and billing period. `included_bytes` is the offer's volume
// prorated by the active part of the period; thresholds are stamped once each.
export const quotaBuckets = sqliteTable(
  'quota_buckets',
  {
    id: id(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    periodStart: instant('period_start').notNull(),
    periodEnd: instant('period_end').notNull(),
    includedBytes: integer('included_bytes'),
    usedBytes: integer('used_bytes').notNull(),
    warned80At: instant('warned_80_at'),
    warned90At: instant('warned_90_at'),
    exhaustedAt: instant('exhausted_at'),
    resetAt: instant('reset_at'),
    // Set when the overage of a closed period went onto an invoice.
    ratedAt: instant('rated_at'),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('quota_buckets_period').on(t.subscriptionId, t.periodStart)],
);
