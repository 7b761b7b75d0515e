import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { TenantTx } from '../context.ts';

// Writing many rows at once (the billing run: invoices, lines, journal entries, events).
// Rows travel as ONE bound JSON array expanded by json_each: drizzle builds each bound
// value of a VALUES list as its own chunk, which for thousands of rows cost more than
// SQLite's own work, and SQLite bounds the parameters of a statement anyway.

// Rows per statement: one bound parameter whatever the count; this bounds its size.
const rowsPerJsonStatement = 1_000;

type Value = string | number | null;

/**
 * One `UPDATE … FROM json_each(?)` per chunk instead of a statement per row: each row is
 * [id, ...values], `set` names the columns the values go to, in order.
 */
export async function updateFromJson(
  tx: TenantTx,
  table: string,
  set: readonly string[],
  rows: readonly (readonly Value[])[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += rowsPerJsonStatement) {
    const chunk = rows.slice(i, i + rowsPerJsonStatement);
    const assignments: SQL[] = set.map((column, j) => sql.raw(`"${column}" = v.value ->> ${j + 1}`));
    await tx.run(
      sql`UPDATE ${sql.raw(`"${table}"`)} SET ${sql.join(assignments, sql`, `)} FROM
        json_each(${JSON.stringify(chunk)}) AS v WHERE ${sql.raw(`"${table}".id`)} = v.value ->> 0`,
    );
  }
}

/**
 * A multi-row INSERT. Rows are arrays in `columns` order of what each column stores:
 * numbers, strings, null (instants as ms, JSON columns as their text).
 */
export async function insertFromJson(
  tx: TenantTx,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly Value[])[],
): Promise<void> {
  const names = sql.raw(columns.map((c) => `"${c}"`).join(', '));
  const values = sql.raw(columns.map((_, j) => `value ->> ${j}`).join(', '));
  for (let i = 0; i < rows.length; i += rowsPerJsonStatement) {
    const chunk = rows.slice(i, i + rowsPerJsonStatement);
    await tx.run(
      sql`INSERT INTO ${sql.raw(`"${table}"`)} (${names}) SELECT ${values} FROM json_each(${JSON.stringify(chunk)})`,
    );
  }
}

/**
 * `column IN (values)` with the list bound as ONE JSON parameter: drizzle's inArray binds,
 * and builds, a parameter per value, which for the billing run's thousands of ids cost
 * more than the lookups. SQLite still probes the column's index for each value.
 */
export const inList = (column: SQLiteColumn, values: readonly (string | number)[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
