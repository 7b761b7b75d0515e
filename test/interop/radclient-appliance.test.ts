// FreeRADIUS's radclient (Debian freeradius-utils) as an independent NAS against a
// started appliance: PAP, CHAP, accounting and Status-Server on both ports.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, startTestAppliance } from '../appliance/server/helpers.ts';
import type { TestAppliance } from '../appliance/server/helpers.ts';

let server: TestAppliance;

beforeAll(async () => {
  server = await startTestAppliance({
    threads: 2,
    seed: async (replica) => {
      await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET, vendor: 'mikrotik' });
      await replica.upsertProfile({
        name: 'p-20',
        rateLimit: { upKbps: 5_000, downKbps: 20_000 },
        framedPool: 'pool-a',
        vlan: 3_017,
      });
      await replica.upsertSubscriber({ username: 'rc-user', password: 'rc-secret-pw', profile: 'p-20' });
    },
  });
});

afterAll(() => server.stop());

/** radclient -x with `attributes` (FreeRADIUS text) on stdin; its verbose output. */
async function radclient(kind: 'auth' | 'acct' | 'status', port: number, attributes: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(
      'radclient',
      ['-x', '-r', '1', '-t', '3', `127.0.0.1:${port}`, kind, SECRET],
      (_error, stdout) => resolve(stdout),
    );
    child.stdin?.end(attributes);
  });
}

describe('radclient against the appliance', () => {
  it(
    'PAP: Access-Accept with the MikroTik rate limit (upload first) ' +
      'and the VLAN, Access-Reject for a wrong password',
    async () => {
      const { auth } = server.radius.ports;
      const accept = await radclient(
        'auth',
        auth,
        'User-Name = rc-user\nUser-Password = rc-secret-pw\nMessage-Authenticator = 0x00\n',
      );
      expect(accept).toMatch(/Received Access-Accept/);
      expect(accept).toMatch(/Mikrotik-Rate-Limit = "5M\/20M"/);
      expect(accept).toMatch(/Framed-Pool = "pool-a"/);
      // RFC 3580 §3.31 as FreeRADIUS's decoder reads it (tag 0 where the attribute has one).
      expect(accept).toMatch(/Tunnel-Type(:0)? = VLAN/);
      expect(accept).toMatch(/Tunnel-Medium-Type(:0)? = IEEE-802/);
      expect(accept).toMatch(/Tunnel-Private-Group-Id(:0)? = "3017"/);
      const reject = await radclient(
        'auth',
        auth,
        'User-Name = rc-user\nUser-Password = wrong\nMessage-Authenticator = 0x00\n',
      );
      expect(reject).toMatch(/Received Access-Reject/);
    },
  );

  it('CHAP (radclient computes CHAP-Password from the cleartext)', async () => {
    const out = await radclient(
      'auth',
      server.radius.ports.auth,
      'User-Name = rc-user\nCHAP-Password = rc-secret-pw\nMessage-Authenticator = 0x00\n',
    );
    expect(out).toMatch(/Received Access-Accept/);
  });

  it('accounting Start and Stop are acknowledged and spooled', async () => {
    const { acct } = server.radius.ports;
    const before = server.appliance.context.spool.stats().appended;
    const start = await radclient(
      'acct',
      acct,
      'User-Name = rc-user\nAcct-Status-Type = Start\nAcct-Session-Id = rc-1\nFramed-IP-Address = 100.64.1.2\n',
    );
    expect(start).toMatch(/Received Accounting-Response/);
    expect(await server.appliance.context.spool.countLiveSessions('rc-user')).toBe(1);
    const stop = await radclient(
      'acct',
      acct,
      'User-Name = rc-user\nAcct-Status-Type = Stop\nAcct-Session-Id = rc-1\nAcct-Output-Octets = ' +
        '1000\nAcct-Output-Gigawords = 1\n',
    );
    expect(stop).toMatch(/Received Accounting-Response/);
    expect(server.appliance.context.spool.stats().appended).toBe(before + 2);
    expect(await server.appliance.context.spool.countLiveSessions('rc-user')).toBe(0);
  });

  it('Status-Server on the auth and the acct port', async () => {
    const { auth, acct } = server.radius.ports;
    expect(await radclient('status', auth, 'Message-Authenticator = 0x00\n')).toMatch(/Received Access-Accept/);
    expect(await radclient('status', acct, 'Message-Authenticator = 0x00\n')).toMatch(/Received Accounting-Response/);
  });
});
