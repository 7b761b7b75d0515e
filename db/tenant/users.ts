import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, instant, updatedAt } from '../shared/columns.ts';
import { loginGuard } from '../shared/login-guard.ts';

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
  // TOTP secret sealed with the platform's data key (AES-GCM); never stored in clear.
  totpSecret: text('totp_secret'),
  totpEnabledAt: instant('totp_enabled_at'),
  // Last accepted TOTP time step: a code is never accepted twice (RFC 6238 §5.2).
  totpLastStep: integer('totp_last_step'),
  // Access tokens carry the epoch they were issued in; a password change bumps it, which
  // signs the user out everywhere.
  sessionEpoch: integer('session_epoch').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: instant('deleted_at'),
});
