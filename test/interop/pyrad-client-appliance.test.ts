// Python's pyrad (Debian python3-pyrad, run under /usr/bin/python3) as an independent
// NAS against a started appliance: PAP, CHAP, accounting, Status-Server.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SECRET, startTestAppliance } from '../appliance/server/helpers.ts';
import type { TestAppliance } from '../appliance/server/helpers.ts';

// pyrad's own dictionary handling; attributes defined inline so the client owes
// nothing to our dictionaries. Prints one JSON line per request: code and attributes.
const SCRIPT = String.raw`
import hashlib, io, json, os, sys
from pyrad.client import Client
from pyrad.dictionary import Dictionary
import pyrad.packet as P

DICT = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE CHAP-Password 3 octets
ATTRIBUTE Framed-IP-Address 8 ipaddr
ATTRIBUTE Framed-Pool 88 string
ATTRIBUTE Acct-Status-Type 40 integer
ATTRIBUTE Acct-Session-Id 44 string
ATTRIBUTE Acct-Interim-Interval 85 integer
ATTRIBUTE Message-Authenticator 80 octets
ATTRIBUTE Service-Type 6 integer
ATTRIBUTE CHAP-Challenge 60 octets
"""
args = json.loads(sys.stdin.read())
client = Client(
    server="127.0.0.1", authport=args["auth"], acctport=args["acct"], secret=args["secret"].encode(),
    dict=Dictionary(io.StringIO(DICT)),
)
client.timeout = 3
client.retries = 1
out = []

def show(reply):
    return {"code": reply.code, "attrs": {str(k): [str(v) for v in reply[k]] for k in reply.keys()}}

req = client.CreateAuthPacket(code=P.AccessRequest, User_Name="py-user")
req["User-Password"] = req.PwCrypt("py-secret-pw")
out.append(show(client.SendPacket(req)))

req = client.CreateAuthPacket(code=P.AccessRequest, User_Name="py-user")
req["User-Password"] = req.PwCrypt("nope")
out.append(show(client.SendPacket(req)))

challenge = os.urandom(16)
req = client.CreateAuthPacket(code=P.AccessRequest, User_Name="py-user")
req["CHAP-Password"] = b"\x05" + hashlib.md5(b"\x05" + b"py-secret-pw" + challenge).digest()
req["CHAP-Challenge"] = challenge
out.append(show(client.SendPacket(req)))

for status in (1, 2):
    req = client.CreateAcctPacket(User_Name="py-user")
    req["Acct-Status-Type"] = status
    req["Acct-Session-Id"] = "py-1"
    out.append(show(client.SendPacket(req)))

# This pyrad has no Message-Authenticator support, and RFC 5997 §3 requires it on
# Status-Server: reserve it zeroed, sign the encoded packet (RFC 3579 §3.2), send raw.
import hmac, socket
req = client.CreateAuthPacket(code=P.StatusServer)
req["Message-Authenticator"] = b"\0" * 16
raw = bytearray(req.RequestPacket())
at = raw.index(bytes([80, 18]) + b"\0" * 16) + 2
raw[at:at + 16] = hmac.new(args["secret"].encode(), bytes(raw), hashlib.md5).digest()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(3)
sock.sendto(bytes(raw), ("127.0.0.1", args["auth"]))
data = sock.recv(4096)
out.append({"code": data[0], "attrs": {}})
print(json.dumps(out))
`;

let server: TestAppliance;

beforeAll(async () => {
  server = await startTestAppliance({
    threads: 2,
    seed: async (replica) => {
      // This pyrad cannot send Message-Authenticator: the per-NAS override for old gear.
      await replica.upsertNasClient({ address: '127.0.0.1', secret: SECRET, requireMessageAuthenticator: false });
      await replica.upsertProfile({ name: 'py-profile', framedPool: 'pool-py', interimInterval: 600 });
      await replica.upsertSubscriber({ username: 'py-user', password: 'py-secret-pw', profile: 'py-profile' });
    },
  });
});

afterAll(() => server.stop());

it('pyrad: PAP accept and reject, CHAP, accounting Start/Stop, Status-Server', async () => {
  const { auth, acct } = server.radius.ports;
  const before = server.appliance.context.spool.stats().appended;
  // Async: the appliance answers from this process's worker threads while Python waits.
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', SCRIPT], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(JSON.stringify({ auth, acct, secret: SECRET }));
  });
  const replies = JSON.parse(output) as Array<{ code: number; attrs: Record<string, string[]> }>;
  expect(replies.map((reply) => reply.code)).toEqual([2, 3, 2, 5, 5, 2]);
  expect(replies[0]?.attrs['Framed-Pool']).toEqual(['pool-py']);
  expect(replies[0]?.attrs['Acct-Interim-Interval']).toEqual(['600']);
  expect(server.appliance.context.spool.stats().appended).toBe(before + 2);
});
