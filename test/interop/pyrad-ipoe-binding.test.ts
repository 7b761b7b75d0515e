// Issue 12, defect 1, reproduced with Python's pyrad (an independent NAS): a PAP
// request for a user name that is no subscriber's, with any password and the
// Calling-Station-Id of an IPoE subscriber, must not borrow that subscriber's binding.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { metricValue, SECRET, startTestAppliance } from '../appliance/server/helpers.ts';
import type { TestAppliance } from '../appliance/server/helpers.ts';

const SCRIPT = String.raw`
import io, json, sys
from pyrad.client import Client
from pyrad.dictionary import Dictionary
import pyrad.packet as P

DICT = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE Framed-IP-Address 8 ipaddr
ATTRIBUTE Calling-Station-Id 31 string
ATTRIBUTE Class 25 octets
"""
args = json.loads(sys.stdin.read())
client = Client(server="127.0.0.1", authport=args["auth"], secret=args["secret"].encode(),
                dict=Dictionary(io.StringIO(DICT)))
client.timeout = 3
client.retries = 1
out = []

def show(reply):
    return {"code": reply.code, "attrs": {str(k): [str(v) for v in reply[k]] for k in reply.keys()}}

# Someone else's MAC, a made-up user, a made-up password.
req = client.CreateAuthPacket(code=P.AccessRequest, User_Name="intruder")
req["User-Password"] = req.PwCrypt("any-password")
req["Calling-Station-Id"] = "AA-BB-CC-00-11-22"
out.append(show(client.SendPacket(req)))

# The MAC as User-Name with a password: credentials are never an IPoE request.
req = client.CreateAuthPacket(code=P.AccessRequest, User_Name="aa:bb:cc:00:11:22")
req["User-Password"] = req.PwCrypt("whatever")
out.append(show(client.SendPacket(req)))

# The DHCP-triggered request the binding is for: no credentials.
req = client.CreateAuthPacket(code=P.AccessRequest, User_Name="aabbcc001122")
req["Calling-Station-Id"] = "AA-BB-CC-00-11-22"
out.append(show(client.SendPacket(req)))
print(json.dumps(out))
`;

let server: TestAppliance;

beforeAll(async () => {
  server = await startTestAppliance({
    threads: 2,
    seed: async (replica) => {
      // This pyrad cannot send Message-Authenticator: the per-NAS override for old gear.
      await replica.upsertNasClient({
        address: '127.0.0.1',
        secret: SECRET,
        requireMessageAuthenticator: false,
        ipoe: true,
      });
      await replica.upsertSubscriber({ username: 'ipoe-home', mac: 'AA-BB-CC-00-11-22', framedIp: '100.64.7.9' });
    },
  });
});

afterAll(() => server.stop());

it('pyrad: a credentialed request never matches an IPoE binding; a request without credentials does', async () => {
  const unknownUser = 'appliance_radius_rejects_total{reason="unknown_user"}';
  const before = metricValue(await server.metrics(), unknownUser);
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', SCRIPT], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(JSON.stringify({ auth: server.radius.ports.auth, secret: SECRET }));
  });
  type Reply = { code: number; attrs: Record<string, string[]> };
  const [intruder, macWithPassword, ipoe] = JSON.parse(output) as Reply[];
  expect(intruder?.code).toBe(3);
  expect(intruder?.attrs['Framed-IP-Address']).toBeUndefined();
  expect(macWithPassword?.code).toBe(3);
  expect(macWithPassword?.attrs['Framed-IP-Address']).toBeUndefined();
  expect(metricValue(await server.metrics(), unknownUser)).toBe(before + 2);
  // The binding itself works, for the request it is meant for (RFC 2865 §5.1: the
  // Accept names the subscriber the NAS should account under).
  expect(ipoe?.code).toBe(2);
  expect(ipoe?.attrs['Framed-IP-Address']).toEqual(['100.64.7.9']);
  expect(ipoe?.attrs['User-Name']).toEqual(['ipoe-home']);
});
