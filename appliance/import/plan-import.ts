// Turns import files into one list of replica changes, each with the file and line it
// came from. Nothing is written here; run-import.ts applies the plan in one transaction.
//
// How FreeRADIUS concepts land in the replica:
// - A user's reply items that describe service (rate, pools, timeouts, VLAN, address
//   list) become a profile. Users with identical items share one generated profile,
//   named after the rate ("rate-10M-50M"), with "-2", "-3"… for different profiles
//   that would get the same name. Per-user items (static IPs, others) stay with the user.
// - SQL groups (radusergroup + radgroupreply/radgroupcheck) become profiles named after
//   the group. A user's own items override its groups'; among groups, the lowest
//   priority number wins. A user whose effective profile differs from its group's gets
//   a generated profile.
// - DEFAULT entries in a users file are not imported (the appliance does not evaluate
//   rules); each one is reported as a warning so nothing is dropped silently. The
//   appliance's own defaults (Service-Type, Framed-Protocol, tenant policy) cover what
//   DEFAULT entries usually do.
// - Several entries for one user: with Fall-Through = Yes on the first, they are
//   merged; without it FreeRADIUS would never reach the later ones, so they are skipped
//   with a warning.
// - MAC-named `Auth-Type := Accept` entries are IPoE bindings. FreeRADIUS accepts them
//   from any client; the appliance matches IPoE only for NAS clients marked for it, so
//   every clients.conf / SQL `nas` client imported with such users is marked (a note says so).
import type {
  NasClientInput,
  ProfileInput,
  ReplicaChange,
  SubscriberInput,
  TenantPolicyInput,
} from '../replica/index.ts';
import { parsePrefix, formatPrefix, replicaChangeSchema } from '../replica/index.ts';
import { draftKey, interpretChecks, interpretReplies, isEmptyDraft, mergeDrafts } from './attribute-map.ts';
import type { CheckResult, MapOptions, ProfileDraft } from './attribute-map.ts';
import { parseClientsConf, vendorFromNasType } from './clients-conf.ts';
import { parseJsonImport } from './json-import.ts';
import type { LocatedPair } from './pairs.ts';
import { isPairOperator } from './pairs.ts';
import { createProblemLog } from './problems.ts';
import type { ImportProblem, ProblemLog, SourceLocation } from './problems.ts';
import { parseSqlDump } from './sql-dump.ts';
import type { SqlRow } from './sql-dump.ts';
import { parseUsersFile } from './users-file.ts';
import type { ReadText } from './users-file.ts';

export type ImportSources = {
  /** FreeRADIUS clients.conf */
  clients?: string;
  /** FreeRADIUS users file */
  users?: string;
  /** SQL dump with the radcheck, radreply, radgroupcheck, radgroupreply, radusergroup and nas tables */
  sql?: string;
  /** JSON import document (json-import.ts) */
  json?: string;
};

export type PlanOptions = MapOptions & {
  readText: ReadText;
  /** Profiles already in the replica (JSON subscribers may reference them). */
  profileExists: (name: string) => boolean;
};

export type ImportPlan = {
  changes: ReplicaChange[];
  /** Where each change came from, by index. */
  locations: SourceLocation[];
  warnings: ImportProblem[];
  /** Decisions the operator should know about (NAS clients marked for IPoE). */
  notes: ImportProblem[];
  counts: { nasClients: number; profiles: number; subscribers: number };
};

type UserSource = {
  username: string;
  location: SourceLocation;
  checks: LocatedPair[];
  replies: LocatedPair[];
  groups: Array<{ name: string; priority: number }>;
};

type GroupSource = { name: string; location: SourceLocation; checks: LocatedPair[]; replies: LocatedPair[] };

function usersFromFile(path: string, options: PlanOptions, log: ProblemLog): UserSource[] {
  const users = new Map<string, UserSource & { fallsThrough: boolean }>();
  for (const entry of parseUsersFile(path, options.readText, log)) {
    if (entry.isDefault) {
      log.warn(
        entry.location,
        'DEFAULT entry not imported: the appliance does not evaluate rules (see the import documentation)',
      );
      continue;
    }
    const fallsThrough = entry.replies.some(
      (pair) => pair.attribute.toLowerCase() === 'fall-through' && /^(yes|1|true)$/i.test(pair.value),
    );
    const existing = users.get(entry.name);
    if (existing === undefined) {
      users.set(entry.name, {
        username: entry.name,
        location: entry.location,
        checks: entry.checks,
        replies: entry.replies,
        groups: [],
        fallsThrough,
      });
    } else if (existing.fallsThrough) {
      existing.checks.push(...entry.checks);
      existing.replies.push(...entry.replies);
      existing.fallsThrough = fallsThrough;
    } else {
      log.warn(
        entry.location,
        `second entry for "${entry.name}" not imported: FreeRADIUS never reaches it (no Fall-Through on line ` +
          `${existing.location.line})`,
      );
    }
  }
  return [...users.values()];
}

function sqlText(value: SqlRow['values'][string] | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

function sqlPair(row: SqlRow, defaultOp: '==' | '='): LocatedPair | null {
  const op = sqlText(row.values.op) || defaultOp;
  if (!isPairOperator(op)) return null;
  return { attribute: sqlText(row.values.attribute), op, value: sqlText(row.values.value), location: row.location };
}

function fromSql(path: string, options: PlanOptions, log: ProblemLog) {
  const rows = parseSqlDump(path, options.readText, log);
  const users = new Map<string, UserSource>();
  const groups = new Map<string, GroupSource>();
  const clients: Array<{ value: NasClientInput; location: SourceLocation }> = [];

  const user = (name: string, location: SourceLocation) => {
    let found = users.get(name);
    if (found === undefined) {
      found = { username: name, location, checks: [], replies: [], groups: [] };
      users.set(name, found);
    }
    return found;
  };
  const group = (name: string, location: SourceLocation) => {
    let found = groups.get(name);
    if (found === undefined) {
      found = { name, location, checks: [], replies: [] };
      groups.set(name, found);
    }
    return found;
  };

  for (const row of rows) {
    const name = sqlText(row.values.username);
    const groupName = sqlText(row.values.groupname);
    switch (row.table) {
      case 'radcheck':
      case 'radreply':
      case 'radgroupcheck':
      case 'radgroupreply': {
        const isCheck = row.table.endsWith('check');
        const pair = sqlPair(row, isCheck ? '==' : '=');
        if (pair === null) {
          log.error(row.location, `unknown operator "${sqlText(row.values.op)}"`);
          break;
        }
        const owner = row.table.startsWith('radgroup') ? group(groupName, row.location) : user(name, row.location);
        (isCheck ? owner.checks : owner.replies).push(pair);
        break;
      }
      case 'radusergroup':
        user(name, row.location).groups.push({ name: groupName, priority: Number(row.values.priority ?? 1) });
        break;
      case 'nas': {
        const address = sqlText(row.values.nasname);
        const requireMa = sqlText(row.values.require_ma).toLowerCase();
        clients.push({
          location: row.location,
          value: {
            address,
            secret: sqlText(row.values.secret),
            name: sqlText(row.values.shortname) || address,
            vendor: vendorFromNasType(sqlText(row.values.type)),
            requireMessageAuthenticator: requireMa === 'yes' ? true : requireMa === 'no' ? false : null,
          },
        });
        break;
      }
    }
  }
  for (const source of users.values()) source.groups.sort((a, b) => a.priority - b.priority);
  return { users: [...users.values()], groups, clients };
}

function formatRate(kbps: number): string {
  if (kbps >= 1_000 && kbps % 1_000 === 0) return `${kbps / 1_000}M`;
  return `${kbps}k`;
}

/** A profile from a draft; the JSON schema of the replica decides what is valid. */
function profileFromDraft(name: string, draft: ProfileDraft): ProfileInput {
  return { name, ...draft };
}

function subscriberFrom(
  source: UserSource,
  checks: CheckResult,
  reply: ReturnType<typeof interpretReplies>['subscriber'],
  profile: string | null,
): SubscriberInput {
  const credentials = Object.keys(checks.credentials).length > 0 ? checks.credentials : undefined;
  return {
    username: source.username,
    ...(checks.password === undefined ? {} : { password: checks.password }),
    ...(credentials === undefined ? {} : { credentials }),
    status: checks.disabled === true ? 'disabled' : 'active',
    profile,
    framedIp: reply.framedIp ?? null,
    framedIpv6Prefix: reply.framedIpv6Prefix ?? null,
    delegatedIpv6Prefix: reply.delegatedIpv6Prefix ?? null,
    mac: checks.macAuth ?? null,
    simultaneousUse: checks.simultaneousUse ?? null,
    replyAttributes: reply.replyAttributes,
  };
}

export function planImport(sources: ImportSources, options: PlanOptions): ImportPlan {
  const log = createProblemLog();
  const changes: ReplicaChange[] = [];
  const locations: SourceLocation[] = [];
  const add = (change: ReplicaChange, location: SourceLocation) => {
    changes.push(change);
    locations.push(location);
  };

  // --- NAS clients -------------------------------------------------------------------
  // FreeRADIUS clients (not JSON ones, which say `ipoe` themselves) may be marked for IPoE below.
  const clients: Array<{ value: NasClientInput; location: SourceLocation; freeradius?: true }> = [];
  const fromFreeradius = (client: { value: NasClientInput; location: SourceLocation }) => ({
    ...client,
    freeradius: true as const,
  });
  if (sources.clients !== undefined)
    clients.push(...parseClientsConf(sources.clients, options.readText, log).map(fromFreeradius));
  const sql = sources.sql === undefined ? null : fromSql(sources.sql, options, log);
  if (sql !== null) clients.push(...sql.clients.map(fromFreeradius));
  const json = sources.json === undefined ? null : parseJsonImport(sources.json, options.readText, log);
  if (json !== null) clients.push(...json.clients);
  const freeradiusClients: Array<{ index: number; value: NasClientInput; location: SourceLocation }> = [];

  const clientAt = new Map<string, SourceLocation>();
  for (const client of clients) {
    const prefix = parsePrefix(client.value.address);
    if (prefix === null) {
      log.error(
        client.location,
        `"${client.value.address}" is not an IP address or CIDR prefix (host names are not resolved)`,
      );
      continue;
    }
    const key = formatPrefix(prefix);
    const earlier = clientAt.get(key);
    if (earlier !== undefined) {
      log.error(client.location, `NAS ${key} is already defined at ${earlier.file}:${earlier.line}`);
      continue;
    }
    clientAt.set(key, client.location);
    if (client.freeradius === true) {
      freeradiusClients.push({ index: changes.length, value: client.value, location: client.location });
    }
    add({ op: 'upsert-nas-client', value: client.value }, client.location);
  }

  // --- profiles ----------------------------------------------------------------------
  const profiles = new Map<string, { key: string; location: SourceLocation; input: ProfileInput }>();
  const addProfile = (input: ProfileInput, key: string, location: SourceLocation): boolean => {
    const existing = profiles.get(input.name);
    if (existing !== undefined) {
      if (existing.key !== key)
        log.error(
          location,
          `profile "${input.name}" is already defined differently at ` +
            `${existing.location.file}:${existing.location.line}`,
        );
      return false;
    }
    profiles.set(input.name, { key, location, input });
    return true;
  };
  for (const profile of json?.profiles ?? [])
    addProfile(profile.value, JSON.stringify(profile.value), profile.location);

  const groupDrafts = new Map<string, { draft: ProfileDraft; checks: LocatedPair[]; location: SourceLocation }>();
  for (const group of sql?.groups.values() ?? []) {
    groupDrafts.set(group.name, {
      draft: interpretReplies(group.replies, 'group', log).profile,
      checks: group.checks,
      location: group.location,
    });
  }

  const generatedByKey = new Map<string, string>();
  const generatedName = (draft: ProfileDraft, location: SourceLocation): string => {
    const key = draftKey(draft);
    const known = generatedByKey.get(key);
    if (known !== undefined) return known;
    const base =
      draft.rateLimit === undefined
        ? 'imported'
        : `rate-${formatRate(draft.rateLimit.upKbps)}-${formatRate(draft.rateLimit.downKbps)}`;
    let name = base;
    for (let suffix = 2; profiles.has(name) || options.profileExists(name); suffix++) name = `${base}-${suffix}`;
    addProfile(profileFromDraft(name, draft), key, location);
    generatedByKey.set(key, name);
    return name;
  };

  // --- subscribers -------------------------------------------------------------------
  const userAt = new Map<string, SourceLocation>();
  const subscribers: Array<{ value: SubscriberInput; location: SourceLocation }> = [];
  const claimUsername = (username: string, location: SourceLocation): boolean => {
    const earlier = userAt.get(username);
    if (earlier !== undefined) {
      log.error(location, `user "${username}" is already defined at ${earlier.file}:${earlier.line}`);
      return false;
    }
    userAt.set(username, location);
    return true;
  };

  let firstMacUser: SourceLocation | undefined;
  const fileUsers = sources.users === undefined ? [] : usersFromFile(sources.users, options, log);
  for (const source of [...fileUsers, ...(sql?.users ?? [])]) {
    if (!claimUsername(source.username, source.location)) continue;
    const groups = source.groups.flatMap((membership) => {
      const found = groupDrafts.get(membership.name);
      if (found === undefined)
        log.warn(source.location, `group "${membership.name}" of "${source.username}" has no check or reply items`);
      return found === undefined ? [] : [{ name: membership.name, ...found }];
    });
    // Group checks first, the user's after: for each item the user's own wins.
    const checks = interpretChecks(
      [...groups.flatMap((group) => group.checks), ...source.checks],
      source.username,
      log,
      options,
    );
    const replies = interpretReplies(source.replies, 'subscriber', log);
    let draft: ProfileDraft = {};
    for (const group of [...groups].reverse()) draft = mergeDrafts(draft, group.draft);
    draft = mergeDrafts(draft, replies.profile);
    if (checks.framedPool !== undefined && draft.framedPool === undefined)
      draft = { ...draft, framedPool: checks.framedPool };

    let profile: string | null = null;
    if (!isEmptyDraft(draft)) {
      const sameAsGroup = groups.find((group) => draftKey(group.draft) === draftKey(draft));
      if (sameAsGroup !== undefined) {
        addProfile(
          profileFromDraft(sameAsGroup.name, sameAsGroup.draft),
          draftKey(sameAsGroup.draft),
          sameAsGroup.location,
        );
        profile = sameAsGroup.name;
      } else profile = generatedName(draft, source.location);
    }
    const subscriber = subscriberFrom(source, checks, replies.subscriber, profile);
    if (checks.macAuth !== undefined) firstMacUser ??= source.location;
    if (checks.password === undefined && Object.keys(checks.credentials).length === 0 && checks.macAuth === undefined) {
      log.warn(source.location, `user "${source.username}" has no password: imported, but it cannot log in`);
    }
    subscribers.push({ value: subscriber, location: source.location });
  }

  for (const subscriber of json?.subscribers ?? []) {
    if (!claimUsername(subscriber.value.username, subscriber.location)) continue;
    const profile = subscriber.value.profile;
    if (profile !== undefined && profile !== null && !profiles.has(profile) && !options.profileExists(profile)) {
      log.error(
        subscriber.location,
        `subscriber "${subscriber.value.username}" refers to profile "${profile}", which is neither in this import ` +
          `nor in the replica`,
      );
    }
    subscribers.push(subscriber);
  }

  if (firstMacUser !== undefined) {
    const at = `${firstMacUser.file}:${firstMacUser.line}`;
    for (const client of freeradiusClients) {
      changes[client.index] = { op: 'upsert-nas-client', value: { ...client.value, ipoe: true } };
      const name = client.value.name ?? client.value.address;
      log.note(
        client.location,
        `NAS client ${name} marked for IPoE: the users include MAC-named Auth-Type := Accept entries (first at ` +
          `${at}); ` +
          'its requests without credentials may match them',
      );
    }
  }

  for (const profile of profiles.values()) add({ op: 'upsert-profile', value: profile.input }, profile.location);
  for (const subscriber of subscribers) add({ op: 'upsert-subscriber', value: subscriber.value }, subscriber.location);
  if (json?.tenantPolicy !== null && json?.tenantPolicy !== undefined) {
    const policy: TenantPolicyInput = json.tenantPolicy.value;
    add({ op: 'set-tenant-policy', value: policy }, json.tenantPolicy.location);
  }

  // Every change through the replica's schema now, so all bad values are reported
  // together with their lines rather than one per run.
  changes.forEach((change, index) => {
    const parsed = replicaChangeSchema.safeParse(change);
    if (parsed.success) return;
    const location = locations[index] ?? { file: '?', line: 0 };
    for (const issue of parsed.error.issues) {
      const field = issue.path.slice(1).join('.');
      log.error(location, `${field === '' ? '' : `${field}: `}${issue.message}`);
    }
  });

  log.throwIfAny();
  return {
    changes,
    locations,
    warnings: [...log.warnings],
    notes: [...log.notes],
    counts: { nasClients: clientAt.size, profiles: profiles.size, subscribers: subscribers.length },
  };
}
