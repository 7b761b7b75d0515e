import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { instant } from '../shared/columns.ts';

// Login attempts per source address (an IPv4 address or an IPv6 /64) in a one-minute window
// that starts at the first attempt. Kept in the control database so every process and
// Worker isolate counts against the same budget.
export const loginThrottle = sqliteTable(
  'login_throttle',
  {
    source: text('source').primaryKey(),
    windowStart: instant('window_start').notNull(),
    attempts: integer('attempts').notNull(),
  },
  (t) => [index('login_throttle_window').on(t.windowStart)],
);
