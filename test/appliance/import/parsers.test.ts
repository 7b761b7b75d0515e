import { describe, expect, it } from 'vitest';
import { parseMikrotikRateLimit } from '../../../appliance/import/attribute-map.ts';
import { parseClientsConf } from '../../../appliance/import/clients-conf.ts';
import { locateJsonPath } from '../../../appliance/import/json-import.ts';
import { createProblemLog } from '../../../appliance/import/problems.ts';
import { parseSqlDump } from '../../../appliance/import/sql-dump.ts';
import { parseUsersFile } from '../../../appliance/import/users-file.ts';

// In-memory files: path → text.
const files = (entries: Record<string, string>) => (path: string) => {
  const text = entries[path];
  if (text === undefined) throw new Error(`ENOENT: ${path}`);
  return text;
};

describe('users file', () => {
  it('reads names, check items, continued reply items, quotes and comments', () => {
    const log = createProblemLog();
    const entries = parseUsersFile(
      '/etc/raddb/users',
      files({
        '/etc/raddb/users': [
          '# comment',
          'bob  Cleartext-Password := "pw, with comma # and hash", Simultaneous-Use := 1',
          '\tReply-Message = "Hello \\"bob\\"",   # trailing comment',
          '',
          '\t# a comment between reply lines',
          '\tFramed-IP-Address = 10.0.0.1',
          '"with space" Cleartext-Password:="x"',
          'DEFAULT Auth-Type := Reject',
          '$INCLUDE more-users',
        ].join('\n'),
        '/etc/raddb/more-users': 'carol Cleartext-Password := c\n',
      }),
      log,
    );
    expect(log.errors).toEqual([]);
    expect(entries.map((entry) => entry.name)).toEqual(['bob', 'with space', 'DEFAULT', 'carol']);
    expect(entries[0]?.checks.map((pair) => [pair.attribute, pair.op, pair.value])).toEqual([
      ['Cleartext-Password', ':=', 'pw, with comma # and hash'],
      ['Simultaneous-Use', ':=', '1'],
    ]);
    expect(entries[0]?.replies.map((pair) => [pair.attribute, pair.value, pair.location.line])).toEqual([
      ['Reply-Message', 'Hello "bob"', 3],
      ['Framed-IP-Address', '10.0.0.1', 6],
    ]);
    expect(entries[2]?.isDefault).toBe(true);
    expect(entries[3]?.location).toEqual({ file: '/etc/raddb/more-users', line: 1 });
  });

  it('reports a missing comma, a dangling comma and an unterminated quote with their lines', () => {
    const log = createProblemLog();
    parseUsersFile(
      'users',
      files({
        users: [
          'a Cleartext-Password := "x"',
          '\tReply-Message = "one"',
          '\tReply-Message = "two"',
          'b Cleartext-Password := "unterminated',
          'c Cleartext-Password := y',
          '\tReply-Message = "z",',
        ].join('\n'),
      }),
      log,
    );
    expect(log.errors.map((problem) => problem.line)).toEqual([3, 4, 6]);
    expect(log.errors[0]?.message).toMatch(/comma missing/);
    expect(log.errors[1]?.message).toMatch(/unterminated/);
    expect(log.errors[2]?.message).toMatch(/ends with a comma/);
  });
});

describe('clients.conf', () => {
  it('reports missing secrets, host names and unclosed sections with their lines', () => {
    const log = createProblemLog();
    parseClientsConf(
      'clients.conf',
      files({
        'clients.conf': [
          'client a {',
          '  ipaddr = 192.0.2.1',
          '}',
          'client b {',
          '  ipaddr = nas.example.net',
          '  secret = s',
          '}',
          'client c {',
          '  ipaddr = 192.0.2.3',
          '  secret = s',
        ].join('\n'),
      }),
      log,
    );
    expect([...log.errors].sort((a, b) => a.line - b.line).map((problem) => [problem.line, problem.message])).toEqual([
      [1, 'client a has no secret'],
      [5, '"nas.example.net" is not an IP address or CIDR prefix (host names are not resolved)'],
      [8, 'section "client" is not closed'],
    ]);
  });
});

describe('clients.conf CoA ports', () => {
  it('reads coa_port, and the port of the home_server a coa_server names (FreeRADIUS 3)', () => {
    const log = createProblemLog();
    const clients = parseClientsConf(
      '/etc/raddb/clients.conf',
      files({
        '/etc/raddb/clients.conf': [
          '$INCLUDE proxy.conf',
          'client isg {',
          '  ipaddr = 192.0.2.10',
          '  secret = s',
          '  coa_server = isg-coa',
          '}',
          'client mikrotik-fleet {',
          '  ipaddr = 10.0.0.0/24',
          '  secret = s',
          '  coa_port = 1700',
          '}',
          'client plain {',
          '  ipaddr = 192.0.2.11',
          '  secret = s',
          '}',
          'client pooled {',
          '  ipaddr = 192.0.2.12',
          '  secret = s',
          '  coa_server = coa-pool',
          '}',
          'client bad-port {',
          '  ipaddr = 192.0.2.13',
          '  secret = s',
          '  coa_port = 70000',
          '}',
          'client both {',
          '  ipaddr = 192.0.2.14',
          '  secret = s',
          '  coa_port = 1700',
          '  coa_server = isg-coa',
          '}',
        ].join('\n'),
        '/etc/raddb/proxy.conf': [
          'home_server isg-coa {',
          '  type = coa',
          '  ipaddr = 192.0.2.10',
          '  port = 1700',
          '  secret = s',
          '}',
        ].join('\n'),
      }),
      log,
    );
    expect(clients.map((client) => [client.value.name, client.value.coaPort])).toEqual([
      ['isg', 1700],
      ['mikrotik-fleet', 1700],
      ['plain', null],
      ['pooled', null],
      ['bad-port', null],
      ['both', null],
    ]);
    expect(log.warnings.map((problem) => problem.message)).toEqual([
      'coa_server coa-pool is not a home_server in the files read (a home_server_pool is not followed): the default ' +
        'CoA port applies',
    ]);
    expect(log.errors.map((problem) => problem.message)).toEqual([
      'coa_port must be a port number (1-65535), not "70000"',
      'client both sets both coa_port and coa_server',
    ]);
  });
});

describe('SQL dumps', () => {
  it('reads multi-row MySQL inserts with backslash escapes and skips other tables', () => {
    const log = createProblemLog();
    const rows = parseSqlDump(
      'dump.sql',
      files({
        'dump.sql': [
          '/*!40101 SET NAMES utf8 */;',
          "INSERT INTO `radacct` VALUES (1,'x;y');",
          "INSERT INTO `radcheck` VALUES (1,'a','Cleartext-Password',':=','it\\'s; \\\\ok'),",
          "(2,'b','Cleartext-Password',':=','p2');",
        ].join('\n'),
      }),
      log,
    );
    expect(log.errors).toEqual([]);
    expect(rows.map((row) => [row.table, row.values.username, row.values.value, row.location.line])).toEqual([
      ['radcheck', 'a', "it's; \\ok", 3],
      ['radcheck', 'b', 'p2', 4],
    ]);
  });

  it('reads PostgreSQL column inserts and COPY blocks', () => {
    const log = createProblemLog();
    const rows = parseSqlDump(
      'pg.sql',
      files({
        'pg.sql': [
          "INSERT INTO public.radreply (username, attribute, op, value) VALUES ('a', 'Reply-Message', '=', 'it''s " +
            "\\n literal');",
          'COPY public.radusergroup (username, groupname, priority) FROM stdin;',
          'a\tgold\t1',
          '\\.',
        ].join('\n'),
      }),
      log,
    );
    expect(log.errors).toEqual([]);
    expect(rows.map((row) => [row.table, row.values])).toEqual([
      ['radreply', { username: 'a', attribute: 'Reply-Message', op: '=', value: "it's \\n literal" }],
      ['radusergroup', { username: 'a', groupname: 'gold', priority: '1' }],
    ]);
  });

  it('reports an unterminated string and an unknown column layout with their lines', () => {
    const log = createProblemLog();
    parseSqlDump(
      'bad.sql',
      files({
        'bad.sql':
          "INSERT INTO radcheck VALUES (1,'a','b');\n\nINSERT INTO radcheck VALUES " +
          "(2,'a','Cleartext-Password',':=','open);\n",
      }),
      log,
    );
    expect(log.errors.map((problem) => problem.line)).toEqual([1, 4]);
    expect(log.errors[0]?.message).toMatch(/column list/);
    expect(log.errors[1]?.message).toMatch(/unterminated string starting on line 3/);
  });
});

describe('Mikrotik-Rate-Limit', () => {
  it('reads rx/tx as upload/download with bursts', () => {
    expect(parseMikrotikRateLimit('10M/50M')?.rate).toMatchObject({
      upKbps: 10_000,
      downKbps: 50_000,
      burstUpKbps: null,
    });
    expect(parseMikrotikRateLimit('512k/2M 1M/4M 384k/1536k 8/8 5 256k/1M')).toEqual({
      rate: {
        upKbps: 512,
        downKbps: 2_000,
        burstUpKbps: 1_000,
        burstDownKbps: 4_000,
        burstThresholdUpKbps: 384,
        burstThresholdDownKbps: 1_536,
        burstTimeUpSeconds: 8,
        burstTimeDownSeconds: 8,
      },
      ignored: ['5', '256k/1M'],
    });
    expect(parseMikrotikRateLimit('1000000/2000000')?.rate).toMatchObject({ upKbps: 1_000, downKbps: 2_000 });
    expect(parseMikrotikRateLimit('10M')).toBeNull();
    expect(parseMikrotikRateLimit('fast/slow')).toBeNull();
  });
});

describe('locateJsonPath', () => {
  it('finds the line of a nested value', () => {
    const text =
      '{\n  "subscribers": [\n    { "username": "a" },\n    {\n      "username": "b",\n      "mac": "zz"\n    }\n  ' +
      ']\n}';
    expect(locateJsonPath(text, ['subscribers', 1, 'mac'])).toBe(6);
    expect(locateJsonPath(text, ['subscribers', 0])).toBe(3);
    expect(locateJsonPath(text, ['missing'])).toBeGreaterThan(0);
  });
});
