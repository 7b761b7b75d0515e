// Cross-check against the npm `radius` package (1.1.4): the same packets decoded by
// both must give the same attribute values, and each side must accept the other's
// signatures. Its dictionaries are the ones we load; ours are added to it.
import { dirname } from 'node:path';
import radius from 'radius';
import { describe, expect, it } from 'vitest';
import {
  buildReply,
  buildRequest,
  decodePacket,
  entryType,
  entryValue,
  entryVendorId,
  locateVendorDictionaries,
  PacketCode,
  readTag,
  readValue,
  revealUserPassword,
  verifyRequest,
} from '../../../appliance/radius/index.ts';
import type { AttributeDef, AttributeInput, RadiusPacket } from '../../../appliance/radius/index.ts';
import { dictionary, SECRET, seededRandom } from './helpers.ts';

radius.add_dictionary(dirname(locateVendorDictionaries()));

const CASES = 600;
const random = seededRandom(1812);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const integer = (max: number): number => Math.floor(random() * (max + 1));
const printable = (length: number): string =>
  Array.from({ length }, () => String.fromCharCode(0x20 + integer(0x5e))).join('');

// Everything an encoder may be given, except what the encoder adds itself
// (Message-Authenticator), the raw VSA container, and tagged salted values
// (the radius package reads Tunnel-Password as a lossy UTF-8 string).
const CANDIDATES = dictionary
  .listAttributes()
  .filter((def) => dictionary.attributeByCode(def.vendorId, def.type) === def)
  .filter((def) => !(def.vendorId === 0 && [26, 80, 2].includes(def.type)))
  .filter((def) => def.dataType !== 'vsa' && !(def.encrypt === 2 && def.hasTag) && def.encrypt !== 1);

function randomValue(def: AttributeDef): { value: AttributeInput['value']; tag?: number } {
  const tag = def.hasTag ? 1 + integer(30) : undefined;
  switch (def.dataType) {
    case 'string':
      // A has_tag string starting with an octet ≤ 0x1F would read as a tag; printable text never does.
      return { value: printable(1 + integer(60)), tag: tag !== undefined && random() < 0.5 ? tag : undefined };
    case 'integer': {
      const names = [...def.values.keys()];
      if (names.length && random() < 0.5) return { value: pick(names), tag };
      return { value: integer(def.hasTag ? 0xffffff : 0xffffffff), tag };
    }
    case 'date':
      return { value: integer(0xffffffff) };
    case 'ipaddr':
      return { value: [integer(255), integer(255), integer(255), integer(255)].join('.') };
    case 'ipv6addr':
      return { value: Array.from({ length: 8 }, () => integer(0xffff).toString(16)).join(':') };
    case 'ipv6prefix': {
      const bits = integer(128);
      return { value: `${Array.from({ length: 8 }, () => integer(0xffff).toString(16)).join(':')}/${bits}` };
    }
    case 'ifid':
      return { value: Array.from({ length: 4 }, () => integer(0xffff).toString(16)).join(':') };
    case 'short':
      return { value: integer(0xffff) };
    case 'byte':
      return { value: integer(0xff) };
    default: {
      // Sizes inside the dictionary's length rule (min | max << 8), e.g. CHAP-Password's 17.
      const rule = def.vendorId === 0 ? (dictionary.rules.standard[def.type] ?? 0) : 0;
      const min = def.fixedLength || Math.max(1, rule & 0xff);
      const max = def.fixedLength || Math.min(60, (rule >>> 8) & 0xff || 60);
      const size = def.encrypt === 2 ? 1 + integer(30) : min + integer(max - min);
      return { value: Buffer.from(Array.from({ length: size }, () => integer(255))) };
    }
  }
}

/** Our decode of every attribute, in the shape the radius package produces. */
function expectedAttributes(packet: RadiusPacket, userPassword?: string): Record<string, unknown> {
  const top: Record<string, unknown> = {};
  const vendor: Record<string, unknown> = {};
  for (let index = 0; index < packet.attributeCount; index++) {
    const vendorId = entryVendorId(packet, index);
    const type = entryType(packet, index);
    const def = dictionary.attributeByCode(vendorId, type);
    if (!def) throw new Error(`no definition for ${vendorId}:${type}`);
    if (vendorId === 0 && type === 80) continue; // Message-Authenticator: compared by verification, not value.
    const raw = entryValue(packet, index);
    let value: unknown;
    if (def.vendorId === 0 && def.type === 2) {
      value = userPassword;
    } else if (['string', 'integer', 'ipaddr', 'date'].includes(def.dataType) && def.encrypt === 0) {
      const typed = readValue(def, raw);
      value = def.dataType === 'date' ? new Date(Number(typed) * 1000) : typed;
      if (def.dataType === 'integer') value = def.valueNames.get(Number(typed)) ?? typed;
      const tag = readTag(def, raw);
      if (tag !== undefined) value = [tag, value];
    } else {
      value = Buffer.from(raw);
    }
    // randomAttributes never repeats an attribute, so one value per name.
    (vendorId === 0 ? top : vendor)[def.name] = value;
  }
  if (Object.keys(vendor).length) top['Vendor-Specific'] = vendor;
  return top;
}

function randomAttributes(count: number): AttributeInput[] {
  const attributes: AttributeInput[] = [];
  const used = new Set<AttributeDef>();
  for (let index = 0; index < count; index++) {
    const def = pick(CANDIDATES);
    // One of each keeps the radius package's "array on repeat" shape unambiguous.
    if (used.has(def)) continue;
    used.add(def);
    attributes.push({ attribute: def, ...randomValue(def) });
  }
  return attributes;
}

describe('our encoder, decoded by the radius package', () => {
  it(`${CASES} random Access-Requests, Accounting-Requests and Access-Accepts decode to the same values`, () => {
    let compared = 0;
    for (let round = 0; round < CASES; round++) {
      const attributes = randomAttributes(1 + integer(14));
      const kind = round % 3;
      let data: Buffer;
      let password: string | undefined;
      if (kind === 0) {
        password = printable(1 + integer(40));
        data = buildRequest(
          {
            code: PacketCode.accessRequest,
            identifier: round & 255,
            secret: SECRET,
            attributes: [{ attribute: 'User-Password', value: password }, ...attributes],
          },
          dictionary,
        );
      } else if (kind === 1) {
        data = buildRequest(
          { code: PacketCode.accountingRequest, identifier: round & 255, secret: SECRET, attributes },
          dictionary,
        );
      } else {
        const request = decodePacket(
          buildRequest(
            { code: PacketCode.accessRequest, identifier: round & 255, secret: SECRET, attributes: [] },
            dictionary,
          ),
          dictionary,
        );
        data = buildReply(request, PacketCode.accessAccept, attributes, SECRET, dictionary);
      }
      const ours = decodePacket(data, dictionary);
      // The radius package also checks the Accounting authenticator and the Message-Authenticator here.
      const theirs = radius.decode({ packet: Buffer.from(data), secret: SECRET.toString() });
      const expected = expectedAttributes(ours, password);
      if (kind === 0)
        expect(revealUserPassword(entryValue(ours, 1), SECRET, ours.authenticator)?.toString()).toBe(password);
      const { ['Message-Authenticator']: _ignored, ...theirAttributes } = theirs.attributes;
      expect(theirAttributes, `round ${round}`).toEqual(expected);
      compared += ours.attributeCount;
    }
    expect(compared).toBeGreaterThan(CASES * 5);
  });
});

describe("the radius package's encoder, decoded by us", () => {
  it(`${CASES} random Access-Requests with Message-Authenticator verify and decode to the values given`, () => {
    for (let round = 0; round < CASES; round++) {
      const inputs = randomAttributes(1 + integer(10)).filter((input) => {
        const def = input.attribute as AttributeDef;
        // The radius package encodes only these types from JS values. Buffer values
        // are left out: its encoder writes a stray tag octet into any Buffer-valued
        // attribute that follows a tagged one (a hoisted `var has_tag`), which our
        // decoder rightly refuses. For the same reason an untagged User-Name goes
        // last, before the Message-Authenticator it appends.
        return def.vendorId === 0 && ['string', 'integer', 'ipaddr', 'date'].includes(def.dataType) && def.type !== 1;
      });
      inputs.push({ attribute: dictionary.requireAttribute('User-Name'), value: printable(1 + integer(20)) });
      const password = printable(1 + integer(40));
      const attributes: Array<[string, ...unknown[]]> = [['User-Password', password]];
      for (const input of inputs) {
        const def = input.attribute as AttributeDef;
        const value = def.dataType === 'date' ? new Date(Number(input.value) * 1000) : input.value;
        attributes.push(input.tag !== undefined ? [def.name, input.tag, value] : [def.name, value]);
      }
      const data = radius.encode({
        code: 'Access-Request',
        identifier: round & 255,
        secret: SECRET.toString(),
        attributes,
        add_message_authenticator: true,
      });
      const packet = decodePacket(data, dictionary);
      expect(verifyRequest(packet, SECRET, { requireMessageAuthenticator: true })).toBe('ok');
      expect(revealUserPassword(entryValue(packet, 0), SECRET, packet.authenticator)?.toString()).toBe(password);
      inputs.forEach((input, index) => {
        const def = input.attribute as AttributeDef;
        const raw = entryValue(packet, index + 1);
        const value = readValue(def, raw);
        const expectedValue =
          typeof input.value === 'string' && def.dataType === 'integer' ? def.values.get(input.value) : input.value;
        expect(value, def.name).toEqual(expectedValue);
        expect(readTag(def, raw)).toBe(input.tag);
      });
    }
  });
});

describe('where the radius package is unsafe and we are not (DESIGN.md)', () => {
  it('flipped Message-Authenticator bits that the radius package lets through are refused here', () => {
    const data = buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        authenticator: Buffer.alloc(16, 0x11),
        attributes: [{ attribute: 'User-Name', value: 'mallory' }],
      },
      dictionary,
    );
    // The radius package compares the two MACs as lossy UTF-8 strings: invalid
    // sequences all decode to U+FFFD, so flips inside them go unnoticed.
    let passedTheirs = 0;
    for (let bit = 0; bit < 128; bit++) {
      const tampered = Buffer.from(data);
      const at = 22 + (bit >> 3);
      tampered[at] = (tampered[at] ?? 0) ^ (1 << (bit & 7));
      try {
        radius.decode({ packet: Buffer.from(tampered), secret: SECRET.toString() });
        passedTheirs++;
      } catch {
        // Refused by the radius package too.
      }
      expect(verifyRequest(decodePacket(tampered, dictionary), SECRET, { requireMessageAuthenticator: true })).toBe(
        'bad_message_authenticator',
      );
    }
    expect(passedTheirs).toBeGreaterThan(0);
  });

  it('a truncated attribute the radius package accepts is refused here', () => {
    const data = Buffer.from(
      buildRequest(
        {
          code: PacketCode.accessRequest,
          identifier: 1,
          secret: SECRET,
          messageAuthenticator: false,
          attributes: [{ attribute: 'User-Name', value: 'abc' }],
        },
        dictionary,
      ),
    );
    data[21] = 40; // User-Name claims 40 octets; the packet holds 5.
    expect(radius.decode({ packet: Buffer.from(data), secret: SECRET.toString() }).attributes['User-Name']).toBe('abc');
    expect(() => decodePacket(data, dictionary)).toThrow(/truncated_attribute/);
  });
});
