import type { Client } from '@libsql/client';
import type { TenantRecord } from '../../context.ts';

/** Looks a tenant up by slug with one indexed read (on every authenticated tenant request). */
export async function findTenantBySlug(control: Client, slug: string): Promise<TenantRecord | null> {
  const result = await control.execute({
    sql: 'SELECT id, slug, name, currency, timezone, status, max_subscribers FROM tenants WHERE slug = ?',
    args: [slug],
  });
  const row = result.rows[0];
  if (!row) return null;
  return {
    id: String(row.id),
    slug: String(row.slug),
    name: String(row.name),
    currency: String(row.currency),
    timezone: String(row.timezone),
    status: row.status as TenantRecord['status'],
    maxSubscribers: row.max_subscribers === null ? null : Number(row.max_subscribers),
  };
}
