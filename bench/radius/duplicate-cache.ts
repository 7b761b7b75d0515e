// Micro-bench: the RFC 5080 duplicate table shared by the RADIUS worker threads
// (appliance/radius/server/duplicate-cache.ts). Per request the packet loop pays one
// begin() (a miss that claims a slot) and one complete() (stores the reply); a
// retransmit pays one begin() that finds the cached reply. Speed is reported, never
// asserted.
//
//   node bench/radius/duplicate-cache.ts [--keys N] [--rounds R] [--rate REQ_PER_S] [--out FILE]
//
// Writes bench/results/radius-duplicate-cache.json (or --out) with the command that made it.
import { randomBytes, randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { allocateDuplicateCache, openDuplicateCache } from '../../appliance/radius/server/duplicate-cache.ts';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '50000' },
    out: { type: 'string', default: 'bench/results/radius-duplicate-cache.json' },
  },
});
const KEYS = Number(args.keys);
const ROUNDS = Number(args.rounds);
const RATE = Number(args.rate);

// Requests as the packet loop sees them: a datagram (Identifier at 1, Request
// Authenticator at 4..20), the source address as dgram reports it, the source port.
// One block, so that fresh authenticators for a pass are one randomFillSync and the
// timed loops run without garbage from the harness.
const block = Buffer.alloc(KEYS * 120);
const datagrams = Array.from({ length: KEYS }, (_, index) => block.subarray(index * 120, (index + 1) * 120));
const addresses = Array.from({ length: 64 }, (_, index) => `10.20.${index >> 4}.${index & 15}`);
const sources = datagrams.map((_, index) => ({
  address: addresses[index % addresses.length] ?? '',
  port: 1024 + (index % 16),
}));
// A typical Access-Accept (Message-Authenticator, rate limit, pool, timeouts).
const reply = randomBytes(110);

// A steady state, not a cold start: the table's pages are touched by a warm-up of
// `keys` requests first (a fresh SharedArrayBuffer costs a page fault per first
// touch, which a running server paid long ago). The clock advances at --rate
// requests/s, so entries expire and buckets evict the oldest as in service; the
// retransmits looked up are requests from the last second.
type Phase = 'new' | 'hit';
const results: Record<Phase, number[]> = { new: [], hit: [] };
const hitRates: number[] = [];
const cache = openDuplicateCache(allocateDuplicateCache(), 0);
let clock = Date.now();
const tick = 1_000 / RATE;
const lookup = (index: number) => {
  const source = sources[index]!;
  return cache.begin(datagrams[index]!, source.address, source.port, clock);
};
const admit = (index: number) => {
  const claim = lookup(index);
  if (typeof claim === 'number' && claim >= 0) cache.complete(claim, reply, clock);
  clock += tick;
};
// Fresh authenticators for every pass, so each request is new to the table.
const refresh = () => {
  randomFillSync(block);
  datagrams.forEach((datagram, index) => {
    datagram[0] = 1;
    datagram[1] = index & 0xff;
  });
};
refresh();
for (let index = 0; index < KEYS; index++) admit(index);
const recent = Math.min(KEYS, RATE);
for (let round = 0; round < ROUNDS; round++) {
  refresh();
  let started = process.hrtime.bigint();
  for (let index = 0; index < KEYS; index++) admit(index);
  results.new.push(Number(process.hrtime.bigint() - started) / KEYS);
  started = process.hrtime.bigint();
  let hits = 0;
  for (let index = KEYS - recent; index < KEYS; index++) if (typeof lookup(index) !== 'number') hits++;
  results.hit.push(Number(process.hrtime.bigint() - started) / recent);
  hitRates.push(hits / recent);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const summary = {
  bench: 'radius-duplicate-cache',
  command: `node ${relative(process.cwd(), process.argv[1] ?? '')} ${process.argv.slice(2).join(' ')}`.trim(),
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
  node: process.version,
  keys: KEYS,
  rounds: ROUNDS,
  rate: RATE,
  retransmitsAnsweredFromCache: Math.min(...hitRates),
  nsPerRequest: { newRequest: Math.round(median(results.new)), cachedHit: Math.round(median(results.hit)) },
  allRoundsNs: { newRequest: results.new.map(Math.round), cachedHit: results.hit.map(Math.round) },
};
const out = resolve(args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary.nsPerRequest), '→', relative(process.cwd(), out));
