import { integer, text } from 'drizzle-orm/sqlite-core';

// UTC instants stored as integer milliseconds since the epoch.
export const instant = (name: string) => integer(name, { mode: 'timestamp_ms' });
export const createdAt = () => instant('created_at').notNull();
export const updatedAt = () => instant('updated_at').notNull();
export const id = () => text('id').primaryKey();
