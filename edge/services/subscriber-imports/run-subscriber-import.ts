import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { customFields, subscriberImportErrors, subscriberImports } from '../../../db/tenant/index.ts';
import type { TenantContext, TenantTx } from '../../context.ts';
import type { Platform } from '../../env.ts';
import { CsvError, parseCsv } from '../../lib/csv.ts';
import { importHeader, rowToInput, type ImportedSubscriber, type RowError } from './subscriber-columns.ts';
import { mayChangeMoneyTerms, nonDefaultMoneyTerms } from '../subscribers/money-terms.ts';
import { existingEmails, insertImportedSubscribers } from './insert-imported-subscribers.ts';
import { subscriberCapacity, subscriberLimitMessage } from '../subscribers/subscriber-limit.ts';

/**
 * Data rows a file may hold. The insert is one transaction, and on Node (one connection a
 * tenant database) the tenant's other requests wait for it, at most 30 s: 50,000 rows took
 * about 25 s on this 2-core machine under load (bench/results/http-subscribers.json).
 */
export const maxImportRows = 50_000;
/** Row errors kept for reading back; `error_count` still counts them all. */
export const maxStoredErrors = 1_000;
/** A run whose heartbeat is older than this is taken to be dead, and the job may run again. */
export const staleAfterMs = 120_000;
/** Rows validated between progress writes (each also yields to other requests). */
const chunkRows = 1_000;

type Job = typeof subscriberImports.$inferSelect;

/** A job that should be running but whose run has stopped beating (a restart, an evicted isolate). */
export const isStalled = (job: Job, now: number) =>
  (job.status === 'validating' || job.status === 'importing') &&
  (job.attempts === 0 ? job.createdAt.getTime() : (job.heartbeatAt?.getTime() ?? 0)) < now - staleAfterMs;

class Superseded extends Error {
  override name = 'Superseded';
}

class RowsRejected extends Error {
  override name = 'RowsRejected';
  readonly errors: RowError[];
  constructor(errors: RowError[]) {
    super(`${errors.length} row error(s)`);
    this.errors = errors;
  }
}

/**
 * Runs (or re-runs) an import job to its end. Validates every row first and writes nothing
 * if any row fails; otherwise inserts all rows in one transaction that also marks the job
 * completed, so a run cut off at any point leaves either nothing or everything. A run first
 * claims the job (fresh job, or a stalled one) and fences every later write with its attempt
 * number, so two runs never both import.
 */
export async function runSubscriberImport({
  ctx: requestCtx,
  jobId,
}: {
  ctx: TenantContext;
  jobId: string;
}): Promise<void> {
  const platform: Platform = requestCtx.platform;
  const lease = await platform.databases.leaseTenant(requestCtx.tenant.slug);
  const { db } = lease;
  const ctx: TenantContext = { ...requestCtx, db, log: requestCtx.log.child({ subscriber_import: jobId }) };
  try {
    await run(ctx, jobId);
  } catch (error) {
    if (error instanceof Superseded) return;
    // Drizzle wraps database errors ("Failed query: …"); the cause says what the database refused.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
    ctx.log.error('subscriber import failed', {
      error:
        error instanceof Error
          ? { name: error.name, message: error.message.slice(0, 500), cause, stack: error.stack }
          : String(error),
    });
    await ctx.db
      .update(subscriberImports)
      .set({ status: 'failed', finishedAt: new Date(platform.now()), source: null })
      .where(and(eq(subscriberImports.id, jobId), inArray(subscriberImports.status, ['validating', 'importing'])))
      .catch(() => undefined);
    await storeErrors(ctx.db, jobId, [
      {
        row: 1,
        line: 1,
        column: null,
        message: 'the import stopped on an internal error and wrote nothing; quote this job id when reporting it',
      },
    ]).catch(() => undefined);
  } finally {
    lease.release();
  }
}

async function run(ctx: TenantContext, jobId: string) {
  const now = () => new Date(ctx.platform.now());
  const [claimed] = await ctx.db
    .update(subscriberImports)
    .set({
      status: 'validating',
      attempts: sql`${subscriberImports.attempts} + 1`,
      heartbeatAt: now(),
      startedAt: sql`coalesce(${subscriberImports.startedAt}, ${now().getTime()})`,
      processedRows: 0,
    })
    .where(
      and(
        eq(subscriberImports.id, jobId),
        inArray(subscriberImports.status, ['validating', 'importing']),
        or(
          eq(subscriberImports.attempts, 0),
          isNull(subscriberImports.heartbeatAt),
          lt(subscriberImports.heartbeatAt, new Date(ctx.platform.now() - staleAfterMs)),
        ),
      ),
    )
    .returning();
  if (!claimed) return; // finished, or another run holds it
  const began = performance.now();
  const attempt = claimed.attempts;
  const mine = and(eq(subscriberImports.id, jobId), eq(subscriberImports.attempts, attempt));
  const progress = async (values: Partial<typeof subscriberImports.$inferInsert>) => {
    const updated = await ctx.db
      .update(subscriberImports)
      .set({ ...values, heartbeatAt: now() })
      .where(mine)
      .returning({ id: subscriberImports.id });
    if (updated.length === 0) throw new Superseded();
  };
  const fail = async (errors: RowError[]) => {
    await progress({ status: 'failed', errorCount: errors.length, finishedAt: now(), source: null });
    // In file order (emails are checked against the database after each chunk); sort is stable.
    await storeErrors(
      ctx.db,
      jobId,
      errors.sort((x, y) => (x.row ?? 0) - (y.row ?? 0)),
    );
  };

  let records;
  try {
    records = parseCsv(claimed.source ?? '', {
      maxRecords: maxImportRows + 1,
      delimiter: detectDelimiter(claimed.source ?? ''),
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const message =
      error.reason === 'too_many_records'
        ? `the file has more than ${maxImportRows} rows; split it`
        : error.message.replace(/^line \d+: /, '');
    return fail([{ row: null, line: error.line, column: null, message }]);
  }
  const [headerRecord, ...rows] = records;
  if (!headerRecord)
    return fail([
      { row: null, line: 1, column: null, message: 'the file is empty; the first line must name the columns' },
    ]);
  const header = importHeader(headerRecord.cells, await ctx.db.select().from(customFields));
  await progress({ totalRows: rows.length, ignoredColumns: header.ignored });
  if (header.errors.length > 0) return fail(header.errors.map((e) => ({ ...e, row: 1, line: headerRecord.line })));
  if (rows.length === 0)
    return fail([{ row: null, line: headerRecord.line, column: null, message: 'the file has a header but no rows' }]);

  // Every row is checked, and every problem reported, before anything is written.
  const errors: RowError[] = [];
  const subscribers: ImportedSubscriber[] = [];
  const firstRowOfEmail = new Map<string, number>();
  for (let start = 0; start < rows.length; start += chunkRows) {
    const chunk = rows.slice(start, start + chunkRows);
    const emails: { email: string; row: number; line: number; column: string | null }[] = [];
    chunk.forEach((record, k) => {
      const row = start + k + 2; // as a spreadsheet numbers it: the header is row 1
      const result = rowToInput(header, record.cells, { row, line: record.line });
      if (!result.ok) {
        errors.push(...result.errors);
        return;
      }
      const terms = mayChangeMoneyTerms(ctx) ? [] : nonDefaultMoneyTerms(result.subscriber);
      for (const term of terms)
        errors.push({
          row,
          line: record.line,
          column: header.columnOf(term),
          message: `setting ${term} needs the billing:write permission`,
        });
      subscribers.push(result.subscriber);
      const email = result.subscriber.email;
      if (!email) return;
      const first = firstRowOfEmail.get(email);
      if (first !== undefined)
        errors.push({
          row,
          line: record.line,
          column: header.columnOf('email'),
          message: `${email} is also on row ${first}; emails are unique`,
        });
      else {
        firstRowOfEmail.set(email, row);
        emails.push({ email, row, line: record.line, column: header.columnOf('email') });
      }
    });
    const taken = await existingEmails(
      ctx.db,
      emails.map((e) => e.email),
    );
    for (const e of emails)
      if (taken.has(e.email))
        errors.push({
          row: e.row,
          line: e.line,
          column: e.column,
          message: `a subscriber with email ${e.email} already exists`,
        });
    await progress({ processedRows: start + chunk.length, errorCount: errors.length });
  }
  if (errors.length === 0) {
    const capacity = await subscriberCapacity(ctx);
    if (capacity !== null && subscribers.length > capacity) {
      errors.push({
        row: null,
        line: headerRecord.line,
        column: null,
        message: subscriberLimitMessage(ctx, capacity, subscribers.length),
      });
    }
  }
  ctx.log.info('subscriber import validated', {
    rows: rows.length,
    errors: errors.length,
    ms: Math.round(performance.now() - began),
  });
  if (errors.length > 0) return fail(errors);
  if (claimed.dryRun) return progress({ status: 'completed', finishedAt: now(), source: null });

  await progress({ status: 'importing' });
  const committing = performance.now();
  try {
    await ctx.db.transaction(async (tx) => {
      // Fence first: this also takes the write lock, so no other run can slip in between.
      const [held] = await tx
        .update(subscriberImports)
        .set({ heartbeatAt: now() })
        .where(and(mine, eq(subscriberImports.status, 'importing')))
        .returning({ id: subscriberImports.id });
      if (!held) throw new Superseded();
      const conflicts = await insertImportedSubscribers(tx, ctx, subscribers, {
        jobId,
        emailColumn: header.columnOf('email'),
      });
      if (conflicts.length > 0) throw new RowsRejected(conflicts);
      await tx
        .update(subscriberImports)
        .set({
          status: 'completed',
          processedRows: rows.length,
          createdCount: subscribers.length,
          finishedAt: now(),
          heartbeatAt: now(),
          source: null,
        })
        .where(mine);
    });
  } catch (error) {
    if (error instanceof RowsRejected) return fail(error.errors);
    throw error;
  }
  ctx.log.info('subscriber import completed', {
    rows: rows.length,
    ms: Math.round(performance.now() - began),
    transaction_ms: Math.round(performance.now() - committing),
  });
}

async function storeErrors(db: TenantTx, importId: string, errors: RowError[]) {
  const kept = errors.slice(0, maxStoredErrors);
  for (let i = 0; i < kept.length; i += 200) {
    await db
      .insert(subscriberImportErrors)
      .values(
        kept.slice(i, i + 200).map((e, k) => ({
          importId,
          ordinal: i + k + 1,
          row: e.row,
          line: e.line,
          column: e.column,
          message: e.message,
        })),
      )
      .onConflictDoNothing();
  }
}

/** The separator the header line uses most, outside quotes: `,`, `;` (European exports) or tab. */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c in counts) counts[c as keyof typeof counts]++;
  }
  return counts[';'] > counts[','] && counts[';'] >= counts['\t'] ? ';' : counts['\t'] > counts[','] ? '\t' : ',';
}
