import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, updatedAt } from '../shared/columns.ts';
import { loginGuard } from '../shared/login-guard.ts';
import { totpFactor } from '../shared/totp-factor.ts';

export const platformUsers = sqliteTable('platform_users', {
  id: id(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  ...loginGuard(),
  ...totpFactor(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
