// Micro-bench (issue 12 item 11): the JavaScript MD5 of appliance/radius/md5.ts, as
// digest.ts uses it, against node:crypto used well, for what RADIUS hashes per packet:
//   packet      MD5(Code+Id+Length + authenticator + attributes + secret), RFC 2865 §3
//   hmac        HMAC-MD5 Message-Authenticator, RFC 3579 §3.2 (key: createSecretKey, made once per NAS)
//   keystream   MD5(secret + 16 octets), one User-Password block, RFC 2865 §5.2
// node:crypto is tried two ways where it can be: createHash/createHmac with one update
// per part, and the message assembled in a scratch buffer and hashed with one call
// (crypto.hash for MD5; one update for HMAC). Every variant's output is checked against
// the others before timing. Each variant is timed by CPU time (process.cpuUsage: this
// machine is shared, and wall time counts the time other processes had the core) and
// by wall time. Speed is reported, never asserted.
//
//   node bench/radius/md5.ts [--iterations N] [--rounds R] [--out FILE]
//
// Writes bench/results/radius-md5.json (or --out) with the command that made it.
import { createHash, createHmac, createSecretKey, hash, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { hmacMd5Packet, md5Keystream, md5Packet } from '../../appliance/radius/digest.ts';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/radius-md5.json' },
  },
});
const ITERATIONS = Number(args.iterations);
const ROUNDS = Number(args.rounds);

// A MikroTik-sized Access-Request (~120 octets, Message-Authenticator at 22) and a
// typical Access-Accept (~150 octets); a 16-character secret as clients.conf has.
const secret = Buffer.from('mikrotik-secret1');
const key: KeyObject = createSecretKey(secret);
const request = randomBytes(120);
request.writeUInt16BE(request.length, 2);
const accept = randomBytes(150);
accept.writeUInt16BE(accept.length, 2);
const requestAuthenticator = request.subarray(4, 20);
const MA_OFFSET = 22;
const out = Buffer.alloc(16);
const scratch = Buffer.alloc(4096 + 256);
const ZERO16 = Buffer.alloc(16);

// --- node:crypto variants -----------------------------------------------------------
const cryptoPacketParts = (data: Buffer, field: Buffer) =>
  createHash('md5')
    .update(data.subarray(0, 4))
    .update(field)
    .update(data.subarray(20))
    .update(secret)
    .digest()
    .copy(out);
const cryptoPacketOneShot = (data: Buffer, field: Buffer) => {
  data.copy(scratch, 0);
  field.copy(scratch, 4);
  secret.copy(scratch, data.length);
  hash('md5', scratch.subarray(0, data.length + secret.length), 'buffer').copy(out);
};
const cryptoHmacParts = (data: Buffer) =>
  createHmac('md5', key)
    .update(data.subarray(0, MA_OFFSET))
    .update(ZERO16)
    .update(data.subarray(MA_OFFSET + 16))
    .digest()
    .copy(out);
const cryptoHmacAssembled = (data: Buffer) => {
  data.copy(scratch, 0);
  scratch.fill(0, MA_OFFSET, MA_OFFSET + 16);
  createHmac('md5', key).update(scratch.subarray(0, data.length)).digest().copy(out);
};
const cryptoKeystreamParts = (seed: Buffer) => createHash('md5').update(secret).update(seed).digest().copy(out);
const cryptoKeystreamOneShot = (seed: Buffer) => {
  secret.copy(scratch, 0);
  seed.copy(scratch, secret.length);
  hash('md5', scratch.subarray(0, secret.length + seed.length), 'buffer').copy(out);
};
// --- the JavaScript MD5 (digest.ts) ---------------------------------------------------
const jsPacket = (data: Buffer, field: Buffer) => md5Packet(data, field, secret, out, 0);
const jsHmac = (data: Buffer) => hmacMd5Packet(data, data.subarray(4, 20), MA_OFFSET, secret, out, 0);
const jsKeystream = (seed: Buffer) => md5Keystream(secret, seed, undefined, out);

type Case = { use: string; variant: string; run: () => void };
const cases: Case[] = [
  { use: 'packet', variant: 'js-md5', run: () => jsPacket(accept, requestAuthenticator) },
  { use: 'packet', variant: 'createHash-parts', run: () => cryptoPacketParts(accept, requestAuthenticator) },
  { use: 'packet', variant: 'crypto.hash-assembled', run: () => cryptoPacketOneShot(accept, requestAuthenticator) },
  { use: 'hmac', variant: 'js-md5', run: () => jsHmac(request) },
  { use: 'hmac', variant: 'createHmac-secretKey-parts', run: () => cryptoHmacParts(request) },
  { use: 'hmac', variant: 'createHmac-secretKey-assembled', run: () => cryptoHmacAssembled(request) },
  { use: 'keystream', variant: 'js-md5', run: () => jsKeystream(requestAuthenticator) },
  { use: 'keystream', variant: 'createHash-parts', run: () => cryptoKeystreamParts(requestAuthenticator) },
  { use: 'keystream', variant: 'crypto.hash-assembled', run: () => cryptoKeystreamOneShot(requestAuthenticator) },
];

// Every variant of a use must produce the same 16 octets.
for (const use of new Set(cases.map((entry) => entry.use))) {
  const outputs = cases
    .filter((entry) => entry.use === use)
    .map((entry) => {
      entry.run();
      return out.toString('hex');
    });
  if (new Set(outputs).size !== 1) throw new Error(`${use}: variants disagree: ${outputs.join(' ')}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rounds: Record<string, number[]> = {};
const wallRounds: Record<string, number[]> = {};
const started = { loadavg: loadavg() };
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved: each round times every variant once, so load changes hit all alike.
  for (const entry of cases) {
    for (let index = 0; index < 2_000; index++) entry.run();
    const cpu = process.cpuUsage();
    const begin = process.hrtime.bigint();
    for (let index = 0; index < ITERATIONS; index++) entry.run();
    const wallNs = Number(process.hrtime.bigint() - begin) / ITERATIONS;
    const used = process.cpuUsage(cpu);
    const cpuNs = ((used.user + used.system) * 1_000) / ITERATIONS;
    (rounds[`${entry.use}/${entry.variant}`] ??= []).push(Math.round(cpuNs));
    (wallRounds[`${entry.use}/${entry.variant}`] ??= []).push(Math.round(wallNs));
  }
}

const nsPerOperation: Record<string, Record<string, number>> = {};
const wallNsPerOperation: Record<string, Record<string, number>> = {};
for (const entry of cases) {
  const name = `${entry.use}/${entry.variant}`;
  (nsPerOperation[entry.use] ??= {})[entry.variant] = median(rounds[name] ?? []);
  (wallNsPerOperation[entry.use] ??= {})[entry.variant] = median(wallRounds[name] ?? []);
}
const fastestCrypto = Object.fromEntries(
  Object.entries(nsPerOperation).map(([use, variants]) => [
    use,
    Math.min(...Object.entries(variants).flatMap(([variant, ns]) => (variant === 'js-md5' ? [] : [ns]))),
  ]),
);
const jsOverCrypto = Object.fromEntries(
  Object.entries(nsPerOperation).map(([use, variants]) => [
    use,
    Number(((variants['js-md5'] ?? 0) / (fastestCrypto[use] ?? 1)).toFixed(2)),
  ]),
);

const result = {
  bench: 'radius-md5',
  command: `node bench/radius/md5.ts --iterations ${ITERATIONS} --rounds ${ROUNDS}`,
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    loadavg: { start: started.loadavg, end: loadavg() },
  },
  node: process.version,
  openssl: process.versions.openssl,
  sizes: { request: request.length, accept: accept.length, secret: secret.length },
  /** Median over rounds, CPU ns (user + system) per operation. */
  nsPerOperation,
  /** js-md5 CPU time ÷ the fastest node:crypto variant's: below 1, the JavaScript MD5 is faster. */
  jsOverCrypto,
  /** Median over rounds, wall-clock ns per operation (includes time other processes held the core). */
  wallNsPerOperation,
  allRoundsCpuNs: rounds,
  allRoundsWallNs: wallRounds,
};
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify({ nsPerOperation, jsOverCrypto, loadavg: result.machine.loadavg }, null, 2));
