import { and, asc, desc, eq, gt, lt } from 'drizzle-orm';
import { subscriberImportErrors, subscriberImports } from '../../../db/tenant/index.ts';
import type { TenantContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { CsvError, parseCsv } from '../../lib/csv.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { subscriberCapacity, subscriberLimitMessage } from '../subscribers/subscriber-limit.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { encodeCursor, pageOf } from '../page-of.ts';

type ImportRow = typeof subscriberImports.$inferSelect;
type ErrorRow = typeof subscriberImportErrors.$inferSelect;

export const presentImportError = (e: Pick<ErrorRow, 'row' | 'line' | 'column' | 'message'>) => ({
  row: e.row,
  line: e.line,
  column: e.column,
  message: e.message,
});

export const presentSubscriberImport = (job: ImportRow) => ({
  id: job.id,
  status: job.status,
  dry_run: job.dryRun,
  total_rows: job.totalRows,
  processed_rows: job.processedRows,
  error_count: job.errorCount,
  created_count: job.createdCount,
  ignored_columns: job.ignoredColumns,
  created_by: job.createdBy,
  created_at: job.createdAt.toISOString(),
  started_at: job.startedAt?.toISOString() ?? null,
  finished_at: job.finishedAt?.toISOString() ?? null,
});

/**
 * Refuses a file with more records than the tenant's plan has room for, before a job is
 * made (the job checks again under the write lock). Counting stops one record past the
 * room, so a large file costs little; a malformed one is left for the job to report.
 */
async function assertRoomFor(ctx: TenantContext, csv: string) {
  const capacity = await subscriberCapacity(ctx);
  if (capacity === null) return;
  try {
    parseCsv(csv, { maxRecords: capacity + 1 });
  } catch (error) {
    if (error instanceof CsvError && error.reason === 'too_many_records') {
      throw new AppError('subscriber_limit_reached', subscriberLimitMessage(ctx, capacity, `at least ${capacity + 1}`));
    }
    if (!(error instanceof CsvError)) throw error;
  }
}

/** Records the job with its file; the caller runs it (inline or in the background). */
export async function createSubscriberImport({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { csv: string; dryRun: boolean };
}) {
  await assertRoomFor(ctx, input.csv);
  const id = uuidv7(ctx.platform.now());
  const now = new Date(ctx.platform.now());
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(subscriberImports)
      .values({
        id,
        status: 'validating',
        dryRun: input.dryRun,
        source: input.csv,
        createdBy: ctx.actor.id,
        createdAt: now,
      })
      .returning();
    await appendAuditEvent(tx, ctx, {
      action: 'subscriber_import.created',
      resource: 'subscriber_import',
      resourceId: id,
      changes: { dry_run: input.dryRun, bytes: input.csv.length },
    });
    await ctx.keyResource?.(tx, id);
    return row!;
  });
}

export async function findSubscriberImport(ctx: TenantContext, id: string): Promise<ImportRow> {
  const [row] = await ctx.db.select().from(subscriberImports).where(eq(subscriberImports.id, id));
  if (!row) throw new AppError('not_found', `no subscriber import ${id}`);
  return row;
}

/** The job with one page of its row errors, in file order. */
export async function getSubscriberImport({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { id: string; errors_limit: number; errors_cursor?: string | undefined };
}) {
  // The key inside the opaque errors cursor (the route decoded it) is the last error's ordinal.
  if (input.errors_cursor !== undefined && !/^\d{1,9}$/.test(input.errors_cursor)) {
    throw new AppError('validation_failed', 'not a cursor this API returned', {
      errors: [{ path: 'errors_cursor', message: 'not a cursor this API returned' }],
    });
  }
  const after = input.errors_cursor === undefined ? undefined : Number(input.errors_cursor);
  const job = await findSubscriberImport(ctx, input.id);
  const errors = await ctx.db
    .select()
    .from(subscriberImportErrors)
    .where(
      and(
        eq(subscriberImportErrors.importId, job.id),
        after !== undefined ? gt(subscriberImportErrors.ordinal, after) : undefined,
      ),
    )
    .orderBy(asc(subscriberImportErrors.ordinal))
    .limit(input.errors_limit + 1);
  const page = errors.slice(0, input.errors_limit);
  return {
    ...presentSubscriberImport(job),
    errors: page.map(presentImportError),
    errors_next_cursor: errors.length > input.errors_limit ? encodeCursor(String(page.at(-1)!.ordinal)) : null,
  };
}

/** Newest first; the cursor is the id of the last job returned (ids are time-ordered). */
export async function listSubscriberImports({
  ctx,
  input,
}: {
  ctx: TenantContext;
  input: { limit: number; cursor?: string | undefined };
}) {
  const rows = await ctx.db
    .select()
    .from(subscriberImports)
    .where(input.cursor ? lt(subscriberImports.id, input.cursor) : undefined)
    .orderBy(desc(subscriberImports.id))
    .limit(input.limit + 1);
  return pageOf(rows, input.limit, presentSubscriberImport, (row) => row.id);
}
