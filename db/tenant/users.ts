import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { loginGuard } from '../shared/login-guard.ts';
import { totpFactor } from '../shared/totp-factor.ts';

export const staffRoles = ['owner', 'admin', 'operations', 'billing', 'support', 'field_tech', 'read_only'] as const;
export type StaffRole = (typeof staffRoles)[number];

// Staff of one ISP. Emails are stored lower-cased, so uniqueness is case-insensitive.
export const users = sqliteTable('users', {
  id: id(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  role: text('role', { enum: staffRoles }).notNull(),
  status: text('status', { enum: ['active', 'disabled'] }).notNull(),
  passwordHash: text('password_hash').notNull(),
  ...loginGuard(),
  ...totpFactor(),
  // Access tokens carry the epoch they were issued in; a password change bumps it, which
  // signs the user out everywhere.
  sessionEpoch: integer('session_epoch').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: instant('deleted_at'),
});
