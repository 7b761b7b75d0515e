import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant } from '../shared/columns.ts';

export const subscriberImportStatuses = ['validating', 'failed', 'importing', 'completed'] as const;
export type SubscriberImportStatus = (typeof subscriberImportStatuses)[number];

// A CSV import of subscribers: validated whole, then written in one transaction. The file
// is kept only while the job is unfinished, so a job cut off by a restart can run again
// from the start; it is dropped when the job ends (it is personal data).
export const subscriberImports = sqliteTable(
  'subscriber_imports',
  {
    id: id(),
    status: text('status', { enum: subscriberImportStatuses }).notNull(),
    dryRun: integer('dry_run', { mode: 'boolean' }).notNull(),
    source: text('source'),
    totalRows: integer('total_rows').notNull().default(0),
    processedRows: integer('processed_rows').notNull().default(0),
    errorCount: integer('error_count').notNull().default(0),
    createdCount: integer('created_count').notNull().default(0),
    // Header cells that map to nothing (a Splynx export carries many); shown, not fatal.
    ignoredColumns: text('ignored_columns', { mode: 'json' }).$type<string[]>().notNull().default([]),
    // Runs of this job so far; a run is live while its heartbeat is fresh.
    attempts: integer('attempts').notNull().default(0),
    heartbeatAt: instant('heartbeat_at'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    startedAt: instant('started_at'),
    finishedAt: instant('finished_at'),
  },
  (t) => [index('subscriber_imports_created').on(t.createdAt)],
);

// Row-level problems of a failed (or dry-run) import, the first few thousand of them,
// in file order. `row` counts records as a spreadsheet does (the header is row 1), null
// for a problem of the whole file; `line` is where the record starts in the file.
export const subscriberImportErrors = sqliteTable(
  'subscriber_import_errors',
  {
    importId: text('import_id')
      .notNull()
      .references(() => subscriberImports.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    row: integer('row'),
    line: integer('line').notNull(),
    column: text('column'),
    message: text('message').notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.ordinal] })],
);
