import { sql, type SQL } from 'drizzle-orm';
import type { TenantTx } from '../../context.ts';

// SQLite binds at most 32,766 parameters per statement.
const rowsPerStatement = 2_000;

/**
 * One `UPDATE … FROM (VALUES …)` per chunk instead of a statement per row: `set` names
 * the columns to assign from the values' columns (column1 is the id, then in order).
 */
export async function updateFromValues(tx: TenantTx, table: string, set: readonly string[], rows: readonly (readonly (string | number | null)[])[]): Promise<void> {
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    const chunk = rows.slice(i, i + rowsPerStatement);
    const values = sql.join(
      chunk.map((row) => sql`(${sql.join(row.map((value) => sql`${value}`), sql`, `)})`),
      sql`, `,
    );
    const assignments: SQL[] = set.map((column, j) => sql.raw(`"${column}" = v.column${j + 2}`));
    await tx.run(sql`UPDATE ${sql.raw(`"${table}"`)} SET ${sql.join(assignments, sql`, `)} FROM (VALUES ${values}) AS v WHERE ${sql.raw(`"${table}".id`)} = v.column1`);
  }
}
