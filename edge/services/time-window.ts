// The time filters every list of dated records takes (issue 13 "one list helper"):
// created_from ≤ created_at < created_to (half-open, as billing periods are), and
// updated_since ≤ updated_at, for a client that syncs what changed since its last read.
import { and, gte, lt, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

export type TimeWindow = {
  created_from?: string | undefined;
  created_to?: string | undefined;
  updated_since?: string | undefined;
};

export const inTimeWindow = (
  table: { createdAt: SQLiteColumn; updatedAt: SQLiteColumn },
  window: TimeWindow,
): SQL | undefined =>
  and(
    window.created_from ? gte(table.createdAt, new Date(window.created_from)) : undefined,
    window.created_to ? lt(table.createdAt, new Date(window.created_to)) : undefined,
    window.updated_since ? gte(table.updatedAt, new Date(window.updated_since)) : undefined,
  );
