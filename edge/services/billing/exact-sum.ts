// Sums of money, exact however large. Each amount is bounded (minor-units.ts), but a
// subscriber's or a tenant's totals add up over years, and libSQL hands integers to JS as
// numbers, refusing (a 500, for good) any beyond 2^53. So sums travel as text and are
// added as BigInt; the API writes them with their exact digits (edge/lib/json-integer.ts).
import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

/** SUM(expr) as text, 0 when there is nothing to sum. */
export const exactSum = (expr: SQL | SQLiteColumn) => sql<string>`CAST(coalesce(sum(${expr}), 0) AS TEXT)`;

/** The value of an exactSum. */
export const sumValue = (text: string | null | undefined): bigint => BigInt(text ?? 0);
