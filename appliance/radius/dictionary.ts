// FreeRADIUS-format dictionary loader. Everything the codec needs per packet
// (by-number lookups, per-attribute length rules) is precomputed here, once, at
// load time; nothing in this module runs per packet.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attr } from './protocol.ts';

/** Data types of RFC 8044 §3 plus the FreeRADIUS names for them. */
export type DataType =
  | 'string'
  | 'octets'
  | 'ipaddr'
  | 'integer'
  | 'date'
  | 'ipv6addr'
  | 'ipv6prefix'
  | 'ipv4prefix'
  | 'ifid'
  | 'byte'
  | 'short'
  | 'integer64'
  | 'signed'
  | 'ether'
  | 'vsa';

export interface VendorDef {
  readonly name: string;
  readonly id: number;
  /** Width of the vendor sub-attribute type field: FreeRADIUS `format=t,l`. */
  readonly typeWidth: 1 | 2 | 4;
  /** Width of the sub-attribute length field; 0 means one sub-attribute fills the VSA. */
  readonly lengthWidth: 0 | 1 | 2;
}

export interface AttributeDef {
  readonly name: string;
  /** 0 for standard attributes. */
  readonly vendorId: number;
  readonly type: number;
  readonly dataType: DataType;
  /** `octets[N]`: the value must be exactly N octets; 0 when unconstrained. */
  readonly fixedLength: number;
  /** RFC 2868 §3.1: a leading Tag octet. */
  readonly hasTag: boolean;
  /** 1 = User-Password hiding (RFC 2865 §5.2), 2 = salt encryption (RFC 2868 §3.5), 3 = Ascend (not applied). */
  readonly encrypt: 0 | 1 | 2 | 3;
  readonly values: ReadonlyMap<string, number>;
  readonly valueNames: ReadonlyMap<number, string>;
}

/**
 * Decode-time length rule of one attribute number, packed so the codec reads it
 * from a typed array: min | max << 8 | kind << 16 (see packRule); 0 means
 * "unknown attribute".
 */
export const RuleKind = {
  none: 0,
  /** RFC 2865 §5.2: a multiple of 16 octets. */
  block16: 1,
  /** RFC 2548 §2.4.2: 2-octet salt, then a multiple of 16. */
  salted: 2,
  /** RFC 2868 §3.5: tag, 2-octet salt, then a multiple of 16. */
  taggedSalted: 3,
  /** RFC 3162 §2.3: reserved, prefix-length ≤ 128, enough prefix octets. */
  ipv6Prefix: 4,
} as const;

export interface VendorRules {
  readonly vendor: VendorDef;
  /** Types 0-255; wider vendor types look up `wide`. */
  readonly narrow: Uint32Array;
  readonly wide: ReadonlyMap<number, number>;
}

export interface LengthRules {
  readonly standard: Uint32Array;
  readonly vendors: ReadonlyMap<number, VendorRules>;
}

export interface Dictionary {
  /** Case-insensitive, as in FreeRADIUS. */
  findAttribute(name: string): AttributeDef | undefined;
  /** Like findAttribute, but a missing name is a configuration error. */
  requireAttribute(name: string): AttributeDef;
  /** The definition that names this number (the last one loaded wins, as in FreeRADIUS 3). */
  attributeByCode(vendorId: number, type: number): AttributeDef | undefined;
  findVendor(nameOrId: string | number): VendorDef | undefined;
  /** Every attribute name defined (aliases included), for validation and tooling. */
  listAttributes(): readonly AttributeDef[];
  readonly rules: LengthRules;
}

export class DictionaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DictionaryError';
  }
}

export interface LoadDictionaryOptions {
  /** Extra dictionary files or directories (every file in it, sorted), loaded last. */
  readonly extraPaths?: readonly string[];
  /** Skip the RFC dictionaries of the `radius` package and our vendor dictionaries. */
  readonly withoutBuiltins?: boolean;
}

const FIXED_SIZES: Readonly<Partial<Record<DataType, number>>> = {
  ipaddr: 4,
  integer: 4,
  date: 4,
  signed: 4,
  ifid: 8,
  integer64: 8,
  ipv6addr: 16,
  ipv4prefix: 6,
  byte: 1,
  short: 2,
  ether: 6,
};

const TYPE_ALIASES: Readonly<Record<string, DataType>> = {
  string: 'string',
  text: 'string',
  octets: 'octets',
  abinary: 'octets',
  ipaddr: 'ipaddr',
  integer: 'integer',
  date: 'date',
  ipv6addr: 'ipv6addr',
  ipv6prefix: 'ipv6prefix',
  ipv4prefix: 'ipv4prefix',
  ifid: 'ifid',
  byte: 'byte',
  short: 'short',
  integer64: 'integer64',
  signed: 'signed',
  ether: 'ether',
  vsa: 'vsa',
};

/** Lengths the RFCs fix although the shipped dictionaries say only "octets". */
const PROTOCOL_RULES: ReadonlyArray<readonly [type: number, min: number, max: number]> = [
  [Attr.chapPassword, 17, 17], // RFC 2865 §5.3: CHAP Ident + 16-octet response
  [Attr.chapChallenge, 5, 253], // RFC 2865 §5.40: "at least 5 octets"
  [Attr.messageAuthenticator, 16, 16], // RFC 3579 §3.2
];

interface MutableAttribute {
  name: string;
  vendorId: number;
  type: number;
  dataType: DataType;
  fixedLength: number;
  hasTag: boolean;
  encrypt: 0 | 1 | 2 | 3;
  values: Map<string, number>;
  valueNames: Map<number, string>;
}

interface PendingValue {
  readonly attribute: string;
  readonly name: string;
  readonly value: number;
  readonly where: string;
}

interface LoaderState {
  readonly byName: Map<string, MutableAttribute>;
  readonly byCode: Map<number, Map<number, MutableAttribute>>;
  readonly vendorsByName: Map<string, VendorDef>;
  readonly vendorsById: Map<number, VendorDef>;
  readonly pendingValues: PendingValue[];
  readonly seenFiles: Set<string>;
}

/** The RFC dictionaries shipped with the npm `radius` package. */
export function locateRfcDictionaries(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('radius/package.json')), 'dictionaries');
}

/** Our vendor dictionaries (Microsoft, MikroTik, Cisco, Juniper ERX, Huawei). */
export function locateVendorDictionaries(): string {
  return fileURLToPath(new URL('./dictionaries/dictionary', import.meta.url));
}

export function loadDictionary(options: LoadDictionaryOptions = {}): Dictionary {
  const state = createLoaderState();
  const paths = options.withoutBuiltins ? [] : [locateRfcDictionaries(), locateVendorDictionaries()];
  for (const path of [...paths, ...(options.extraPaths ?? [])]) loadPath(state, resolve(path));
  return finishDictionary(state);
}

/** Parse dictionary text held in memory; `$INCLUDE` resolves against `baseDir`. */
export function parseDictionary(text: string, baseDir = process.cwd()): Dictionary {
  const state = createLoaderState();
  parseText(state, text, join(baseDir, '<text>'));
  return finishDictionary(state);
}

function createLoaderState(): LoaderState {
  return {
    byName: new Map(),
    byCode: new Map(),
    vendorsByName: new Map(),
    vendorsById: new Map(),
    pendingValues: [],
    seenFiles: new Set(),
  };
}

function loadPath(state: LoaderState, path: string): void {
  if (!existsQuietly(path)) throw new DictionaryError(`dictionary not found: ${path}`);
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) loadFile(state, join(path, entry));
  } else {
    loadFile(state, path);
  }
}

function loadFile(state: LoaderState, file: string): void {
  if (state.seenFiles.has(file)) return;
  state.seenFiles.add(file);
  parseText(state, readFileSync(file, 'utf8'), file);
}

function parseText(state: LoaderState, text: string, file: string): void {
  let vendor: VendorDef | undefined;
  let tlvDepth = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const where = `${file}:${index + 1}`;
    const fields = (lines[index] ?? '').replace(/#.*/, '').trim().split(/\s+/);
    const keyword = fields[0];
    if (!keyword) continue;
    switch (keyword) {
      case '$INCLUDE':
      case '$INCLUDE-': {
        const target = resolve(dirname(file), requireField(fields, 1, where));
        const optional = keyword === '$INCLUDE-';
        if (optional && !existsQuietly(target)) break;
        loadPath(state, target);
        break;
      }
      case 'VENDOR':
        defineVendor(state, fields, where);
        break;
      case 'BEGIN-VENDOR': {
        const name = requireField(fields, 1, where);
        vendor = state.vendorsByName.get(name.toLowerCase());
        if (!vendor) throw new DictionaryError(`${where}: BEGIN-VENDOR of unknown vendor ${name}`);
        if (fields[2]) throw new DictionaryError(`${where}: unsupported vendor block option ${fields[2]}`);
        break;
      }
      case 'END-VENDOR':
        vendor = undefined;
        break;
      // TLV children have no wire form in this codec: their parent decodes as octets.
      case 'BEGIN-TLV':
        tlvDepth++;
        break;
      case 'END-TLV':
        tlvDepth = Math.max(0, tlvDepth - 1);
        break;
      case 'ATTRIBUTE':
        if (tlvDepth === 0) defineAttribute(state, fields, vendor, where);
        break;
      case 'VALUE':
        state.pendingValues.push({
          attribute: requireField(fields, 1, where),
          name: requireField(fields, 2, where),
          value: parseNumber(requireField(fields, 3, where), where),
          where,
        });
        break;
      default:
        throw new DictionaryError(`${where}: unknown keyword ${keyword}`);
    }
  }
}

function existsQuietly(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function defineVendor(state: LoaderState, fields: readonly string[], where: string): void {
  const name = requireField(fields, 1, where);
  const id = parseNumber(requireField(fields, 2, where), where);
  let typeWidth: VendorDef['typeWidth'] = 1;
  let lengthWidth: VendorDef['lengthWidth'] = 1;
  const format = fields[3];
  if (format) {
    const match = /^format=([124]),([012])(,c)?$/.exec(format);
    if (!match) throw new DictionaryError(`${where}: unsupported vendor format ${format}`);
    typeWidth = Number(match[1]) as VendorDef['typeWidth'];
    lengthWidth = Number(match[2]) as VendorDef['lengthWidth'];
  }
  const def: VendorDef = { name, id, typeWidth, lengthWidth };
  state.vendorsByName.set(name.toLowerCase(), def);
  state.vendorsById.set(id, def);
}

function defineAttribute(
  state: LoaderState,
  fields: readonly string[],
  blockVendor: VendorDef | undefined,
  where: string,
): void {
  const name = requireField(fields, 1, where);
  const numberField = requireField(fields, 2, where);
  // Dotted numbers are RFC 6929 extended attributes / TLV children; the codec
  // keeps those as raw octets of their top-level attribute.
  if (numberField.includes('.')) return;
  const type = parseNumber(numberField, where);
  const typeSpec = requireField(fields, 3, where).toLowerCase();
  const sized = /^([a-z0-9-]+)\[(\d+)\]$/.exec(typeSpec);
  const baseType = sized ? (sized[1] ?? '') : typeSpec;
  const dataType = TYPE_ALIASES[baseType];
  if (!dataType) throw new DictionaryError(`${where}: unsupported data type ${typeSpec}`);

  let vendor = blockVendor;
  let hasTag = false;
  let encrypt: MutableAttribute['encrypt'] = 0;
  const extra = fields[4];
  if (extra) {
    // FreeRADIUS 1.x syntax puts the vendor name where flags go now.
    const oldStyleVendor = state.vendorsByName.get(extra.toLowerCase());
    if (oldStyleVendor) {
      vendor = oldStyleVendor;
    } else {
      for (const flag of extra.split(',')) {
        if (flag === 'has_tag') hasTag = true;
        const encryptMatch = /^encrypt=([0-3])$/.exec(flag);
        if (encryptMatch) encrypt = Number(encryptMatch[1]) as MutableAttribute['encrypt'];
      }
    }
  }
  const vendorId = vendor?.id ?? 0;
  const maxType = vendor ? 2 ** (8 * vendor.typeWidth) - 1 : 255;
  if (type < 1 && !vendor) throw new DictionaryError(`${where}: attribute number ${type} out of range`);
  if (type > maxType) throw new DictionaryError(`${where}: attribute number ${type} out of range`);

  const def: MutableAttribute = {
    name,
    vendorId,
    type,
    dataType,
    fixedLength: sized ? Number(sized[2]) : 0,
    hasTag,
    encrypt,
    values: new Map(),
    valueNames: new Map(),
  };
  const existing = state.byName.get(name.toLowerCase());
  if (existing && (existing.vendorId !== vendorId || existing.type !== type)) {
    throw new DictionaryError(`${where}: ${name} redefined with a different number`);
  }
  let numbers = state.byCode.get(vendorId);
  if (!numbers) {
    numbers = new Map();
    state.byCode.set(vendorId, numbers);
  }
  const sameNumber = numbers.get(type);
  if (sameNumber && sameNumber.dataType !== dataType) {
    throw new DictionaryError(`${where}: ${name} reuses the number of ${sameNumber.name} with another type`);
  }
  if (existing) {
    // A repeated definition keeps the VALUEs already attached to the name.
    def.values = existing.values;
    def.valueNames = existing.valueNames;
  }
  state.byName.set(name.toLowerCase(), def);
  numbers.set(type, def);
}

function finishDictionary(state: LoaderState): Dictionary {
  for (const pending of state.pendingValues) {
    const def = state.byName.get(pending.attribute.toLowerCase());
    if (!def) throw new DictionaryError(`${pending.where}: VALUE for unknown attribute ${pending.attribute}`);
    def.values.set(pending.name, pending.value);
    def.valueNames.set(pending.value, pending.name);
  }
  const exact = new Map<string, AttributeDef>();
  for (const def of state.byName.values()) exact.set(def.name, def);
  const all: readonly AttributeDef[] = [...exact.values()];
  const rules = buildRules(state);
  const byName = state.byName;
  const byCode = state.byCode;
  const vendorsByName = state.vendorsByName;
  const vendorsById = state.vendorsById;
  const findAttribute = (name: string): AttributeDef | undefined => exact.get(name) ?? byName.get(name.toLowerCase());
  return {
    findAttribute,
    requireAttribute(name) {
      const def = findAttribute(name);
      if (!def) throw new DictionaryError(`unknown attribute ${name}`);
      return def;
    },
    attributeByCode: (vendorId, type) => byCode.get(vendorId)?.get(type),
    findVendor: (nameOrId) =>
      typeof nameOrId === 'number' ? vendorsById.get(nameOrId) : vendorsByName.get(nameOrId.toLowerCase()),
    listAttributes: () => all,
    rules,
  };
}

function buildRules(state: LoaderState): LengthRules {
  const standard = new Uint32Array(256);
  for (const [type, def] of state.byCode.get(0) ?? []) standard[type] = ruleFor(def);
  for (const [type, min, max] of PROTOCOL_RULES) standard[type] = packRule(min, max, RuleKind.none);
  const vendors = new Map<number, VendorRules>();
  for (const vendor of state.vendorsById.values()) {
    const narrow = new Uint32Array(256);
    const wide = new Map<number, number>();
    for (const [type, def] of state.byCode.get(vendor.id) ?? []) {
      if (type < 256) narrow[type] = ruleFor(def);
      else wide.set(type, ruleFor(def));
    }
    vendors.set(vendor.id, { vendor, narrow, wide });
  }
  return { standard, vendors };
}

function packRule(min: number, max: number, kind: number): number {
  return min | (max << 8) | (kind << 16);
}

function ruleFor(def: MutableAttribute): number {
  if (def.encrypt === 1) return packRule(16, 128, RuleKind.block16);
  if (def.encrypt === 2) {
    return def.hasTag ? packRule(19, 253, RuleKind.taggedSalted) : packRule(18, 253, RuleKind.salted);
  }
  if (def.fixedLength > 0) return packRule(def.fixedLength, def.fixedLength, RuleKind.none);
  if (def.dataType === 'ipv6prefix') return packRule(2, 18, RuleKind.ipv6Prefix);
  const size = FIXED_SIZES[def.dataType];
  // RFC 2868 §3.1: a tagged integer is Tag(1) + Value(3) in the same 4 octets.
  if (size !== undefined) return packRule(size, size, RuleKind.none);
  return packRule(1, 253, RuleKind.none);
}

function requireField(fields: readonly string[], index: number, where: string): string {
  const field = fields[index];
  if (!field) throw new DictionaryError(`${where}: missing field ${index + 1}`);
  return field;
}

function parseNumber(text: string, where: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw new DictionaryError(`${where}: not a number: ${text}`);
  return value;
}
