// Micro-bench: decode + verify + encode per packet, our codec against the npm
// `radius` package, on MikroTik-shaped PAP Access-Requests (with and without
// Message-Authenticator) and Accounting-Requests. Speed is reported, never asserted.
//
//   node bench/radius/codec.ts [--packets N] [--rounds R] [--out FILE]
//
// Writes bench/results/radius-codec.json (or --out) with the command that made it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import radius from 'radius';
import {
  authenticatePap,
  buildReply,
  buildRequest,
  decodePacket,
  encodePacket,
  loadDictionary,
  locateVendorDictionaries,
  PacketCode,
  renderRateLimit,
  signPacket,
  verifyRequest,
} from '../../appliance/radius/index.ts';
import type { AttributeInput, Dictionary } from '../../appliance/radius/index.ts';

const { values: args } = parseArgs({
  options: {
    packets: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/radius-codec.json' },
  },
});
const PACKETS = Number(args.packets);
const ROUNDS = Number(args.rounds);
const SECRET = Buffer.from('bench-shared-secret');
const SECRET_TEXT = SECRET.toString();
const PASSWORD = 'subscriber-password';
const dictionary: Dictionary = loadDictionary();
// The radius package gets our vendor dictionaries too (for Mikrotik-Rate-Limit).
radius.add_dictionary(dirname(locateVendorDictionaries()));

const REQUEST_ATTRIBUTES: AttributeInput[] = [
  { attribute: 'User-Name', value: 'sub0004217' },
  { attribute: 'User-Password', value: PASSWORD },
  { attribute: 'Service-Type', value: 'Framed-User' },
  { attribute: 'Framed-Protocol', value: 'PPP' },
  { attribute: 'NAS-Port', value: 15728660 },
  { attribute: 'NAS-Port-Type', value: 'Ethernet' },
  { attribute: 'NAS-Port-Id', value: 'vlan100' },
  { attribute: 'Calling-Station-Id', value: '4C:5E:0C:11:22:33' },
  { attribute: 'Called-Station-Id', value: 'pppoe-svc' },
  { attribute: 'NAS-Identifier', value: 'bng-1' },
  { attribute: 'NAS-IP-Address', value: '10.255.0.1' },
  { attribute: 'Acct-Session-Id', value: '81a0042f' },
  { attribute: 'Mikrotik-Realm', value: 'isp' },
];

const REPLY_ATTRIBUTES: AttributeInput[] = [
  { attribute: 'Service-Type', value: 'Framed-User' },
  { attribute: 'Framed-Protocol', value: 'PPP' },
  { attribute: 'Framed-IP-Address', value: '100.64.17.33' },
  { attribute: 'Session-Timeout', value: 86400 },
  { attribute: 'Idle-Timeout', value: 600 },
  { attribute: 'Acct-Interim-Interval', value: 300 },
  ...renderRateLimit('mikrotik', { uploadKbps: 10_000, downloadKbps: 50_000 }),
];

// The same reply for the radius package, in its [name, value] form.
const RADIUS_REPLY: Array<[string, ...unknown[]]> = [
  ['Service-Type', 'Framed-User'],
  ['Framed-Protocol', 'PPP'],
  ['Framed-IP-Address', '100.64.17.33'],
  ['Session-Timeout', 86400],
  ['Idle-Timeout', 600],
  ['Acct-Interim-Interval', 300],
  ['Vendor-Specific', 'Mikrotik', [['Mikrotik-Rate-Limit', '10M/50M']]],
];

const ACCOUNTING_ATTRIBUTES: AttributeInput[] = [
  ...REQUEST_ATTRIBUTES.filter((input) => input.attribute !== 'User-Password'),
  { attribute: 'Acct-Status-Type', value: 'Interim-Update' },
  { attribute: 'Acct-Session-Time', value: 3600 },
  { attribute: 'Acct-Input-Octets', value: 123456789 },
  { attribute: 'Acct-Output-Octets', value: 987654321 },
  { attribute: 'Acct-Input-Gigawords', value: 1 },
  { attribute: 'Acct-Output-Gigawords', value: 4 },
  { attribute: 'Framed-IP-Address', value: '100.64.17.33' },
];

const accessWithMa = buildRequest(
  { code: PacketCode.accessRequest, identifier: 7, secret: SECRET, attributes: REQUEST_ATTRIBUTES },
  dictionary,
);
const accessWithoutMa = buildRequest(
  {
    code: PacketCode.accessRequest,
    identifier: 7,
    secret: SECRET,
    attributes: REQUEST_ATTRIBUTES,
    messageAuthenticator: false,
  },
  dictionary,
);
const accounting = buildRequest(
  { code: PacketCode.accountingRequest, identifier: 8, secret: SECRET, attributes: ACCOUNTING_ATTRIBUTES },
  dictionary,
);
const credential = { kind: 'cleartext', password: PASSWORD } as const;

/** Ours, as the server will run it: decode, verify, PAP, Access-Accept with Message-Authenticator first. */
function oursAccess(datagram: Buffer, requireMessageAuthenticator: boolean): Buffer {
  const request = decodePacket(datagram, dictionary);
  if (verifyRequest(request, SECRET, { requireMessageAuthenticator }) !== 'ok') throw new Error('verify failed');
  if (!authenticatePap(request, SECRET, credential).ok) throw new Error('PAP failed');
  return buildReply(request, PacketCode.accessAccept, REPLY_ATTRIBUTES, SECRET, dictionary);
}

/** Ours without any Message-Authenticator, reply included: like for like with the radius package's default. */
function oursAccessUnsigned(datagram: Buffer): Buffer {
  const request = decodePacket(datagram, dictionary);
  if (verifyRequest(request, SECRET, { requireMessageAuthenticator: false }) !== 'ok') throw new Error('verify failed');
  if (!authenticatePap(request, SECRET, credential).ok) throw new Error('PAP failed');
  const reply = encodePacket(
    {
      code: PacketCode.accessAccept,
      identifier: request.identifier,
      authenticator: request.authenticator,
      attributes: REPLY_ATTRIBUTES,
      messageAuthenticator: false,
      secret: SECRET,
      cryptAuthenticator: request.authenticator,
    },
    dictionary,
  );
  signPacket(reply.data, -1, SECRET, true);
  return reply.data;
}

/**
 * The radius package: decode (reveals User-Password, checks Message-Authenticator if present), compare,
 * encode_response.
 */
function theirsAccess(datagram: Buffer): Buffer {
  const request = radius.decode({ packet: datagram, secret: SECRET_TEXT });
  if (request.attributes['User-Password'] !== PASSWORD) throw new Error('PAP failed');
  return radius.encode_response({
    packet: request,
    code: 'Access-Accept',
    secret: SECRET_TEXT,
    attributes: RADIUS_REPLY.map((a) => [...a]),
  });
}

function oursAccounting(datagram: Buffer): Buffer {
  const request = decodePacket(datagram, dictionary);
  if (verifyRequest(request, SECRET, { requireMessageAuthenticator: false }) !== 'ok') throw new Error('verify failed');
  return buildReply(request, PacketCode.accountingResponse, [], SECRET, dictionary);
}

function theirsAccounting(datagram: Buffer): Buffer {
  const request = radius.decode({ packet: datagram, secret: SECRET_TEXT });
  return radius.encode_response({ packet: request, code: 'Accounting-Response', secret: SECRET_TEXT, attributes: [] });
}

interface Measurement {
  readonly wall_us_per_packet: number;
  readonly cpu_us_per_packet: number;
}

/** Median over rounds of wall and process CPU time per packet, after a warm-up round. */
function measure(run: () => unknown): Measurement {
  for (let index = 0; index < Math.min(PACKETS, 20_000); index++) run();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cpuStart = process.cpuUsage();
    const wallStart = process.hrtime.bigint();
    for (let index = 0; index < PACKETS; index++) run();
    const wall = Number(process.hrtime.bigint() - wallStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    walls.push(wall / PACKETS);
    cpus.push((cpu.user + cpu.system) / PACKETS);
  }
  return { wall_us_per_packet: round3(median(walls)), cpu_us_per_packet: round3(median(cpus)) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

// Each side must produce replies the other side's verifier accepts before it is timed.
if (
  !radius.verify_response({
    request: Buffer.from(accessWithMa),
    response: oursAccess(accessWithMa, true),
    secret: SECRET_TEXT,
  })
) {
  throw new Error('radius package rejects our reply');
}

const scenarios = {
  access_request_pap_without_message_authenticator: {
    ours: measure(() => oursAccessUnsigned(accessWithoutMa)),
    radius: measure(() => theirsAccess(accessWithoutMa)),
  },
  access_request_pap_with_message_authenticator: {
    ours: measure(() => oursAccess(accessWithMa, true)),
    radius: measure(() => theirsAccess(accessWithMa)),
  },
  accounting_request_interim: {
    ours: measure(() => oursAccounting(accounting)),
    radius: measure(() => theirsAccounting(accounting)),
  },
};

const summary = Object.fromEntries(
  Object.entries(scenarios).map(([name, { ours, radius: theirs }]) => [
    name,
    { ours, radius: theirs, speedup_cpu: round3(theirs.cpu_us_per_packet / ours.cpu_us_per_packet) },
  ]),
);

const outFile = resolve(args.out);
const result = {
  command:
    `node ${relative(process.cwd(), process.argv[1] ?? 'bench/radius/codec.ts')} --packets ${PACKETS} ` +
    `--rounds ${ROUNDS} --out ${relative(process.cwd(), outFile)}`,
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  load_average_at_start: loadavg().map(round3),
  packets_per_round: PACKETS,
  rounds: ROUNDS,
  what:
    'µs per packet, median of rounds: decode + verify (+ PAP for Access-Request) + encode and sign the reply. ' +
    'Ours with Message-Authenticator always puts it first in the Access-Accept; the radius package adds it (last) ' +
    'only when the request had one.',
  request_octets: {
    access_with_ma: accessWithMa.length,
    access_without_ma: accessWithoutMa.length,
    accounting: accounting.length,
  },
  scenarios: summary,
};

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
