// Dropping root (config user/group) before anything is bound or opened. The data
// directory and what is in it are handed to that user first, so the databases, their
// -wal/-shm files and the pid file stay usable after the switch.
//
// Why before binding, not after: the RADIUS worker threads each own an SO_REUSEPORT
// socket, and Linux joins a socket to a reuse-port group only if it was created by the
// same effective uid as the group's sockets. A worker restarted after an in-process
// drop would bind as the new user beside root's sockets and get EADDRINUSE forever.
// Dropping first makes every socket, the first and the restarted, the user's. The
// price: ports below net.ipv4.ip_unprivileged_port_start (1024) cannot be bound after
// the drop, so with such a port the drop is refused at start. Run those under systemd
// with User= and AmbientCapabilities=CAP_NET_BIND_SERVICE (isp-appliance.service):
// the process never holds root, every thread keeps the capability, and this step
// does nothing.
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
    if (fields[0] === value && fields[2] !== undefined)
      return { id: Number(fields[2]), primaryGroup: fields[3] === undefined ? null : Number(fields[3]) };
  }
  throw new PrivilegeError(`${kind} "${value}" not found in ${database} (use a numeric id for accounts outside it)`);
}

/** A port the appliance will bind, named by its configuration key. */
export type PlannedPort = { readonly key: string; readonly port: number };

/** Linux: ports below this need root or CAP_NET_BIND_SERVICE. */
export function unprivilegedPortStart(): number {
  try {
    const value = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    return Number.isInteger(value) ? value : 1024;
  } catch {
    return 1024;
  }
}

export type DropPlan =
  { action: 'skip'; uid: number | null } | { action: 'refuse'; message: string } | { action: 'drop' };

/** What dropPrivileges will do; pure, so every branch is testable without root. */
export function planPrivilegeDrop(options: {
  user: string;
  uid: number | null;
  ports: readonly PlannedPort[];
  unprivilegedPortStart: number;
}): DropPlan {
  if (options.uid !== 0) return { action: 'skip', uid: options.uid };
  const privileged = options.ports.filter(({ port }) => port !== 0 && port < options.unprivilegedPortStart);
  if (privileged.length === 0) return { action: 'drop' };
  return {
    action: 'refuse',
    message:
      `cannot switch to user "${options.user}": ${privileged.map(({ key, port }) => `${key} ${port}`).join(', ')} ` +
      `below ${options.unprivilegedPortStart} cannot be bound after dropping root, and binding as root first would ` +
      'keep restarted RADIUS workers out of the SO_REUSEPORT group. Use ports from ' +
      `${options.unprivilegedPortStart} up, or remove "user" and run under systemd with User= and ` +
      'AmbientCapabilities=CAP_NET_BIND_SERVICE (appliance/isp-appliance.service).',
  };
}

export type DropResult = { dropped: boolean; uid: number | null; gid: number | null };

export type DropOptions = {
  user: string | null;
  group: string | null;
  dataDir: string;
  /** Every port the appliance binds after this call. */
  ports: readonly PlannedPort[];
  log: Logger;
};

/** Call before binding or opening anything (see the top of this file). */
export function dropPrivileges(options: DropOptions): DropResult {
  const { user, group, dataDir, log } = options;
  if (user === null) return { dropped: false, uid: null, gid: null };
  const plan = planPrivilegeDrop({
    user,
    uid: process.getuid?.() ?? null,
    ports: options.ports,
    unprivilegedPortStart: unprivilegedPortStart(),
  });
  switch (plan.action) {
    case 'skip':
      log.warn('not running as root: privilege drop skipped', { user, uid: plan.uid });
      return { dropped: false, uid: plan.uid, gid: process.getgid?.() ?? null };
    case 'refuse':
      throw new PrivilegeError(plan.message);
    case 'drop':
      break;
  }
  const account = resolveId(user, '/etc/passwd', 'user');
  const gid = group === null ? account.primaryGroup : resolveId(group, '/etc/group', 'group').id;
  if (gid === null) throw new PrivilegeError(`user "${user}" is numeric: set "group" too`);

  for (const path of [dataDir, ...readdirSync(dataDir).map((entry) => join(dataDir, entry))])
    chownSync(path, account.id, gid);
  // Supplementary groups first (root's would survive setgid/setuid), then gid, then uid.
  process.setgroups?.([gid]);
  process.setgid?.(gid);
  process.setuid?.(account.id);
  if (process.getuid?.() !== account.id || process.getgid?.() !== gid)
    throw new PrivilegeError('privilege drop did not take effect');
  log.info('dropped privileges', { user, uid: account.id, gid });
  return { dropped: true, uid: account.id, gid };
}
