import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, updatedAt } from '../shared/columns.ts';

export const customFieldTypes = ['text', 'number', 'boolean', 'date', 'select'] as const;
export type CustomFieldType = (typeof customFieldTypes)[number];

// Per-tenant definitions of extra subscriber attributes; values live in
// subscribers.custom_fields under `key` and are validated against these on every write.
export const customFields = sqliteTable('custom_fields', {
  id: id(),
  key: text('key').notNull().unique(),
  label: text('label').notNull(),
  type: text('type', { enum: customFieldTypes }).notNull(),
  // The allowed values of a `select` field; null for other types.
  options: text('options', { mode: 'json' }).$type<string[]>(),
  required: integer('required', { mode: 'boolean' }).notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
