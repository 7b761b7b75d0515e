import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

// Per-tenant human document numbers (SUB-000001, INV-000001, …). A number is taken in
// the transaction that creates the document, so a rollback gives it back: gap-free.
export const documentSequences = sqliteTable('document_sequences', {
  prefix: text('prefix').primaryKey(),
  lastValue: integer('last_value').notNull(),
});
