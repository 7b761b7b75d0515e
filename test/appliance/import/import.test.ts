import { ntPasswordHash } from '../../../appliance/radius/index.ts';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportError, importIntoReplica } from '../../../appliance/import/index.ts';
import { createSilentLogger } from '../../../appliance/log.ts';
import { openReplica } from '../../../appliance/replica/index.ts';
import type { Replica } from '../../../appliance/replica/index.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const FREERADIUS = join(FIXTURES, 'freeradius');

let dir: string;
let replica: Replica;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'import-test-'));
  replica = await openReplica({
    path: join(dir, 'replica.db'),
    keyFile: join(dir, 'replica.key'),
    log: createSilentLogger(),
    defaults: { suspendedPolicy: 'reject', captiveProfile: 'captive' },
    pollIntervalMs: 0,
    authMethods: ['pap', 'chap', 'mschapv2'],
  });
});

afterEach(() => {
  replica.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function importError(promise: Promise<unknown>): Promise<ImportError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ImportError)) throw new Error(`expected an ImportError, got ${String(error)}`);
  return error;
}

describe('import of FreeRADIUS files', () => {
  it('loads clients.conf and users into the replica in one revision', async () => {
    const report = await importIntoReplica(replica, {
      clients: join(FREERADIUS, 'clients.conf'),
      users: join(FREERADIUS, 'users'),
    });
    expect(report.written).toBe(true);
    expect(replica.revision).toBe(1);
    expect(report.counts).toEqual({ nasClients: 6, profiles: 4, subscribers: 10 });

    // clients.conf
    expect(replica.findClientByAddress('127.0.0.1')).toMatchObject({
      name: 'localhost',
      requireMessageAuthenticator: false,
    });
    expect(replica.findClientByAddress('::1')?.secret.toString()).toBe('testing123');
    expect(replica.findClientByAddress('192.0.2.10')).toMatchObject({
      name: 'bng-pop1',
      vendor: 'mikrotik',
      requireMessageAuthenticator: true,
    });
    expect(replica.findClientByAddress('192.0.2.10')?.secret.toString()).toBe('Mk!pop1 s3cret#not-a-comment');
    expect(replica.findClientByAddress('198.51.100.77')).toMatchObject({ name: 'asr-fleet', vendor: 'cisco' });
    expect(replica.findClientByAddress('2001:db8:100:1::9')).toMatchObject({ name: 'juniper-mx', vendor: 'juniper' });
    expect(replica.findClientByAddress('2001:db8:100:1::9')?.secret.toString()).toBe('juniper v6 secret');
    expect(replica.findClientByAddress('203.0.113.7')).toMatchObject({
      name: 'huawei-me60',
      vendor: 'huawei',
      requireMessageAuthenticator: null,
    });

    // users
    const alice = replica.findSubscriberByUsername('alice');
    expect(alice).toMatchObject({
      status: 'active',
      credentials: { cleartext: 'alice-pppoe-pw' },
      profile: 'rate-10M-50M',
    });
    expect(replica.getProfile('rate-10M-50M')).toMatchObject({
      rateLimit: { upKbps: 10_000, downKbps: 50_000 },
      framedPool: 'pool-residential',
      interimInterval: 300,
    });
    expect(replica.findSubscriberByUsername('bob')).toMatchObject({ profile: 'rate-10M-50M', simultaneousUse: 1 });

    const acme = replica.findSubscriberByUsername('acme corp');
    expect(acme).toMatchObject({
      credentials: { cleartext: 'acme "quoted" pw' },
      framedIp: '100.64.10.20',
      delegatedIpv6Prefix: '2001:db8:ac::/48',
    });
    expect(acme?.replyAttributes).toEqual([{ name: 'Reply-Message', value: 'Welcome, ACME', op: '=' }]);
    expect(replica.getProfile(acme?.profile ?? '')).toMatchObject({
      rateLimit: {
        upKbps: 20_000,
        downKbps: 100_000,
        burstUpKbps: 40_000,
        burstDownKbps: 200_000,
        burstThresholdUpKbps: 15_000,
        burstTimeUpSeconds: 16,
      },
      vlan: 210,
      sessionTimeout: 86_400,
      idleTimeout: 900,
    });

    expect(replica.findSubscriberByUsername('carol')?.credentials).toEqual({
      ntHash: ntPasswordHash('clientPass').toString('hex'),
    });
    expect(replica.findSubscriberByUsername('dave')?.credentials.crypt).toMatch(/^\$6\$/);
    expect(replica.findSubscriberByUsername('erin')?.credentials.digest).toMatchObject({
      algorithm: 'sha1',
      salt: Buffer.from('somesalt').toString('hex'),
    });
    expect(replica.findSubscriberByUsername('mallory')?.status).toBe('disabled');
    expect(replica.findSubscriberByMac('aa:bb:cc:00:11:22')).toMatchObject({
      username: 'AA-BB-CC-00-11-22',
      profile: 'rate-10M-50M',
      credentials: {},
    });
    expect(replica.findSubscriberByUsername('frank')).toMatchObject({ framedIp: '100.64.10.30' });
    expect(replica.getProfile(replica.findSubscriberByUsername('frank')?.profile ?? '')?.addressList).toBe('vip');
    expect(replica.findSubscriberByUsername('grace')?.credentials).toEqual({ cleartext: 'grace-pw' });

    expect(
      report.warnings.map(
        (warning) => `${warning.file.endsWith('users') ? 'users' : 'clients.conf'}:${warning.line}: ${warning.message}`,
      ),
    ).toEqual([
      'clients.conf:74: require_message_authenticator = auto: the appliance default applies',
      'users:66: second entry for "grace" not imported: FreeRADIUS never reaches it (no Fall-Through on line 64)',
      'users:74: DEFAULT entry not imported: the appliance does not evaluate rules (see the import documentation)',
      'users:81: DEFAULT entry not imported: the appliance does not evaluate rules (see the import documentation)',
    ]);
    // The users include a MAC-named Auth-Type := Accept entry: every client is marked
    // for IPoE (FreeRADIUS served it from all of them), and the report says so.
    expect(replica.findClientByAddress('192.0.2.10')?.ipoe).toBe(true);
    expect(report.notes).toHaveLength(6);
    expect(report.notes[0]?.message).toMatch(
      new RegExp(
        '^NAS client localhost marked for IPoE: the users include MAC-named Auth-Type := Accept entries ' +
          String.raw`\(first at .*users:50\)`,
      ),
    );
  });

  it('leaves the IPoE flag off for clients imported without MAC-authenticated users', async () => {
    const users = write('users', 'alice Cleartext-Password := "pw"');
    const report = await importIntoReplica(replica, { clients: join(FREERADIUS, 'clients.conf'), users });
    expect(report.notes).toEqual([]);
    expect(replica.findClientByAddress('192.0.2.10')?.ipoe).toBe(false);
  });

  it('loads a mysqldump of radcheck/radreply/groups/nas, and a pg_dump with COPY', async () => {
    await importIntoReplica(replica, { sql: join(FREERADIUS, 'radius-mysql.sql') });
    expect(replica.findClientByAddress('10.10.0.1')).toMatchObject({ name: 'pop2-ccr', vendor: 'mikrotik' });
    expect(replica.findClientByAddress('10.20.99.1')?.secret.toString()).toBe('h\\w-secret');
    expect(replica.findClientByAddress('10.10.0.1')?.secret.toString()).toBe('pop2;secret');

    expect(replica.findSubscriberByUsername('sql-alice')).toMatchObject({
      credentials: { cleartext: 'alice;pw' },
      profile: 'plan-10M',
      simultaneousUse: 1,
    });
    expect(replica.getProfile('plan-10M')).toMatchObject({
      rateLimit: { upKbps: 2_000, downKbps: 10_000 },
      framedPool: 'pool-sql',
      interimInterval: 300,
    });
    expect(replica.findSubscriberByUsername('sql-bob')).toMatchObject({
      credentials: { cleartext: "bob's pw" },
      profile: 'plan-10M',
      framedIp: '100.64.20.2',
    });
    // carol's own rate overrides her group's; the group's other items stay.
    const carol = replica.findSubscriberByUsername('sql-carol');
    expect(carol).toMatchObject({ simultaneousUse: 2 });
    expect(replica.getProfile(carol?.profile ?? '')).toMatchObject({
      rateLimit: { upKbps: 50_000, downKbps: 50_000 },
      addressList: 'fast',
      extraReply: [{ name: 'Class', value: 'premium' }],
    });
    expect(replica.findSubscriberByUsername('sql-dan')?.status).toBe('disabled');
    // erin: plan-10M (priority 1) wins over plan-100M (priority 2) where both set a value.
    const erin = replica.findSubscriberByUsername('sql-erin');
    expect(erin?.credentials.digest).toEqual({ algorithm: 'md5', hash: '5f4dcc3b5aa765d61d8327deb882cf99', salt: '' });
    expect(replica.getProfile(erin?.profile ?? '')).toMatchObject({
      rateLimit: { upKbps: 2_000 },
      addressList: 'fast',
    });
    expect(replica.counts().subscribers).toBe(5);

    await importIntoReplica(replica, { sql: join(FREERADIUS, 'radius-postgres.sql') });
    expect(replica.findSubscriberByUsername('pg-alice')).toMatchObject({
      credentials: { cleartext: 'pg\\alice\tpw' },
      framedIpv6Prefix: '2001:db8:5::/64',
    });
    expect(replica.findSubscriberByUsername('pg-bob')?.simultaneousUse).toBe(1);
    expect(replica.findClientByAddress('2001:db8:ff::1')?.secret.toString()).toBe("it's a secret\\n");
  });

  it('loads the JSON format, including Option 82 bindings and the tenant policy', async () => {
    await importIntoReplica(replica, { json: join(FIXTURES, 'import.json') });
    expect(replica.findClientByAddress('192.0.2.200')).toMatchObject({
      name: 'json-bng',
      vendor: 'cisco',
      coaPort: 1700,
      ipoe: true,
    });
    expect(replica.findSubscriberByUsername('json-alice')).toMatchObject({ profile: 'fiber-100', simultaneousUse: 1 });
    expect(replica.findSubscriberByCircuit(Buffer.from('00040007000300', 'hex'), Buffer.from('olt-7'))?.id).toBe(
      'ipoe-1',
    );
    expect(replica.findSubscriberByUsername('json-suspended')?.status).toBe('suspended');
    expect(replica.getTenantPolicy()).toEqual({ suspendedPolicy: 'captive', captiveProfile: 'captive' });
    expect(replica.getProfile('fiber-100')).toMatchObject({
      vlan: 100,
      framedIpv6Pool: 'pool6-fiber',
      delegatedIpv6Pool: 'pd-fiber',
    });

    // Importing the same file again changes nothing but the revision.
    const before = replica.findSubscriberByCircuit(Buffer.from('00040007000300', 'hex'), Buffer.from('olt-7'));
    await importIntoReplica(replica, { json: join(FIXTURES, 'import.json') });
    expect(replica.findSubscriberByCircuit(Buffer.from('00040007000300', 'hex'), Buffer.from('olt-7'))?.circuitId).toBe(
      before?.circuitId,
    );
  });

  it('replaces everything the import does not contain with --replace', async () => {
    await importIntoReplica(replica, { users: join(FREERADIUS, 'users') });
    await importIntoReplica(replica, { json: join(FIXTURES, 'import.json') }, { replace: true });
    expect(replica.findSubscriberByUsername('alice')).toBeUndefined();
    expect(replica.counts().subscribers).toBe(3);
  });
});

describe('bad input', () => {
  it('names file and line for every problem and writes nothing', async () => {
    await importIntoReplica(replica, { json: join(FIXTURES, 'import.json') });
    const revision = replica.revision;
    const users = write(
      'users',
      [
        'ok Cleartext-Password := "fine"',
        'lockdown Cleartext-Password := "x", Calling-Station-Id == "aa-bb-cc-dd-ee-ff"',
        'badip Cleartext-Password := "x"',
        '\tFramed-IP-Address = 300.1.1.1',
        'open Auth-Type := Accept',
      ].join('\n'),
    );
    const clients = write('clients.conf', 'client x {\n  ipaddr = 192.0.2.1\n}\n');
    const error = await importError(importIntoReplica(replica, { users, clients }));
    expect(error.problems.map((problem) => `${problem.file.replace(dir, '.')}:${problem.line}`)).toEqual([
      './clients.conf:1',
      './users:2',
      './users:3',
      './users:5',
    ]);
    expect(error.message).toContain(
      `${join(dir, 'users')}:2: check item Calling-Station-Id == aa-bb-cc-dd-ee-ff is not supported`,
    );
    expect(error.message).toContain('framedIp: expected an IPv4 address, got "300.1.1.1"');
    expect(error.message).toContain('would accept any password');
    expect(replica.revision).toBe(revision);
    expect(replica.findSubscriberByUsername('ok')).toBeUndefined();
  });

  it('imports with --skip-unsupported, turning unsupported conditions into warnings', async () => {
    const users = write('users', 'lockdown Cleartext-Password := "x", Calling-Station-Id == "aa-bb-cc-dd-ee-ff"\n');
    const report = await importIntoReplica(replica, { users }, { skipUnsupported: true });
    expect(report.warnings[0]).toMatchObject({ line: 1, message: expect.stringMatching(/skipped/) });
    expect(replica.findSubscriberByUsername('lockdown')).toBeDefined();
  });

  it('points at the JSON line of a bad value', async () => {
    const json = write(
      'bad.json',
      '{\n  "subscribers": [\n    { "username": "a" },\n    {\n      "username": "b",\n      "status": "frozen"\n    ' +
        '}\n  ]\n}\n',
    );
    const error = await importError(importIntoReplica(replica, { json }));
    expect(error.problems).toEqual([
      { file: json, line: 6, message: expect.stringMatching(/^subscribers\.1\.status: Invalid option/) },
    ]);
    const syntax = write('syntax.json', '{\n  "clients": [\n    { "address": "192.0.2.1", }\n  ]\n}\n');
    const syntaxError = await importError(importIntoReplica(replica, { json: syntax }));
    expect(syntaxError.problems[0]).toMatchObject({ file: syntax, line: 3 });
  });

  it('refuses the same user or NAS from two sources, naming both places', async () => {
    copyFileSync(join(FREERADIUS, 'users'), join(dir, 'users'));
    const json = write(
      'dup.json',
      JSON.stringify(
        { subscribers: [{ username: 'alice', password: 'x' }], clients: [{ address: '127.0.0.1', secret: 'y' }] },
        null,
        2,
      ),
    );
    const error = await importError(
      importIntoReplica(replica, { users: join(dir, 'users'), json, clients: join(FREERADIUS, 'clients.conf') }),
    );
    expect(error.message).toMatch(/dup\.json:\d+: user "alice" is already defined at .*users:14/);
    expect(error.message).toMatch(/dup\.json:\d+: NAS 127\.0\.0\.1\/32 is already defined at .*clients\.conf:19/);
    expect(replica.revision).toBe(0);
  });

  it('reports a clash with what the replica already holds at the line that caused it', async () => {
    await replica.upsertSubscriber({ id: 'edge-id-1', username: 'taken', password: 'x' });
    const json = write(
      'clash.json',
      '{\n  "subscribers": [\n    { "username": "free", "password": "x" },\n    { "username": "taken", "password": ' +
        '"y" }\n  ]\n}\n',
    );
    const error = await importError(importIntoReplica(replica, { json }));
    expect(error.problems).toEqual([
      { file: json, line: 4, message: 'username taken is used by subscribers "taken" and "edge-id-1"' },
    ]);
    expect(replica.findSubscriberByUsername('free')).toBeUndefined();
  });

  it('refuses a subscriber whose profile exists nowhere', async () => {
    const json = write('ref.json', '{ "subscribers": [ { "username": "a", "password": "x", "profile": "ghost" } ] }');
    const error = await importError(importIntoReplica(replica, { json }));
    expect(error.message).toMatch(/ref\.json:1: subscriber "a" refers to profile "ghost"/);
  });
});
