import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant } from '../shared/columns.ts';
import { staffRoles } from './users.ts';

// Only a SHA-256 of the secret is kept; the secret is shown once, at creation.
export const apiKeys = sqliteTable('api_keys', {
  id: id(),
  name: text('name').notNull(),
  role: text('role', { enum: staffRoles }).notNull(),
  secretHash: text('secret_hash').notNull(),
  prefix: text('prefix').notNull(),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  lastUsedAt: instant('last_used_at'),
  revokedAt: instant('revoked_at'),
  // The permissions the key may use, a subset of its role's (JSON array); null: all of the role's.
  scopes: text('scopes', { mode: 'json' }).$type<string[]>(),
  // Refused (401) from this instant on; null: until revoked.
  expiresAt: instant('expires_at'),
});
