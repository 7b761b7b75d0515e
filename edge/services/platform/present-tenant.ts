import type { tenants } from '../../../db/control/index.ts';

export const presentTenant = (t: typeof tenants.$inferSelect) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  currency: t.currency,
  timezone: t.timezone,
  status: t.status,
  max_subscribers: t.maxSubscribers,
  created_at: t.createdAt.toISOString(),
  updated_at: t.updatedAt.toISOString(),
});
