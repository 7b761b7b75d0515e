import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';

export const taxModes = ['exclusive', 'inclusive', 'exempt'] as const;
export type TaxMode = (typeof taxModes)[number];

// Tax rates as decimal strings ("7.5" = 7.5 %), never floats: tax is computed with
// exact integer arithmetic and rounded once per line. A compound rate applies to the
// amount plus the simple taxes of the same line. Rates are never edited once used on
// an invoice (lines snapshot name and rate); archive and create a new one instead.
export const taxRates = sqliteTable('tax_rates', {
  id: id(),
  name: text('name').notNull(),
  rate: text('rate').notNull(),
  mode: text('mode', { enum: taxModes }).notNull(),
  compound: integer('compound', { mode: 'boolean' }).notNull(),
  archivedAt: instant('archived_at'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
