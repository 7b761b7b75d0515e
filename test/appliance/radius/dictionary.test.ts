import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DictionaryError, loadDictionary, parseDictionary } from '../../../appliance/radius/index.ts';
import type { AttributeDef, Dictionary } from '../../../appliance/radius/index.ts';
import { dictionary } from './helpers.ts';

function shape(def: AttributeDef | undefined) {
  if (!def) return undefined;
  const { name, vendorId, type, dataType, fixedLength, hasTag, encrypt } = def;
  return { name, vendorId, type, dataType, fixedLength, hasTag, encrypt };
}

describe('shipped dictionaries', () => {
  it('load the RFC dictionaries of the radius package', () => {
    expect(shape(dictionary.findAttribute('User-Password'))).toMatchObject({ type: 2, dataType: 'string', encrypt: 1 });
    expect(shape(dictionary.findAttribute('Tunnel-Password'))).toMatchObject({ type: 69, hasTag: true, encrypt: 2 });
    expect(shape(dictionary.findAttribute('Tunnel-Private-Group-Id'))).toMatchObject({ type: 81, hasTag: true });
    expect(shape(dictionary.findAttribute('Delegated-IPv6-Prefix'))).toMatchObject({
      type: 123,
      dataType: 'ipv6prefix',
    });
    expect(shape(dictionary.findAttribute('Framed-Interface-Id'))).toMatchObject({ type: 96, dataType: 'ifid' });
    expect(shape(dictionary.findAttribute('Event-Timestamp'))).toMatchObject({ type: 55, dataType: 'date' });
    expect(shape(dictionary.findAttribute('Acct-Input-Gigawords'))).toMatchObject({ type: 52, dataType: 'integer' });
    expect(shape(dictionary.findAttribute('Error-Cause'))).toMatchObject({ type: 101, dataType: 'integer' });
    expect(dictionary.findAttribute('Acct-Status-Type')?.values.get('Interim-Update')).toBe(3);
    expect(dictionary.findAttribute('Acct-Status-Type')?.values.get('Accounting-On')).toBe(7);
  });

  it('load our vendor dictionaries', () => {
    const expected: Array<[string, number, number, Partial<AttributeDef>]> = [
      ['MS-CHAP-Challenge', 311, 11, { dataType: 'octets' }],
      ['MS-CHAP2-Response', 311, 25, { fixedLength: 50 }],
      ['MS-CHAP2-Success', 311, 26, { dataType: 'octets' }],
      ['MS-CHAP-Error', 311, 2, { dataType: 'string' }],
      ['MS-MPPE-Send-Key', 311, 16, { encrypt: 2 }],
      ['MS-MPPE-Recv-Key', 311, 17, { encrypt: 2 }],
      ['MS-MPPE-Encryption-Policy', 311, 7, { dataType: 'integer' }],
      ['Mikrotik-Rate-Limit', 14988, 8, { dataType: 'string' }],
      ['Mikrotik-Address-List', 14988, 19, { dataType: 'string' }],
      ['Cisco-AVPair', 9, 1, { dataType: 'string' }],
      ['ERX-Qos-Profile-Name', 4874, 26, { dataType: 'string' }],
      ['ERX-Service-Activate', 4874, 65, { hasTag: true }],
      ['ERX-Dhcp-Option-82', 4874, 159, { dataType: 'octets' }],
      ['Huawei-Input-Average-Rate', 2011, 2, { dataType: 'integer' }],
      ['Huawei-Output-Peak-Rate', 2011, 6, { dataType: 'integer' }],
      ['ADSL-Agent-Circuit-Id', 3561, 1, {}],
      ['ADSL-Agent-Remote-Id', 3561, 2, {}],
    ];
    for (const [name, vendorId, type, extra] of expected) {
      expect(shape(dictionary.findAttribute(name)), name).toMatchObject({ vendorId, type, ...extra });
    }
    expect(dictionary.findVendor('Mikrotik')).toEqual({ name: 'Mikrotik', id: 14988, typeWidth: 1, lengthWidth: 1 });
    expect(dictionary.findVendor(311)?.name).toBe('Microsoft');
  });

  it('agree with FreeRADIUS 3 on every vendor attribute we define', () => {
    const freeradius = '/usr/share/freeradius';
    if (!existsSync(freeradius)) return;
    const reference = loadDictionary({
      withoutBuiltins: true,
      extraPaths: ['microsoft', 'mikrotik', 'cisco', 'erx', 'huawei'].map((vendor) =>
        join(freeradius, `dictionary.${vendor}`),
      ),
    });
    const ours = dictionary.listAttributes().filter((def) => [311, 14988, 9, 4874, 2011].includes(def.vendorId));
    expect(ours.length).toBeGreaterThan(100);
    for (const def of ours) {
      const theirs = reference.attributeByCode(def.vendorId, def.type);
      expect(theirs, def.name).toBeDefined();
      expect(theirs?.dataType, def.name).toBe(def.dataType);
      expect(theirs?.hasTag, def.name).toBe(def.hasTag);
      expect(theirs?.encrypt, def.name).toBe(def.encrypt);
      expect(reference.findAttribute(def.name), def.name).toBeDefined();
    }
  });

  it('looks names up case-insensitively and numbers by vendor', () => {
    expect(dictionary.findAttribute('user-name')?.name).toBe('User-Name');
    expect(dictionary.attributeByCode(0, 1)?.name).toBe('User-Name');
    expect(dictionary.attributeByCode(14988, 8)?.name).toBe('Mikrotik-Rate-Limit');
    expect(dictionary.attributeByCode(14988, 250)).toBeUndefined();
    expect(() => dictionary.requireAttribute('Nope')).toThrow(DictionaryError);
  });

  it('loads extra dictionaries from files and directories', () => {
    const dir = mkdtempSync(join(tmpdir(), 'radius-dict-'));
    writeFileSync(
      join(dir, 'dictionary.acme'),
      'VENDOR Acme 65000\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Plan 1 string\nEND-VENDOR Acme\n',
    );
    const fromDir = loadDictionary({ extraPaths: [dir] });
    expect(shape(fromDir.findAttribute('Acme-Plan'))).toMatchObject({ vendorId: 65000, type: 1 });
    expect(fromDir.findAttribute('Mikrotik-Rate-Limit')).toBeDefined();
    const fromFile = loadDictionary({ extraPaths: [join(dir, 'dictionary.acme')], withoutBuiltins: true });
    expect(fromFile.findAttribute('Acme-Plan')).toBeDefined();
    expect(fromFile.findAttribute('User-Name')).toBeUndefined();
    expect(() => loadDictionary({ extraPaths: [join(dir, 'missing')] })).toThrow(/dictionary not found/);
  });
});

describe('FreeRADIUS dictionary syntax', () => {
  it('parses VENDOR, BEGIN/END-VENDOR, VALUE, flags and hex numbers', () => {
    const dict = parseDictionary(`
# comment line
ATTRIBUTE	Plain	0x10	integer   # trailing comment
VALUE	Plain	Early	1
VALUE	Plain	Late	2
VENDOR	Acme	9999
BEGIN-VENDOR	Acme
ATTRIBUTE	Acme-Secret	1	octets	encrypt=2
ATTRIBUTE	Acme-Tagged	2	string	has_tag,encrypt=2
ATTRIBUTE	Acme-Key	3	octets[24]	encrypt=1
END-VENDOR	Acme
ATTRIBUTE	Outside	17	ipaddr
`);
    expect(shape(dict.findAttribute('Plain'))).toMatchObject({ vendorId: 0, type: 16, dataType: 'integer' });
    expect(dict.findAttribute('Plain')?.valueNames.get(2)).toBe('Late');
    expect(shape(dict.findAttribute('Acme-Secret'))).toMatchObject({
      vendorId: 9999,
      type: 1,
      encrypt: 2,
      hasTag: false,
    });
    expect(shape(dict.findAttribute('Acme-Tagged'))).toMatchObject({ encrypt: 2, hasTag: true });
    expect(shape(dict.findAttribute('Acme-Key'))).toMatchObject({ fixedLength: 24, encrypt: 1 });
    expect(shape(dict.findAttribute('Outside'))).toMatchObject({ vendorId: 0, type: 17 });
  });

  it('resolves VALUE lines that precede their ATTRIBUTE', () => {
    const dict = parseDictionary('VALUE Later Yes 1\nATTRIBUTE Later 5 integer\n');
    expect(dict.findAttribute('Later')?.values.get('Yes')).toBe(1);
  });

  it('accepts the FreeRADIUS 1.x vendor column and aliases of one number', () => {
    const dict = parseDictionary(`
VENDOR Old 4242
ATTRIBUTE Old-Thing 7 string Old
ATTRIBUTE First-Name 9 integer
ATTRIBUTE Second-Name 9 integer
`);
    expect(shape(dict.findAttribute('Old-Thing'))).toMatchObject({ vendorId: 4242, type: 7 });
    expect(dict.attributeByCode(0, 9)?.name).toBe('Second-Name');
    expect(dict.findAttribute('First-Name')?.type).toBe(9);
  });

  it('follows $INCLUDE relative to the including file, once per file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'radius-include-'));
    writeFileSync(
      join(dir, 'dictionary'),
      '$INCLUDE dictionary.a\n$INCLUDE dictionary.a\n$INCLUDE- dictionary.missing\n',
    );
    writeFileSync(join(dir, 'dictionary.a'), 'ATTRIBUTE From-A 200 string\n');
    const dict: Dictionary = loadDictionary({ withoutBuiltins: true, extraPaths: [join(dir, 'dictionary')] });
    expect(dict.findAttribute('From-A')?.type).toBe(200);
  });

  it('skips TLV children and RFC 6929 dotted numbers', () => {
    const dict = parseDictionary(`
ATTRIBUTE Extended-Attribute-1 241 octets
ATTRIBUTE Frag-Status 241.1 integer
ATTRIBUTE Parent 250 octets
BEGIN-TLV Parent
ATTRIBUTE Child 1 integer
END-TLV Parent
`);
    expect(dict.findAttribute('Frag-Status')).toBeUndefined();
    expect(dict.findAttribute('Child')).toBeUndefined();
    expect(dict.findAttribute('Parent')?.type).toBe(250);
  });

  const errors: Array<[string, string]> = [
    ['an unknown keyword', 'PROTOCOL RADIUS 1'],
    ['an unsupported type', 'ATTRIBUTE Weird 5 struct'],
    ['a non-numeric number', 'ATTRIBUTE Bad five integer'],
    ['an attribute number above 255', 'ATTRIBUTE Big 256 integer'],
    ['a missing field', 'ATTRIBUTE Short 5'],
    ['VALUE of an unknown attribute', 'VALUE Ghost Yes 1'],
    ['BEGIN-VENDOR of an unknown vendor', 'BEGIN-VENDOR Ghost'],
    ['an unsupported vendor format', 'VENDOR Odd 77 format=3,1'],
    ['a name reused for another number', 'ATTRIBUTE Same 5 integer\nATTRIBUTE Same 6 integer'],
    ['a number reused with another type', 'ATTRIBUTE One 5 integer\nATTRIBUTE Two 5 string'],
  ];
  it.each(errors)('rejects %s with file and line', (_name, text) => {
    expect(() => parseDictionary(text)).toThrow(/<text>:\d+|unknown attribute|VALUE/);
    expect(() => parseDictionary(text)).toThrow(DictionaryError);
  });
});
