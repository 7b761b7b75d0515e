// FreeRADIUS clients.conf parser: `client NAME { key = value ... }` blocks, wherever
// they are nested (top level, `clients x { }`, `server x { }`), with $INCLUDE of files
// and directories.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { NasClientInput, NasVendor } from '../replica/index.ts';
import { parsePrefix } from '../replica/index.ts';
import { createLineLexer, LexError } from './pairs.ts';
import type { ProblemLog, SourceLocation } from './problems.ts';
import type { ReadText } from './users-file.ts';

type ConfigItem = { key: string; value: string | null; location: SourceLocation };
type ConfigSection = {
  name: string;
  name2: string | null;
  location: SourceLocation;
  items: ConfigItem[];
  sections: ConfigSection[];
};

export type ParsedClient = { value: NasClientInput; location: SourceLocation };

const MAX_INCLUDE_DEPTH = 8;

function readConfig(path: string, readText: ReadText, log: ProblemLog, root: ConfigSection, depth: number): void {
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    log.error({ file: path, line: 0 }, `cannot read: ${(error as Error).message}`);
    return;
  }
  const stack: ConfigSection[] = [root];
  const top = () => stack[stack.length - 1] ?? root;

  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const location = { file: path, line: index + 1 };
    const lexer = createLineLexer(line);
    if (lexer.atEnd()) continue;
    try {
      if (lexer.peek() === '}') {
        lexer.position++;
        if (stack.length === 1) throw new LexError('"}" without an open section');
        stack.pop();
        if (!lexer.atEnd()) throw new LexError('unexpected text after "}"');
        continue;
      }
      const include = /^\s*\$-?INCLUDE\s+(.+?)\s*$/.exec(line);
      if (include?.[1] !== undefined) {
        if (depth >= MAX_INCLUDE_DEPTH) throw new LexError(`$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`);
        const target = resolve(dirname(path), include[1].replace(/^["']|["']$/g, ''));
        const files = isDirectory(target)
          ? readdirSync(target)
              .filter((name) => !name.startsWith('.') && !name.endsWith('~'))
              .sort()
              .map((name) => join(target, name))
          : [target];
        // Included text continues the current section, as in FreeRADIUS.
        for (const file of files) readConfig(file, readText, log, top(), depth + 1);
        continue;
      }
      const word = readWord(lexer);
      lexer.skipSpace();
      if (lexer.peek() === '=') {
        lexer.position++;
        lexer.skipSpace();
        const quote = lexer.peek();
        const value = quote === '"' || quote === "'" || quote === '`' ? lexer.readQuoted() : lexer.readBare();
        if (!lexer.atEnd()) throw new LexError(`unexpected text after the value of ${word}`);
        top().items.push({ key: word, value, location });
        continue;
      }
      if (lexer.atEnd()) {
        top().items.push({ key: word, value: null, location });
        continue;
      }
      let name2: string | null = null;
      if (lexer.peek() !== '{') name2 = readWord(lexer);
      lexer.skipSpace();
      if (lexer.peek() !== '{') throw new LexError(`expected "{" or "=" after ${word}`);
      lexer.position++;
      if (!lexer.atEnd()) throw new LexError('unexpected text after "{"');
      const section: ConfigSection = { name: word, name2, location, items: [], sections: [] };
      top().sections.push(section);
      stack.push(section);
    } catch (error) {
      if (!(error instanceof LexError)) throw error;
      log.error(location, error.message);
    }
  }
  if (stack.length > 1) log.error(top().location, `section "${top().name}" is not closed`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readWord(lexer: ReturnType<typeof createLineLexer>): string {
  lexer.skipSpace();
  const quote = lexer.peek();
  if (quote === '"' || quote === "'") return lexer.readQuoted();
  const start = lexer.position;
  while (lexer.position < lexer.text.length && !/[\s={}#]/.test(lexer.text.charAt(lexer.position))) lexer.position++;
  if (lexer.position === start) throw new LexError(`expected a name at "${lexer.text.slice(start, start + 12)}"`);
  return lexer.text.slice(start, lexer.position);
}

/** FreeRADIUS nas_type → the vendor that decides how reply attributes are rendered. */
export function vendorFromNasType(nasType: string | null): NasVendor {
  const value = (nasType ?? '').toLowerCase();
  if (value.includes('mikrotik')) return 'mikrotik';
  if (value.startsWith('cisco')) return 'cisco';
  if (value.startsWith('juniper') || value === 'erx') return 'juniper';
  if (value.startsWith('huawei')) return 'huawei';
  return 'other';
}

// Keys that configure FreeRADIUS behaviour the appliance does not have (proxying,
// TCP, per-client virtual servers): accepted and ignored.
const IGNORED_KEYS = new Set([
  'virtual_server',
  'proto',
  'response_window',
  'limit_proxy_state',
  'login',
  'password',
  'track_connections',
  'dynamic_clients',
  'response_timeouts',
]);

/** `home_server NAME { … }` sections anywhere in the files read, by name. */
type HomeServers = ReadonlyMap<string, ConfigSection>;

function collectHomeServers(section: ConfigSection, out: Map<string, ConfigSection>): Map<string, ConfigSection> {
  for (const child of section.sections) {
    if (child.name === 'home_server' && child.name2 !== null) out.set(child.name2, child);
    else collectHomeServers(child, out);
  }
  return out;
}

function parsePort(item: ConfigItem, log: ProblemLog): number | null {
  const port = /^\d{1,5}$/.test(item.value ?? '') ? Number(item.value) : 0;
  if (port >= 1 && port <= 65_535) return port;
  log.error(item.location, `${item.key} must be a port number (1-65535), not "${item.value ?? ''}"`);
  return null;
}

/**
 * The client's CoA/Disconnect port. FreeRADIUS 3 names a `home_server` of type coa in
 * the client's `coa_server` and that section's `port` is read (its address is not: the
 * appliance sends CoA only into the client's own prefix). `coa_port = N` in the client
 * is this appliance's shorthand for the same. Neither: null (config coa.port).
 */
function coaPortOf(
  section: ConfigSection,
  values: ReadonlyMap<string, ConfigItem>,
  homeServers: HomeServers,
  log: ProblemLog,
): number | null {
  const direct = values.get('coa_port');
  const server = values.get('coa_server');
  if (direct !== undefined && server !== undefined) {
    log.error(direct.location, `client ${section.name2 ?? ''} sets both coa_port and coa_server`);
    return null;
  }
  if (direct !== undefined) return parsePort(direct, log);
  if (server === undefined) return null;
  const home = homeServers.get(server.value ?? '');
  if (home === undefined) {
    log.warn(
      server.location,
      `coa_server ${server.value ?? ''} is not a home_server in the files read (a home_server_pool is not followed): ` +
        `the default CoA port applies`,
    );
    return null;
  }
  const port = home.items.find((item) => item.key === 'port');
  return port === undefined ? null : parsePort(port, log);
}

function clientFromSection(section: ConfigSection, homeServers: HomeServers, log: ProblemLog): ParsedClient | null {
  const values = new Map<string, ConfigItem>();
  for (const item of section.items) {
    if (values.has(item.key)) log.error(item.location, `${item.key} is set twice in client ${section.name2 ?? ''}`);
    values.set(item.key, item);
  }
  const get = (key: string) => values.get(key)?.value ?? null;
  const addressKeys = ['ipaddr', 'ipv4addr', 'ipv6addr'].filter((key) => values.has(key));
  if (addressKeys.length > 1) {
    log.error(section.location, `client ${section.name2 ?? ''} sets more than one of ${addressKeys.join(', ')}`);
    return null;
  }
  const addressKey = addressKeys[0];
  let address = addressKey === undefined ? section.name2 : get(addressKey);
  const where = addressKey === undefined ? section.location : (values.get(addressKey)?.location ?? section.location);
  if (address === null) {
    log.error(section.location, 'client has no address (ipaddr, ipv4addr or ipv6addr)');
    return null;
  }
  if (address === '*') {
    address = addressKey === 'ipv6addr' ? '::/0' : '0.0.0.0/0';
    log.warn(where, `client ${section.name2 ?? ''} accepts any source address (${address})`);
  }
  const netmask = get('netmask');
  if (netmask !== null && !address.includes('/')) address = `${address}/${netmask}`;
  const prefix = parsePrefix(address);
  if (prefix === null) {
    log.error(where, `"${address}" is not an IP address or CIDR prefix (host names are not resolved)`);
    return null;
  }
  if ((addressKey === 'ipv4addr' && prefix.family !== 4) || (addressKey === 'ipv6addr' && prefix.family !== 6)) {
    log.error(where, `${addressKey} = ${address} has the wrong address family`);
    return null;
  }
  const secret = get('secret');
  if (secret === null || secret === '') {
    log.error(section.location, `client ${section.name2 ?? address} has no secret`);
    return null;
  }
  let requireMessageAuthenticator: boolean | null = null;
  const requireItem = values.get('require_message_authenticator');
  if (requireItem !== undefined) {
    const flag = (requireItem.value ?? '').toLowerCase();
    if (flag === 'yes' || flag === 'true') requireMessageAuthenticator = true;
    else if (flag === 'no' || flag === 'false') requireMessageAuthenticator = false;
    else if (flag === 'auto')
      log.warn(requireItem.location, 'require_message_authenticator = auto: the appliance default applies');
    else
      log.error(
        requireItem.location,
        `require_message_authenticator must be yes, no or auto, not "${requireItem.value ?? ''}"`,
      );
  }
  for (const item of section.items) {
    const known = [
      'ipaddr',
      'ipv4addr',
      'ipv6addr',
      'netmask',
      'secret',
      'shortname',
      'nas_type',
      'require_message_authenticator',
      'coa_port',
      'coa_server',
    ];
    if (!known.includes(item.key) && !IGNORED_KEYS.has(item.key))
      log.warn(item.location, `client setting ${item.key} is not used by the appliance`);
  }
  const name = get('shortname') ?? section.name2 ?? address;
  const coaPort = coaPortOf(section, values, homeServers, log);
  return {
    location: section.location,
    value: { address, secret, name, vendor: vendorFromNasType(get('nas_type')), requireMessageAuthenticator, coaPort },
  };
}

function collectClients(section: ConfigSection, homeServers: HomeServers, log: ProblemLog, out: ParsedClient[]): void {
  for (const child of section.sections) {
    if (child.name === 'client') {
      const client = clientFromSection(child, homeServers, log);
      if (client !== null) out.push(client);
    } else {
      collectClients(child, homeServers, log, out);
    }
  }
}

export function parseClientsConf(path: string, readText: ReadText, log: ProblemLog): ParsedClient[] {
  const root: ConfigSection = { name: '', name2: null, location: { file: path, line: 0 }, items: [], sections: [] };
  readConfig(path, readText, log, root, 0);
  const clients: ParsedClient[] = [];
  collectClients(root, collectHomeServers(root, new Map()), log, clients);
  return clients;
}
