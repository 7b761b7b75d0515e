import { ntPasswordHash } from '../../../appliance/radius/index.ts';
import { createClient } from '@libsql/client';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthMethod } from '../../../appliance/config.ts';
import { describeDatabase } from '../../../appliance/local-db.ts';
import { createSilentLogger } from '../../../appliance/log.ts';
import {
  openReplica,
  openReplicaReader,
  ReplicaWriteError,
  supportedMethods,
} from '../../../appliance/replica/index.ts';
import type { Replica, ReplicaReader } from '../../../appliance/replica/index.ts';
import { readReplicaDelta } from '../../../appliance/replica/read-rows.ts';
import { createSecretBox, loadKey } from '../../../appliance/replica/secret-box.ts';

let dir: string;
const open: Array<{ close(): void }> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replica-test-'));
});

afterEach(() => {
  for (const item of open.splice(0)) item.close();
  rmSync(dir, { recursive: true, force: true });
});

const baseOptions = () => ({
  path: join(dir, 'replica.db'),
  keyFile: join(dir, 'replica.key'),
  log: createSilentLogger(),
  defaults: { suspendedPolicy: 'reject' as const, captiveProfile: 'captive' },
  pollIntervalMs: 0,
});

async function writer(authMethods: readonly AuthMethod[] = ['pap', 'chap', 'mschapv2']): Promise<Replica> {
  const replica = await openReplica({ ...baseOptions(), authMethods });
  open.push(replica);
  return replica;
}

async function reader(pollIntervalMs = 0): Promise<ReplicaReader> {
  const replica = await openReplicaReader({ ...baseOptions(), pollIntervalMs });
  open.push(replica);
  return replica;
}

// How soon is measured in bench/, never asserted: the bound only turns a change that
// never arrives into a failure instead of a hang, so it is generous.
async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('schema upgrades', () => {
  it('adds the CoA port to a schema-1 replica in place, keeping its NAS clients', async () => {
    let replica = await writer();
    await replica.applyChanges([
      { op: 'upsert-nas-client', value: { id: 'isg', address: '192.0.2.10', secret: 's3cret', vendor: 'cisco' } },
    ]);
    replica.close();
    open.splice(0);
    // What a schema-1 appliance left behind: nas_clients without coa_port (nor ipoe).
    const client = createClient({ url: `file:${join(dir, 'replica.db')}` });
    await client.executeMultiple(
      'ALTER TABLE nas_clients DROP COLUMN coa_port; ALTER TABLE nas_clients DROP COLUMN ipoe; PRAGMA user_version = ' +
        '1;',
    );
    client.close();

    replica = await writer();
    const check = createClient({ url: `file:${join(dir, 'replica.db')}` });
    expect(Number((await check.execute('PRAGMA user_version')).rows[0]?.[0])).toBe(3);
    check.close();
    expect(replica.getNasClient('isg')).toMatchObject({ prefix: '192.0.2.10/32', coaPort: null });
    expect(replica.getNasClient('isg')?.secret.toString()).toBe('s3cret');
    await replica.applyChanges([
      {
        op: 'upsert-nas-client',
        value: { id: 'isg', address: '192.0.2.10', secret: 's3cret', vendor: 'cisco', coaPort: 1700 },
      },
    ]);
    const other = await reader();
    expect(other.getNasClient('isg')?.coaPort).toBe(1700);
  });

  // Schema 2 served IPoE bindings from every NAS: those keep working after the upgrade.
  it.each([
    ['with IPoE bindings marks its NAS clients for IPoE', { username: 'cpe', mac: '02:00:00:00:00:01' }, true],
    ['without IPoE bindings leaves the flag off', { username: 'ppp', password: 'pw' }, false],
  ])('upgrading a schema-2 replica %s', async (_, subscriber, expected) => {
    let replica = await writer();
    await replica.applyChanges([
      { op: 'upsert-nas-client', value: { id: 'bng', address: '192.0.2.10', secret: 's3cret', ipoe: !expected } },
      { op: 'upsert-subscriber', value: subscriber },
    ]);
    replica.close();
    open.splice(0);
    const client = createClient({ url: `file:${join(dir, 'replica.db')}` });
    await client.executeMultiple('ALTER TABLE nas_clients DROP COLUMN ipoe; PRAGMA user_version = 2;');
    client.close();

    replica = await writer();
    expect(replica.getNasClient('bng')).toMatchObject({ prefix: '192.0.2.10/32', ipoe: expected });
    expect((await reader()).getNasClient('bng')?.ipoe).toBe(expected);
  });
});

describe('replaceCryptCredential (issue 12 item 7)', () => {
  it('stores the fast form in place of the verified crypt hash, and nothing once the hash changed', async () => {
    const replica = await writer();
    const ntHash = 'a'.repeat(32);
    await replica.upsertSubscriber({ id: 's1', username: 'crypted', credentials: { crypt: '$1$salt$old', ntHash } });
    const watcher = await reader();
    expect(await replica.replaceCryptCredential('s1', '$1$salt$other', { cleartext: 'pw' })).toBe(false);
    expect(await replica.replaceCryptCredential('s1', '$1$salt$old', { cleartext: 'pw' })).toBe(true);
    expect(replica.findSubscriberByUsername('crypted')?.credentials).toEqual({ ntHash, cleartext: 'pw' });
    await waitFor(() => watcher.findSubscriberByUsername('crypted')?.credentials.cleartext === 'pw');
    // A second report of the same (now replaced) hash changes nothing.
    const revision = replica.revision;
    expect(await replica.replaceCryptCredential('s1', '$1$salt$old', { cleartext: 'pw' })).toBe(false);
    expect(await replica.replaceCryptCredential('gone', '$1$salt$old', { cleartext: 'pw' })).toBe(false);
    expect(replica.revision).toBe(revision);
  });
});

describe('NAS clients', () => {
  it('finds clients by longest prefix, IPv4 and IPv6, across a reopen', async () => {
    const replica = await writer();
    await replica.applyChanges([
      {
        op: 'upsert-nas-client',
        value: { address: '10.0.0.0/8', secret: 'wide', vendor: 'mikrotik', name: 'all-of-10' },
      },
      { op: 'upsert-nas-client', value: { address: '10.20.0.0/16', secret: 'narrow', vendor: 'cisco' } },
      {
        op: 'upsert-nas-client',
        value: { address: '10.20.30.40', secret: 'exact', vendor: 'juniper', requireMessageAuthenticator: false },
      },
      { op: 'upsert-nas-client', value: { address: '2001:db8::/32', secret: 'v6', vendor: 'huawei' } },
      { op: 'upsert-nas-client', value: { address: '2001:db8:ff::7', secret: 'v6-exact' } },
    ]);
    replica.close();
    open.length = 0;

    const view = await reader();
    expect(view.findClientByAddress('10.20.30.40')?.secret.toString()).toBe('exact');
    expect(view.findClientByAddress('10.20.30.40')?.requireMessageAuthenticator).toBe(false);
    expect(view.findClientByAddress('10.20.30.41')?.vendor).toBe('cisco');
    expect(view.findClientByAddress('10.99.0.1')?.name).toBe('all-of-10');
    expect(view.findClientByAddress('::ffff:10.20.30.40')?.secret.toString()).toBe('exact');
    expect(view.findClientByAddress('11.0.0.1')).toBeUndefined();
    expect(view.findClientByAddress('2001:db8:ff::7')?.secret.toString()).toBe('v6-exact');
    expect(view.findClientByAddress('2001:db8:ff::8')?.vendor).toBe('huawei');
    expect(view.findClientByAddress('2001:db9::1')).toBeUndefined();
    expect(view.findClientByAddress('10.20.30.40')?.requireMessageAuthenticator).toBe(false);
    expect(view.findClientByAddress('10.99.0.1')?.requireMessageAuthenticator).toBeNull();
  });

  it('moves a client to a new prefix when its id is upserted again, and forgets deleted ones', async () => {
    const replica = await writer();
    await replica.upsertNasClient({ id: 'bng-1', address: '192.0.2.1', secret: 'one' });
    await replica.upsertNasClient({ id: 'bng-1', address: '192.0.2.2', secret: 'one' });
    expect(replica.findClientByAddress('192.0.2.1')).toBeUndefined();
    expect(replica.findClientByAddress('192.0.2.2')?.id).toBe('bng-1');
    await replica.deleteNasClient('bng-1');
    expect(replica.findClientByAddress('192.0.2.2')).toBeUndefined();
  });

  it('refuses two clients with the same prefix and writes nothing of the batch', async () => {
    const replica = await writer();
    const attempt = replica.applyChanges([
      { op: 'upsert-nas-client', value: { id: 'a', address: '192.0.2.0/24', secret: 'x' } },
      { op: 'upsert-nas-client', value: { id: 'b', address: '192.0.2.9/24', secret: 'y' } },
    ]);
    await expect(attempt).rejects.toThrow(/192\.0\.2\.0\/24 is used by NAS clients/);
    expect(replica.counts().nasClients).toBe(0);
    expect(replica.revision).toBe(0);
  });
});

describe('secrets at rest', () => {
  it('stores NAS secrets and passwords sealed, bound to their row, under the key file', async () => {
    const replica = await writer();
    await replica.upsertNasClient({ address: '192.0.2.1', secret: 'nas-secret-do-not-leak' });
    await replica.upsertSubscriber({ username: 'alice', password: 'pw-do-not-leak' });
    replica.close();
    open.length = 0;

    const raw = readFileSync(join(dir, 'replica.db'));
    const wal = readFileSync(join(dir, 'replica.db-wal'), { flag: 'a+' });
    for (const needle of ['nas-secret-do-not-leak', 'pw-do-not-leak']) {
      expect(raw.includes(needle)).toBe(false);
      expect(wal.includes(needle)).toBe(false);
    }

    // Swapping a sealed value onto another row must not open (the row id is bound in).
    const client = createClient({ url: `file:${join(dir, 'replica.db')}` });
    await client.execute(
      "INSERT INTO subscribers (id, username, credentials, status, revision) SELECT 'mallory', 'mallory', " +
        "credentials, status, 99 FROM subscribers WHERE id = 'alice'",
    );
    await client.execute("UPDATE meta SET value = 99 WHERE key = 'revision'");
    client.close();
    await expect(reader()).rejects.toThrow(/cannot open sealed value for subscriber:mallory/);
  });

  it('refuses to open with the wrong key', async () => {
    const replica = await writer();
    await replica.upsertNasClient({ address: '192.0.2.1', secret: 's' });
    replica.close();
    open.length = 0;
    rmSync(join(dir, 'replica.key'));
    await expect(openReplica({ ...baseOptions(), authMethods: ['pap'] })).rejects.toThrow(/wrong key file/);
  });

  it('does not create a key for a reader', async () => {
    await expect(reader()).rejects.toThrow();
  });
});

describe('credentials per enabled methods', () => {
  it('keeps the cleartext when CHAP is enabled', async () => {
    const replica = await writer(['pap', 'chap']);
    await replica.upsertSubscriber({ username: 'u', password: 'secret' });
    expect(replica.findSubscriberByUsername('u')?.credentials).toEqual({ cleartext: 'secret' });
  });

  it('keeps only the NT hash for PAP + MS-CHAPv2', async () => {
    const replica = await writer(['pap', 'mschapv2']);
    await replica.upsertSubscriber({ username: 'u', password: 'clientPass' });
    expect(replica.findSubscriberByUsername('u')?.credentials).toEqual({
      ntHash: ntPasswordHash('clientPass').toString('hex'),
    });
  });

  it('keeps only a salted SHA-256 for PAP alone', async () => {
    const replica = await writer(['pap']);
    await replica.upsertSubscriber({ username: 'u', password: 'secret' });
    const digest = replica.findSubscriberByUsername('u')?.credentials.digest;
    expect(digest?.algorithm).toBe('sha256');
    const expected = createHash('sha256')
      .update('secret')
      .update(Buffer.from(digest?.salt ?? '', 'hex'))
      .digest('hex');
    expect(digest?.hash).toBe(expected);
  });

  it('says which methods each stored form can verify', () => {
    expect(supportedMethods({ cleartext: 'x' })).toEqual(['pap', 'chap', 'mschapv2']);
    expect(supportedMethods({ ntHash: 'a'.repeat(32) })).toEqual(['pap', 'mschapv2']);
    expect(supportedMethods({ crypt: '$1$x$y' })).toEqual(['pap']);
    expect(supportedMethods({})).toEqual([]);
  });

  it('keeps hashed forms from imports as given', async () => {
    const replica = await writer(['pap']);
    await replica.upsertSubscriber({ username: 'u', credentials: { crypt: '$6$salt$hash', ntHash: 'a'.repeat(32) } });
    expect(replica.findSubscriberByUsername('u')?.credentials).toEqual({
      crypt: '$6$salt$hash',
      ntHash: 'a'.repeat(32),
    });
  });
});

describe('subscribers', () => {
  it('finds subscribers by username, MAC in any notation and Option 82', async () => {
    const replica = await writer();
    await replica.applyChanges([
      {
        op: 'upsert-profile',
        value: { name: '10M', rateLimit: { upKbps: 10_000, downKbps: 50_000 }, interimInterval: 300 },
      },
      {
        op: 'upsert-subscriber',
        value: { username: 'pppoe-1', password: 'x', profile: '10M', framedIp: '100.64.0.10', simultaneousUse: 1 },
      },
      { op: 'upsert-subscriber', value: { username: 'ipoe-mac', mac: 'AA-BB-CC-00-11-22' } },
      { op: 'upsert-subscriber', value: { username: 'ipoe-circuit', circuitId: 'eth 0/1/1:100' } },
      { op: 'upsert-subscriber', value: { username: 'ipoe-pair', circuitId: '0x0004000a0001', remoteId: 'olt-7' } },
    ]);
    expect(replica.findSubscriberByUsername('pppoe-1')?.framedIp).toBe('100.64.0.10');
    expect(replica.getProfile('10M')?.rateLimit?.downKbps).toBe(50_000);
    for (const mac of ['aa:bb:cc:00:11:22', 'AABB.CC00.1122', 'aabbcc001122', 'AA-BB-CC-00-11-22']) {
      expect(replica.findSubscriberByMac(mac)?.username).toBe('ipoe-mac');
    }
    expect(replica.findSubscriberByMac('aa:bb:cc:00:11:23')).toBeUndefined();
    expect(replica.findSubscriberByCircuit(Buffer.from('eth 0/1/1:100'))?.username).toBe('ipoe-circuit');
    expect(replica.findSubscriberByCircuit('eth 0/1/1:100', 'any remote')?.username).toBe('ipoe-circuit');
    expect(replica.findSubscriberByCircuit(Buffer.from([0, 4, 0, 10, 0, 1]), Buffer.from('olt-7'))?.username).toBe(
      'ipoe-pair',
    );
    expect(replica.findSubscriberByCircuit(Buffer.from([0, 4, 0, 10, 0, 1]), Buffer.from('olt-8'))).toBeUndefined();
    expect(replica.findSubscriberByCircuit(Buffer.from([0, 4, 0, 10, 0, 1]))).toBeUndefined();
  });

  it('lets one batch move a MAC from one subscriber to another', async () => {
    const replica = await writer();
    await replica.applyChanges([
      { op: 'upsert-subscriber', value: { username: 'a', mac: '00:00:00:00:00:01' } },
      { op: 'upsert-subscriber', value: { username: 'b', mac: '00:00:00:00:00:02' } },
    ]);
    await replica.applyChanges([
      { op: 'upsert-subscriber', value: { username: 'b', mac: '00:00:00:00:00:01' } },
      { op: 'upsert-subscriber', value: { username: 'a', mac: '00:00:00:00:00:02' } },
    ]);
    expect(replica.findSubscriberByMac('00:00:00:00:00:01')?.username).toBe('b');
    expect(replica.findSubscriberByMac('00:00:00:00:00:02')?.username).toBe('a');
  });

  it('follows a rename by id and drops the old username', async () => {
    const replica = await writer();
    await replica.upsertSubscriber({ id: 'sub-1', username: 'old', password: 'x' });
    await replica.upsertSubscriber({ id: 'sub-1', username: 'new', password: 'x' });
    expect(replica.findSubscriberByUsername('old')).toBeUndefined();
    expect(replica.findSubscriberByUsername('new')?.id).toBe('sub-1');
  });

  it('refuses a duplicate username, naming the change, and writes nothing', async () => {
    const replica = await writer();
    await replica.upsertSubscriber({ id: 'one', username: 'taken', password: 'x' });
    const attempt = replica.applyChanges([
      { op: 'upsert-profile', value: { name: 'p' } },
      { op: 'upsert-subscriber', value: { id: 'two', username: 'taken', password: 'y' } },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(ReplicaWriteError);
    await expect(attempt).rejects.toMatchObject({ changeIndex: 1 });
    expect(replica.getProfile('p')).toBeUndefined();
    expect(replica.findSubscriberByUsername('taken')?.id).toBe('one');
  });

  it('validates changes before touching the database', async () => {
    const replica = await writer();
    await expect(replica.upsertSubscriber({ username: 'x', framedIp: '2001:db8::1' })).rejects.toThrow(
      /change #0 at value.framedIp: expected an IPv4 address/,
    );
    await expect(replica.upsertSubscriber({ username: 'x', mac: 'zz' })).rejects.toThrow(/expected a MAC address/);
    await expect(replica.upsertSubscriber({ username: 'x', remoteId: 'r' })).rejects.toThrow(
      /remoteId needs circuitId/,
    );
    expect(replica.revision).toBe(0);
  });

  it('returns frozen objects the hot path can share', async () => {
    const replica = await writer();
    await replica.upsertSubscriber({ username: 'frozen', password: 'x' });
    const subscriber = replica.findSubscriberByUsername('frozen');
    expect(Object.isFrozen(subscriber)).toBe(true);
    expect(Object.isFrozen(subscriber?.credentials)).toBe(true);
  });
});

describe('sync versions and tenant policy', () => {
  it('applies a batch once per version and skips re-sent or older ones', async () => {
    const replica = await writer();
    expect((await replica.applyBatch([{ op: 'upsert-profile', value: { name: 'a' } }], 5)).applied).toBe(true);
    expect((await replica.applyBatch([{ op: 'upsert-profile', value: { name: 'b' } }], 5)).applied).toBe(false);
    expect((await replica.applyBatch([{ op: 'upsert-profile', value: { name: 'c' } }], 4)).applied).toBe(false);
    expect(replica.syncVersion).toBe(5);
    expect(replica.getProfile('b')).toBeUndefined();
    const next = await replica.applyBatch([{ op: 'delete-profile', name: 'a' }], 6);
    expect(next).toMatchObject({ applied: true, syncVersion: 6, deleted: 1 });
  });

  it('falls back to the config defaults until the edge sets a policy', async () => {
    const replica = await writer();
    expect(replica.getTenantPolicy()).toEqual({ suspendedPolicy: 'reject', captiveProfile: 'captive' });
    await replica.setTenantPolicy({ suspendedPolicy: 'captive', captiveProfile: 'pay-first' });
    expect(replica.getTenantPolicy()).toEqual({ suspendedPolicy: 'captive', captiveProfile: 'pay-first' });
    await replica.setTenantPolicy({ suspendedPolicy: null });
    expect(replica.getTenantPolicy()).toEqual({ suspendedPolicy: 'reject', captiveProfile: 'captive' });
  });

  it('replaces everything not in a replace batch', async () => {
    const replica = await writer();
    await replica.applyChanges([
      { op: 'upsert-subscriber', value: { username: 'stays', password: 'x' } },
      { op: 'upsert-subscriber', value: { username: 'goes', password: 'x' } },
      { op: 'upsert-nas-client', value: { address: '192.0.2.1', secret: 's' } },
    ]);
    const result = await replica.applyChanges(
      [{ op: 'upsert-subscriber', value: { username: 'stays', password: 'y' } }],
      { replace: true },
    );
    expect(result.deleted).toBe(2);
    expect(replica.counts()).toEqual({ nasClients: 0, profiles: 0, subscribers: 1 });
  });
});

describe('readers', () => {
  it('opens query_only with WAL, and learns in-process writes from the change notice', async () => {
    const replica = await writer();
    await replica.upsertSubscriber({ username: 'first', password: 'x' });
    const view = await reader();
    expect(view.findSubscriberByUsername('first')).toBeDefined();

    await replica.upsertSubscriber({ username: 'second', password: 'x' });
    // Polling is off (reader(0)): only the change notice can have brought it.
    await waitFor(() => view.findSubscriberByUsername('second') !== undefined);

    await replica.deleteSubscriber('first');
    await waitFor(() => view.findSubscriberByUsername('first') === undefined);
    expect(view.revision).toBe(replica.revision);
  });

  it('polls for writes from another process (no notice)', async () => {
    const replica = await writer();
    await replica.upsertProfile({ name: 'before' });
    const view = await reader(50);
    // A raw write, as another process would make it: no BroadcastChannel message.
    const client = createClient({ url: `file:${join(dir, 'replica.db')}` });
    await client.batch(
      [
        "INSERT INTO profiles (name, revision) VALUES ('from-elsewhere', 2)",
        "UPDATE meta SET value = 2 WHERE key = 'revision'",
      ],
      'write',
    );
    client.close();
    await waitFor(() => view.getProfile('from-elsewhere') !== undefined);
  });

  it('reads the whole replica for a reader that fell behind pruned tombstones', async () => {
    const replica = await writer();
    await replica.upsertSubscriber({ username: 'doomed', password: 'x' });
    const behind = replica.revision;
    await replica.deleteSubscriber('doomed');
    await replica.upsertProfile({ name: 'later' });

    const client = createClient({ url: `file:${join(dir, 'replica.db')}` });
    const box = createSecretBox(loadKey(join(dir, 'replica.key'), false));
    const delta = await readReplicaDelta(client, box, behind);
    expect(delta.full).toBe(false);
    expect(delta.tombstones).toEqual([{ kind: 'subscriber', key: 'doomed' }]);

    await replica.pruneTombstones(replica.revision + 1);
    const afterPrune = await readReplicaDelta(client, box, behind);
    expect(afterPrune.full).toBe(true);
    expect(afterPrune.subscribers).toEqual([]);
    expect(afterPrune.profiles.map((profile) => profile.name)).toEqual(['later']);
    client.close();
  });

  it('reads through a query_only connection', async () => {
    await writer();
    const client = createClient({ url: `file:${join(dir, 'replica.db')}`, concurrency: 1 });
    await client.execute('PRAGMA query_only = ON');
    expect(await describeDatabase(client)).toMatchObject({ journalMode: 'wal', queryOnly: true });
    await expect(client.execute("UPDATE meta SET value = 1 WHERE key = 'revision'")).rejects.toThrow(/readonly/i);
    client.close();
  });
});
