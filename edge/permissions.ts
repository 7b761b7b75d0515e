import type { StaffRole } from '../db/tenant/index.ts';

export const permissions = [
  'users:read',
  'users:write',
  'api_keys:read',
  'api_keys:write',
  'audit:read',
  'settings:write',
  'subscribers:read',
  'subscribers:write',
  // GDPR actions on a subscriber's personal data: owners and admins only.
  'subscribers:erase',
  'subscribers:export',
  'billing:read',
  'billing:write',
  'network:read',
  'network:write',
  'tickets:read',
  'tickets:write',
  // The outbox feed shows every business event of the tenant; webhooks send it out.
  'events:read',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Permission = (typeof permissions)[number];

const reads = permissions.filter((p) => p.endsWith(':read'));

const grants: Record<StaffRole, readonly Permission[]> = {
  owner: permissions,
  admin: permissions,
  operations: [
    'users:read',
    'subscribers:read',
    'subscribers:write',
    'network:read',
    'network:write',
    'tickets:read',
    'tickets:write',
    'billing:read',
  ],
  billing: ['subscribers:read', 'subscribers:write', 'billing:read', 'billing:write', 'tickets:read'],
  support: ['subscribers:read', 'subscribers:write', 'tickets:read', 'tickets:write', 'billing:read', 'network:read'],
  field_tech: ['subscribers:read', 'network:read', 'network:write', 'tickets:read', 'tickets:write'],
  read_only: reads.filter((p) => p !== 'audit:read' && p !== 'api_keys:read' && p !== 'webhooks:read'),
};

const sets = {} as Record<StaffRole, ReadonlySet<Permission>>;
for (const role of Object.keys(grants) as StaffRole[]) sets[role] = new Set(grants[role]);

export const permissionsOf = (role: StaffRole): ReadonlySet<Permission> => sets[role];

/** Who hands out permissions: its role, and the permissions it actually holds (a scoped API key's scopes). */
export type Grantor = { role: StaffRole; permissions: ReadonlySet<Permission> };

/** Those of `wanted` that `grantor` does not hold itself, and so may not hand out. */
export const permissionsNotHeld = (grantor: Grantor, wanted: Iterable<Permission>) =>
  [...wanted].filter((p) => !grantor.permissions.has(p));

/** A caller may hand out a role (to a user or an API key) only if it holds all of that role's permissions;
 * only an owner makes owners. */
export function mayGrantRole(grantor: Grantor, role: StaffRole): boolean {
  if (role === 'owner' && grantor.role !== 'owner') return false;
  return permissionsNotHeld(grantor, sets[role]).length === 0;
}
