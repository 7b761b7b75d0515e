import type { TenantDb } from '../../context.ts';

/** A tenant database or an open transaction on it: services that must run inside a
 * caller's transaction (lead conversion, CSV import) take one of these. */
export type TenantWriter = Pick<TenantDb, 'select' | 'insert' | 'update' | 'delete' | 'run' | 'all'>;
