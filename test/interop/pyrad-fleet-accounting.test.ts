// A fleet of routers under one prefix client (a MikroTik fleet sharing one secret, as
// appliance/README.md recommends), each played by pyrad bound to its own loopback
// address. Sessions, record keys and the Accounting-On/Off epoch belong to the NAS
// (NAS-IP-Address or NAS-IPv6-Address, else the datagram's source), as FreeRADIUS's
// acctuniqueid does: one router rebooting must not end another's sessions.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, startTestAppliance } from '../appliance/server/helpers.ts';
import type { TestAppliance } from '../appliance/server/helpers.ts';

// Each step: which router (source address) sends what; prints the reply codes (0: none).
const SCRIPT = String.raw`
import io, json, sys
from pyrad.client import Client
from pyrad.dictionary import Dictionary
import pyrad.packet as P

DICT = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE Acct-Status-Type 40 integer
ATTRIBUTE Acct-Session-Id 44 string
ATTRIBUTE Acct-Session-Time 46 integer
"""
args = json.loads(sys.stdin.read())
codes = []
for step in args["steps"]:
    client = Client(server="127.0.0.1", authport=args["auth"], acctport=args["acct"], secret=args["secret"].encode(),
                    dict=Dictionary(io.StringIO(DICT)))
    client.bind((step["from"], 0))
    client.timeout = 3
    client.retries = 1
    attrs = step["attrs"]
    if step["port"] == "auth":
        req = client.CreateAuthPacket(code=P.AccessRequest, User_Name=attrs["User-Name"])
        req["User-Password"] = req.PwCrypt(attrs["User-Password"])
    else:
        req = client.CreateAcctPacket()
        for name, value in attrs.items():
            req[name] = value
    try:
        codes.append(client.SendPacket(req).code)
    except Exception:
        codes.append(0)
print(json.dumps(codes))
`;

type Step = { from: string; port: 'auth' | 'acct'; attrs: Record<string, string | number> };

const ACCEPT = 2;
const REJECT = 3;
const ACCOUNTING_RESPONSE = 5;

let server: TestAppliance;

async function send(steps: Step[]): Promise<number[]> {
  const { auth, acct } = server.radius.ports;
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', SCRIPT], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(JSON.stringify({ auth, acct, secret: SECRET, steps }));
  });
  return JSON.parse(output) as number[];
}

const login = (from: string, user: string): Step => ({
  from,
  port: 'auth',
  attrs: { 'User-Name': user, 'User-Password': 'fleet-pw' },
});
const acct = (from: string, status: number, attrs: Record<string, string | number> = {}): Step => ({
  from,
  port: 'acct',
  attrs: { 'Acct-Status-Type': status, ...attrs },
});
const START = 1;
const STOP = 2;
const ACCOUNTING_ON = 7;

beforeAll(async () => {
  server = await startTestAppliance({
    threads: 2,
    seed: async (replica) => {
      // One client for the whole fleet; this pyrad cannot send Message-Authenticator.
      await replica.upsertNasClient({
        address: '127.0.0.0/29',
        secret: SECRET,
        name: 'fleet',
        requireMessageAuthenticator: false,
      });
      await replica.upsertSubscriber({ username: 'fleet-one', password: 'fleet-pw', simultaneousUse: 1 });
      for (const username of ['fleet-two', 'fleet-three']) {
        await replica.upsertSubscriber({ username, password: 'fleet-pw' });
      }
    },
  });
});

afterAll(() => server.stop());

describe('a fleet of routers under one prefix client', () => {
  it("Accounting-On from 127.0.0.3 leaves 127.0.0.2's session open; Simultaneous-Use refuses a 2nd login", async () => {
    const spool = server.appliance.context.spool;
    const codes = await send([
      login('127.0.0.2', 'fleet-one'),
      acct('127.0.0.2', START, { 'User-Name': 'fleet-one', 'Acct-Session-Id': 'live-1' }),
      acct('127.0.0.3', ACCOUNTING_ON),
      login('127.0.0.3', 'fleet-one'),
    ]);
    expect(codes).toEqual([ACCEPT, ACCOUNTING_RESPONSE, ACCOUNTING_RESPONSE, REJECT]);
    const live = await spool.listLiveSessions('fleet-one');
    expect(live.map((row) => [row.sessionId, row.nasAddress, row.status])).toEqual([['live-1', '127.0.0.2', 'open']]);
  });

  it('equal Acct-Session-Ids from two routers are two sessions; a Stop ends only its own', async () => {
    const spool = server.appliance.context.spool;
    const codes = await send([
      acct('127.0.0.2', START, { 'User-Name': 'fleet-two', 'Acct-Session-Id': 'same-id' }),
      acct('127.0.0.3', START, { 'User-Name': 'fleet-two', 'Acct-Session-Id': 'same-id' }),
    ]);
    expect(codes).toEqual([ACCOUNTING_RESPONSE, ACCOUNTING_RESPONSE]);
    expect(server.appliance.context.spool.stats().duplicates).toBe(0);
    expect(await spool.countLiveSessions('fleet-two')).toBe(2);
    const stop = acct('127.0.0.3', STOP, {
      'User-Name': 'fleet-two',
      'Acct-Session-Id': 'same-id',
      'Acct-Session-Time': 5,
    });
    expect(await send([stop])).toEqual([ACCOUNTING_RESPONSE]);
    const live = await spool.listLiveSessions('fleet-two');
    expect(live.map((row) => [row.sessionId, row.nasAddress])).toEqual([['same-id', '127.0.0.2']]);
  });

  it('NAS-IP-Address names the NAS before the source address does', async () => {
    const spool = server.appliance.context.spool;
    const start = acct('127.0.0.4', START, {
      'User-Name': 'fleet-three',
      'Acct-Session-Id': 'n-1',
      'NAS-IP-Address': '127.0.0.5',
    });
    // From 127.0.0.4 without NAS-IP-Address: the NAS 127.0.0.4, not the one that started n-1.
    const onOfSource = acct('127.0.0.4', ACCOUNTING_ON);
    expect(await send([start, onOfSource])).toEqual([ACCOUNTING_RESPONSE, ACCOUNTING_RESPONSE]);
    expect(await spool.countLiveSessions('fleet-three')).toBe(1);
    // From another address, naming 127.0.0.5: that NAS restarted.
    const onNamingIt = acct('127.0.0.6', ACCOUNTING_ON, { 'NAS-IP-Address': '127.0.0.5' });
    expect(await send([onNamingIt])).toEqual([ACCOUNTING_RESPONSE]);
    expect(await spool.countLiveSessions('fleet-three')).toBe(0);
  });
});
