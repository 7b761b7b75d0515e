import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, updatedAt } from '../shared/columns.ts';

export const tenants = sqliteTable('tenants', {
  id: id(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  currency: text('currency').notNull(),
  timezone: text('timezone').notNull(),
  // 'provisioning' until its database and owner exist; a crash mid-way leaves it visible, never half-live.
  status: text('status', { enum: ['provisioning', 'active', 'suspended'] }).notNull(),
  maxSubscribers: integer('max_subscribers'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const tenantDomains = sqliteTable(
  'tenant_domains',
  {
    domain: text('domain').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [index('tenant_domains_tenant').on(t.tenantId)],
);
