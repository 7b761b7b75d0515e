import type { StaffRole } from '../../../db/tenant/index.ts';
import { permissionsOf, type Permission } from '../../permissions.ts';

/**
 * What an API key may do: its scopes, kept within its role (a scope its role lost since,
 * or one written into the row by hand, grants nothing); without scopes, its whole role.
 */
export function keyPermissions(role: StaffRole, scopes: readonly string[] | null): ReadonlySet<Permission> {
  const granted = permissionsOf(role);
  if (scopes === null) return granted;
  return new Set([...granted].filter((p) => scopes.includes(p)));
}
