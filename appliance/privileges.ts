// Dropping root after the sockets are bound (config user/group). The data directory
// and what is in it are handed to that user first: worker threads open the replica by
// path after the drop, and SQLite creates -wal/-shm files next to the databases.
//
// Under systemd prefer User=/Group= in the unit (and AmbientCapabilities=
// CAP_NET_BIND_SERVICE only if you bind ports below 1024): then the process never
// holds root and this step does nothing.
import { chownSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './log.ts';

export class PrivilegeError extends Error {
  override name = 'PrivilegeError';
}

// Names resolve through /etc/passwd and /etc/group; accounts that only exist in
// LDAP/NSS must be given as numeric ids.
function resolveId(value: string, database: string, kind: string): { id: number; primaryGroup: number | null } {
  if (/^\d+$/.test(value)) return { id: Number(value), primaryGroup: null };
  let text: string;
  try {
    text = readFileSync(database, 'utf8');
  } catch (error) {
    throw new PrivilegeError(`cannot read ${database} to resolve ${kind} "${value}": ${(error as Error).message}`);
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === value && fields[2] !== undefined) return { id: Number(fields[2]), primaryGroup: fields[3] === undefined ? null : Number(fields[3]) };
  }
  throw new PrivilegeError(`${kind} "${value}" not found in ${database} (use a numeric id for accounts outside it)`);
}

export type DropResult = { dropped: boolean; uid: number | null; gid: number | null };

export function dropPrivileges(user: string | null, group: string | null, dataDir: string, log: Logger): DropResult {
  if (user === null) return { dropped: false, uid: null, gid: null };
  const current = process.getuid?.();
  if (current !== 0) {
    log.warn('not running as root: privilege drop skipped', { user, uid: current });
    return { dropped: false, uid: current ?? null, gid: process.getgid?.() ?? null };
  }
  const account = resolveId(user, '/etc/passwd', 'user');
  const gid = group === null ? account.primaryGroup : resolveId(group, '/etc/group', 'group').id;
  if (gid === null) throw new PrivilegeError(`user "${user}" is numeric: set "group" too`);

  for (const path of [dataDir, ...readdirSync(dataDir).map((name) => join(dataDir, name))]) chownSync(path, account.id, gid);
  // Supplementary groups first (root's would survive setgid/setuid), then gid, then uid.
  process.setgroups?.([gid]);
  process.setgid?.(gid);
  process.setuid?.(account.id);
  if (process.getuid?.() !== account.id || process.getgid?.() !== gid) throw new PrivilegeError('privilege drop did not take effect');
  log.info('dropped privileges', { user, uid: account.id, gid });
  return { dropped: true, uid: account.id, gid };
}
