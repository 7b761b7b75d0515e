// Fuzz: ≥ 100,000 mutated and random datagrams through decode → verify → the
// read paths a handler uses. Proves (1) nothing but RadiusDecodeError (or, when
// encoding a reply, RadiusEncodeError) is ever thrown, and (2) no datagram
// verifies as validly signed unless its significant octets (up to Length) are
// exactly those of a packet we signed. Seeded, so every failure replays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authenticateChap,
  authenticateMsChapV2,
  authenticatePap,
  buildReply,
  buildRequest,
  decodePacket,
  entryType,
  entryValue,
  entryVendorId,
  KNOWN_CODES,
  PacketCode,
  RadiusDecodeError,
  RadiusEncodeError,
  readAgentIds,
  readTag,
  readValue,
  verifyReply,
  verifyRequest,
} from '../../../appliance/radius/index.ts';
import type {
  AttributeInput,
  RadiusDecodeReason,
  RadiusPacket,
  VerifyOutcome,
} from '../../../appliance/radius/index.ts';
import { dictionary, hex, SECRET, seededRandom } from './helpers.ts';

// RADIUS_FUZZ_SCALE=10 runs the ≥ 1M-datagram version of the same test.
const SCALE = Number(process.env.RADIUS_FUZZ_SCALE ?? 1);
const MUTATED = 80_000 * SCALE;
const RANDOM = 20_000 * SCALE;
const PROPERTY_RUNS = 10_000 * SCALE;
const STRICT = { requireMessageAuthenticator: true };
const CREDENTIAL = { kind: 'cleartext', password: 'fuzz-password' } as const;

interface Seed {
  readonly data: Buffer;
  /** For replies: the authenticator of the request they answer. */
  readonly requestAuthenticator?: Buffer;
}

function seedCorpus(): Seed[] {
  const user: AttributeInput[] = [
    { attribute: 'User-Name', value: 'fuzz@example' },
    { attribute: 'NAS-IP-Address', value: '192.0.2.10' },
    { attribute: 'NAS-Port-Type', value: 'Ethernet' },
    { attribute: 'Calling-Station-Id', value: '00-11-22-33-44-55' },
    { attribute: 'ADSL-Agent-Circuit-Id', value: 'olt1 pon 0/1/2' },
    { attribute: 'Mikrotik-Realm', value: 'isp' },
  ];
  const requests: Buffer[] = [
    buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        attributes: [...user, { attribute: 'User-Password', value: 'fuzz-password' }],
      },
      dictionary,
    ),
    buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 2,
        secret: SECRET,
        attributes: [
          ...user,
          { attribute: 'CHAP-Password', value: Buffer.alloc(17, 3) },
          { attribute: 'CHAP-Challenge', value: Buffer.alloc(16, 9) },
        ],
      },
      dictionary,
    ),
    buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 3,
        secret: SECRET,
        attributes: [
          ...user,
          { attribute: 'MS-CHAP-Challenge', value: Buffer.alloc(16, 1) },
          { attribute: 'MS-CHAP2-Response', value: Buffer.alloc(50, 2) },
          { attribute: 'Proxy-State', value: hex('0102') },
        ],
      },
      dictionary,
    ),
    buildRequest(
      {
        code: PacketCode.statusServer,
        identifier: 4,
        secret: SECRET,
        attributes: [{ attribute: 'NAS-Identifier', value: 'bng1' }],
      },
      dictionary,
    ),
    buildRequest(
      {
        code: PacketCode.accountingRequest,
        identifier: 5,
        secret: SECRET,
        attributes: [
          ...user,
          { attribute: 'Acct-Status-Type', value: 'Interim-Update' },
          { attribute: 'Acct-Session-Id', value: '81a0001f' },
          { attribute: 'Acct-Input-Octets', value: 123456789 },
          { attribute: 'Acct-Input-Gigawords', value: 3 },
          { attribute: 'Event-Timestamp', value: 1720519200 },
          { attribute: 'Framed-IPv6-Prefix', value: '2001:db8:1::/64' },
        ],
      },
      dictionary,
    ),
    buildRequest(
      {
        code: PacketCode.accountingRequest,
        identifier: 6,
        secret: SECRET,
        messageAuthenticator: true,
        attributes: [{ attribute: 'Acct-Status-Type', value: 'Accounting-On' }],
      },
      dictionary,
    ),
    buildRequest(
      {
        code: PacketCode.coaRequest,
        identifier: 7,
        secret: SECRET,
        attributes: [
          { attribute: 'Acct-Session-Id', value: 's1' },
          { attribute: 'Mikrotik-Rate-Limit', value: '1M/1M' },
        ],
      },
      dictionary,
    ),
    buildRequest(
      {
        code: PacketCode.disconnectRequest,
        identifier: 8,
        secret: SECRET,
        messageAuthenticator: true,
        attributes: [{ attribute: 'User-Name', value: 'x' }],
      },
      dictionary,
    ),
  ];
  const seeds: Seed[] = requests.map((data) => ({ data }));
  const access = decodePacket(requests[0] ?? Buffer.alloc(0), dictionary);
  const accept: AttributeInput[] = [
    { attribute: 'Framed-IP-Address', value: '100.64.3.4' },
    { attribute: 'Tunnel-Password', value: 'tunnel', tag: 1 },
    { attribute: 'MS-MPPE-Send-Key', value: Buffer.alloc(16, 7) },
    { attribute: 'Cisco-AVPair', value: 'subscriber:sub-qos-policy-in=UP' },
  ];
  seeds.push({
    data: buildReply(access, PacketCode.accessAccept, accept, SECRET, dictionary),
    requestAuthenticator: access.authenticator,
  });
  const accounting = decodePacket(requests[4] ?? Buffer.alloc(0), dictionary);
  seeds.push({
    data: buildReply(accounting, PacketCode.accountingResponse, [], SECRET, dictionary),
    requestAuthenticator: accounting.authenticator,
  });
  return seeds;
}

const SEEDS = seedCorpus();
const SIGNED = new Set(SEEDS.map((seed) => seed.data.toString('hex')));

const REPLY_CODES = new Set<number>([2, 3, 5, 11, 41, 42, 44, 45]);

/**
 * Everything a handler does with a datagram. Returns the verification outcome,
 * or the decode failure reason. Throws (failing the test) on anything else.
 */
function handle(
  datagram: Buffer,
  requestAuthenticator: Buffer | undefined,
): { outcome: VerifyOutcome | RadiusDecodeReason; packet?: RadiusPacket } {
  let packet: RadiusPacket;
  try {
    packet = decodePacket(datagram, dictionary);
  } catch (error) {
    if (error instanceof RadiusDecodeError) return { outcome: error.reason };
    throw error;
  }
  for (let index = 0; index < packet.attributeCount; index++) {
    const def = dictionary.attributeByCode(entryVendorId(packet, index), entryType(packet, index));
    if (def) {
      readValue(def, entryValue(packet, index));
      readTag(def, entryValue(packet, index));
    }
  }
  readAgentIds(packet);
  // A client requires Message-Authenticator on replies to Access-Requests (which always carry one here).
  const replyOptions = { requireMessageAuthenticator: packet.code !== PacketCode.accountingResponse };
  const outcome = REPLY_CODES.has(packet.code)
    ? verifyReply(packet, requestAuthenticator ?? Buffer.alloc(16), SECRET, replyOptions)
    : verifyRequest(packet, SECRET, STRICT);
  if (packet.code === PacketCode.accessRequest) {
    authenticatePap(packet, SECRET, CREDENTIAL);
    authenticateChap(packet, CREDENTIAL);
    authenticateMsChapV2(packet, CREDENTIAL);
    try {
      buildReply(packet, PacketCode.accessReject, [{ attribute: 'Reply-Message', value: 'no' }], SECRET, dictionary);
    } catch (error) {
      // Only possible failure: the request's Proxy-States do not fit a reply.
      if (!(error instanceof RadiusEncodeError)) throw error;
    }
  }
  return { outcome, packet };
}

function assertNotForged(datagram: Buffer, requestAuthenticator: Buffer | undefined, tally: Map<string, number>): void {
  const { outcome, packet } = handle(datagram, requestAuthenticator);
  tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
  if (outcome === 'ok') {
    // Signed correctly means: the octets that count are exactly one of ours.
    expect(SIGNED.has(packet?.data.toString('hex') ?? ''), datagram.toString('hex')).toBe(true);
  }
}

type Mutation = (data: Buffer, next: () => number) => Buffer;

const int = (next: () => number, max: number): number => Math.floor(next() * max);

const MUTATIONS: readonly Mutation[] = [
  // Flip one to eight bits anywhere.
  (data, next) => {
    const out = Buffer.from(data);
    for (let flips = 1 + int(next, 8); flips > 0; flips--) {
      const at = int(next, out.length);
      out[at] = (out[at] ?? 0) ^ (1 << int(next, 8));
    }
    return out;
  },
  // Overwrite one octet with a random value.
  (data, next) => {
    const out = Buffer.from(data);
    out[int(next, out.length)] = int(next, 256);
    return out;
  },
  // Truncate the datagram.
  (data, next) => data.subarray(0, int(next, data.length)),
  // Append junk past the Length field (must still be the same packet).
  (data, next) => Buffer.concat([data, randomBytes(next, 1 + int(next, 64))]),
  // Rewrite the Length field.
  (data, next) => {
    const out = Buffer.from(data);
    if (out.length >= 4)
      out.writeUInt16BE(int(next, 4) === 0 ? int(next, 65536) : Math.max(0, data.length + int(next, 9) - 4), 2);
    return out;
  },
  // Corrupt an attribute's Length octet.
  (data, next) => {
    const out = Buffer.from(data);
    const at = attributeOffsets(out)[int(next, attributeOffsets(out).length)] ?? 20;
    out[at + 1] = int(next, 256);
    return out;
  },
  // Drop one attribute (and fix the Length field, as an attacker would).
  (data, next) => {
    const offsets = attributeOffsets(data);
    const at = offsets[int(next, offsets.length)] ?? 20;
    return withLength(Buffer.concat([data.subarray(0, at), data.subarray(at + (data[at + 1] ?? 2))]));
  },
  // Duplicate one attribute.
  (data, next) => {
    const offsets = attributeOffsets(data);
    const at = offsets[int(next, offsets.length)] ?? 20;
    const attribute = data.subarray(at, at + (data[at + 1] ?? 2));
    return withLength(Buffer.concat([data, attribute]));
  },
  // Swap two attributes (moves Message-Authenticator, reorders Proxy-State...).
  (data, next) => {
    const offsets = attributeOffsets(data);
    if (offsets.length < 2) return data;
    const first = int(next, offsets.length - 1);
    const a = offsets[first] ?? 20;
    const b = offsets[first + 1] ?? 20;
    const aEnd = a + (data[a + 1] ?? 2);
    const bEnd = b + (data[b + 1] ?? 2);
    return Buffer.concat([
      data.subarray(0, a),
      data.subarray(b, bEnd),
      data.subarray(aEnd, b),
      data.subarray(a, aEnd),
      data.subarray(bEnd),
    ]);
  },
  // Insert a random attribute with a plausible header.
  (data, next) => {
    const value = randomBytes(next, int(next, 40));
    const attribute = Buffer.concat([Buffer.from([int(next, 256), value.length + 2]), value]);
    const offsets = attributeOffsets(data);
    const at = offsets[int(next, offsets.length + 1)] ?? data.length;
    return withLength(Buffer.concat([data.subarray(0, at), attribute, data.subarray(at)]));
  },
  // Splice the head of one signed packet onto the tail of another.
  (data, next) => {
    const other = SEEDS[int(next, SEEDS.length)]?.data ?? data;
    const cut = 20 + int(next, Math.max(1, Math.min(data.length, other.length) - 20));
    return withLength(Buffer.concat([data.subarray(0, cut), other.subarray(cut)]));
  },
  // Change the code to any other known one.
  (data, next) => {
    const out = Buffer.from(data);
    out[0] = [...KNOWN_CODES][int(next, KNOWN_CODES.size)] ?? 1;
    return out;
  },
  // Replace a VSA's vendor id or sub-attribute header.
  (data, next) => {
    const out = Buffer.from(data);
    const vsa = attributeOffsets(out).find((at) => out[at] === 26);
    if (vsa === undefined) return out;
    out[vsa + 2 + int(next, 6)] = int(next, 256);
    return out;
  },
];

function randomBytes(next: () => number, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let index = 0; index < size; index++) out[index] = int(next, 256);
  return out;
}

function attributeOffsets(data: Buffer): number[] {
  const offsets: number[] = [];
  const end = Math.min(data.length, data.length >= 4 ? data.readUInt16BE(2) : 0);
  for (let at = 20; at + 2 <= end && (data[at + 1] ?? 0) >= 2; at += data[at + 1] ?? 2) offsets.push(at);
  return offsets;
}

function withLength(data: Buffer): Buffer {
  if (data.length >= 4) data.writeUInt16BE(Math.min(data.length, 0xffff), 2);
  return data;
}

/** A datagram with a valid header and random, mostly well-framed attributes. */
function randomPacket(next: () => number): Buffer {
  const codes = [...KNOWN_CODES];
  const attributes: Buffer[] = [];
  for (let count = int(next, 20); count > 0; count--) {
    const kind = int(next, 10);
    if (kind === 0) {
      attributes.push(randomBytes(next, 1 + int(next, 8)));
    } else if (kind < 3) {
      const inner = randomBytes(next, 1 + int(next, 30));
      const vendor = [311, 14988, 9, 4874, 2011, 3561, 12345][int(next, 7)] ?? 9;
      const body = Buffer.concat([
        Buffer.from([0, (vendor >> 16) & 255, (vendor >> 8) & 255, vendor & 255, int(next, 40), inner.length + 2]),
        inner,
      ]);
      attributes.push(Buffer.concat([Buffer.from([26, body.length + 2]), body]));
    } else {
      const value = randomBytes(next, 1 + int(next, 40));
      attributes.push(Buffer.concat([Buffer.from([int(next, 256), value.length + 2]), value]));
    }
  }
  const header = Buffer.from([codes[int(next, codes.length)] ?? 1, int(next, 256), 0, 0]);
  return withLength(Buffer.concat([header, randomBytes(next, 16), ...attributes]));
}

describe('fuzz: malformed, mutated and forged datagrams', () => {
  it('the signed seed packets themselves verify', () => {
    for (const seed of SEEDS) expect(handle(seed.data, seed.requestAuthenticator).outcome).toBe('ok');
  });

  it(`${MUTATED.toLocaleString('en')} mutations of signed packets: only typed errors, nothing forged verifies`, () => {
    const next = seededRandom(0x5eed);
    const tally = new Map<string, number>();
    for (let round = 0; round < MUTATED; round++) {
      const seed = SEEDS[round % SEEDS.length] as Seed;
      let datagram = seed.data;
      for (let steps = 1 + int(next, 3); steps > 0; steps--)
        datagram = (MUTATIONS[int(next, MUTATIONS.length)] as Mutation)(datagram, next);
      assertNotForged(datagram, seed.requestAuthenticator, tally);
    }
    // The run must reach deep: most mutants decode, and every failure kind shows up.
    const decoded = [...tally]
      .filter(([outcome]) => !isDecodeReason(outcome))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(decoded).toBeGreaterThan(MUTATED / 4);
    for (const reason of [
      'truncated_attribute',
      'bad_attribute_length',
      'bad_value_length',
      'bad_vsa',
      'bad_message_authenticator',
      'bad_authenticator',
    ]) {
      expect(tally.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
  });

  it(`${RANDOM.toLocaleString('en')} random datagrams: only typed errors, none verifies`, () => {
    const next = seededRandom(0xf00d);
    const tally = new Map<string, number>();
    for (let round = 0; round < RANDOM; round++) {
      const datagram = round % 4 === 0 ? randomBytes(next, int(next, 120)) : randomPacket(next);
      assertNotForged(datagram, randomBytes(next, 16), tally);
    }
    expect(tally.get('ok') ?? 0).toBe(0);
  });

  it(`fast-check: ${PROPERTY_RUNS.toLocaleString('en')} arbitrary byte strings behind a valid header`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KNOWN_CODES),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 300 }),
        (code, authenticator, body) => {
          const datagram = withLength(Buffer.concat([Buffer.from([code, 0, 0, 0]), authenticator, body]));
          const { outcome } = handle(datagram, Buffer.from(authenticator));
          return outcome !== 'ok';
        },
      ),
      { numRuns: PROPERTY_RUNS, seed: 3579 },
    );
  });
});

function isDecodeReason(outcome: string): boolean {
  return [
    'short_packet',
    'length_mismatch',
    'unknown_code',
    'truncated_attribute',
    'bad_attribute_length',
    'bad_value_length',
    'bad_vsa',
    'duplicate_message_authenticator',
  ].includes(outcome);
}
