// Shared fixtures for the RADIUS protocol tests.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadDictionary } from '../../../appliance/radius/index.ts';

export const dictionary = loadDictionary();
export const SECRET = Buffer.from('testing123');

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** One standard attribute, bytes as given (lengths deliberately not validated). */
export function rawAttribute(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** A Vendor-Specific attribute holding one 1,1-format sub-attribute. */
export function rawVsa(vendorId: number, type: number, value: Buffer): Buffer {
  const inner = Buffer.concat([Buffer.from([type, value.length + 2]), value]);
  const vendor = Buffer.alloc(4);
  vendor.writeUInt32BE(vendorId);
  return rawAttribute(26, Buffer.concat([vendor, inner]));
}

/** A packet with a correct Length field around the given attribute octets. */
export function rawPacket(
  code: number,
  identifier: number,
  authenticator: Buffer,
  attributes: readonly Buffer[],
): Buffer {
  const body = Buffer.concat(attributes);
  const header = Buffer.alloc(4);
  header[0] = code;
  header[1] = identifier;
  header.writeUInt16BE(20 + body.length, 2);
  return Buffer.concat([header, authenticator, body]);
}

/** Deterministic PRNG (mulberry32) so fuzz and random cases replay exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const PYRAD_SCRIPT = fileURLToPath(new URL('./pyrad-reference.py', import.meta.url));

type PyradCommand = Record<string, unknown>;

/**
 * Run one command (or a batch) of pyrad-reference.py under Debian's python3
 * (python3-pyrad); /usr/bin/python3 on purpose, not a pyenv python earlier on PATH.
 */
export function runPyrad<T>(command: PyradCommand | PyradCommand[]): T {
  const output = execFileSync('/usr/bin/python3', [PYRAD_SCRIPT], { input: JSON.stringify(command), encoding: 'utf8' });
  return JSON.parse(output) as T;
}
