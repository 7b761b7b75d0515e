// What the catalog's services share: references checked inside the writing transaction,
// the archive filter, and unique codes reported as 409 even when two requests race.
import { isNotNull, isNull, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { eq } from 'drizzle-orm';
import { policySets, taxRates } from '../../../db/tenant/index.ts';
import { AppError, type FieldError } from '../../errors.ts';
import type { TenantReader } from '../../context.ts';

export type ArchivedFilter = 'exclude' | 'include' | 'only';

export const archivedWhere = (column: SQLiteColumn, archived: ArchivedFilter | undefined): SQL | undefined =>
  (archived ?? 'exclude') === 'exclude' ? isNull(column) : archived === 'only' ? isNotNull(column) : undefined;

/** Throws 422 naming `path` unless the tax rate exists and is not archived. */
export async function assertTaxRateUsable(db: TenantReader, id: string, path: string) {
  const [row] = await db.select({ archivedAt: taxRates.archivedAt }).from(taxRates).where(eq(taxRates.id, id));
  if (!row || row.archivedAt) throw unusable(path, row ? 'is archived' : 'is not a tax rate of this tenant');
}

/** Throws 422 naming `path` unless the policy set exists. */
export async function assertPolicySetUsable(db: TenantReader, id: string, path: string) {
  const [row] = await db.select({ id: policySets.id }).from(policySets).where(eq(policySets.id, id));
  if (!row) throw unusable(path, 'is not a policy set of this tenant');
}

const unusable = (path: string, message: string) =>
  new AppError('unprocessable', `${path} ${message}`, { errors: [{ path, message }] });

export const validationFailed = (errors: FieldError[]) =>
  new AppError('validation_failed', `${errors.length} field(s) failed validation`, { errors });

/** A UNIQUE violation from libSQL, however drizzle wrapped it. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if (/UNIQUE constraint failed/.test(e.message)) return true;
  return false;
}

/**
 * Runs a write, turning a UNIQUE violation (a concurrent insert of the same code) into the same 409 a pre-check gives.
 */
export async function uniquely<T>(write: () => Promise<T>, clash: () => AppError): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw clash();
    throw error;
  }
}

/** Fields of `patch` (snake_case) that differ from `row` (camelCase columns), as a column set and an audit record. */
export function diff<Row extends Record<string, unknown>>(
  row: Row,
  patch: Record<string, unknown>,
  columns: readonly (readonly [string, keyof Row & string])[],
) {
  const set: Partial<Row> = {};
  const changes: Record<string, unknown> = {};
  for (const [field, column] of columns) {
    const value = patch[field];
    if (value === undefined) continue;
    const current = row[column];
    const same =
      value instanceof Date || current instanceof Date
        ? (value as Date | null)?.getTime() === (current as Date | null)?.getTime()
        : JSON.stringify(value) === JSON.stringify(current);
    if (same) continue;
    Object.assign(set, { [column]: value });
    changes[field] = value instanceof Date ? value.toISOString() : value;
  }
  return { set, changes };
}
