// Unix crypt(3) hashes that FreeRADIUS users files and SQL dumps carry as
// Crypt-Password, for PAP: MD5-crypt "$1$" (FreeBSD, P.-H. Kamp) and SHA-crypt
// "$5$"/"$6$" (U. Drepper, "Unix crypt using SHA-256 and SHA-512", 2007).
// These are slow on purpose (1,000 / 5,000+ hash rounds per check).
import { createHash, timingSafeEqual } from 'node:crypto';
import { md5Into } from '../md5.ts';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypt's base-64: 6 bits at a time, least significant first. */
function encode24(high: number, middle: number, low: number, characters: number): string {
  let word = (high << 16) | (middle << 8) | low;
  let out = '';
  for (let index = 0; index < characters; index++) {
    out += ITOA64[word & 0x3f];
    word >>>= 6;
  }
  return out;
}

function md5Crypt(password: Buffer, salt: string): string {
  const magic = '$1$';
  const saltOctets = Buffer.from(salt.slice(0, 8), 'latin1');
  const alternate = createHash('md5').update(password).update(saltOctets).update(password).digest();
  const context = createHash('md5').update(password).update(magic).update(saltOctets);
  for (let left = password.length; left > 0; left -= 16) context.update(alternate.subarray(0, Math.min(16, left)));
  for (let bits = password.length; bits > 0; bits >>= 1)
    context.update(bits & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  const final = context.digest();
  // The 1,000 rounds hash short messages: assembled in one buffer and hashed by
  // the JavaScript MD5, ~5x faster here than a createHash per round.
  const scratch = Buffer.alloc(2 * password.length + saltOctets.length + 16 + 72);
  const view = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
  for (let round = 0; round < 1000; round++) {
    let length = (round & 1 ? password : final).copy(scratch, 0);
    if (round % 3) length += saltOctets.copy(scratch, length);
    if (round % 7) length += password.copy(scratch, length);
    length += (round & 1 ? final : password).copy(scratch, length);
    md5Into(scratch, view, length, final, 0);
  }
  const at = (index: number): number => final[index] ?? 0;
  const text =
    encode24(at(0), at(6), at(12), 4) +
    encode24(at(1), at(7), at(13), 4) +
    encode24(at(2), at(8), at(14), 4) +
    encode24(at(3), at(9), at(15), 4) +
    encode24(at(4), at(10), at(5), 4) +
    encode24(0, 0, at(11), 2);
  return `${magic}${saltOctets.toString('latin1')}$${text}`;
}

// Drepper's byte orders for the final encoding, three octets per group.
const SHA256_ORDER = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
] as const;
const SHA512_ORDER = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
] as const;

/** Repeat `block` to exactly `length` octets. */
function stretch(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length)
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
  return out;
}

function shaCrypt(password: Buffer, setting: string, variant: '5' | '6'): string | undefined {
  const algorithm = variant === '5' ? 'sha256' : 'sha512';
  const size = variant === '5' ? 32 : 64;
  const match = /^(rounds=(\d+)\$)?([^$]*)/.exec(setting);
  if (!match) return undefined;
  const explicitRounds = match[2] !== undefined;
  // Drepper: rounds are clamped to 1,000..999,999,999; the salt to 16 characters.
  const rounds = explicitRounds ? Math.min(999_999_999, Math.max(1000, Number(match[2]))) : 5000;
  const salt = Buffer.from((match[3] ?? '').slice(0, 16), 'latin1');
  const hash = () => createHash(algorithm);

  const b = hash().update(password).update(salt).update(password).digest();
  const context = hash().update(password).update(salt);
  let left = password.length;
  for (; left > size; left -= size) context.update(b);
  context.update(b.subarray(0, left));
  for (let bits = password.length; bits > 0; bits >>= 1) context.update(bits & 1 ? b : password);
  let a = context.digest();

  const dp = hash();
  for (let index = 0; index < password.length; index++) dp.update(password);
  const p = stretch(dp.digest(), password.length);
  const ds = hash();
  for (let index = 0; index < 16 + (a[0] ?? 0); index++) ds.update(salt);
  const s = stretch(ds.digest(), salt.length);

  for (let round = 0; round < rounds; round++) {
    const step = hash();
    step.update(round & 1 ? p : a);
    if (round % 3) step.update(s);
    if (round % 7) step.update(p);
    step.update(round & 1 ? a : p);
    a = step.digest();
  }
  const at = (index: number): number => a[index] ?? 0;
  let text = (variant === '5' ? SHA256_ORDER : SHA512_ORDER)
    .map(([x, y, z]) => encode24(at(x), at(y), at(z), 4))
    .join('');
  text += variant === '5' ? encode24(0, at(31), at(30), 3) : encode24(0, 0, at(63), 2);
  const prefix = explicitRounds ? `$${variant}$rounds=${rounds}$` : `$${variant}$`;
  return `${prefix}${salt.toString('latin1')}$${text}`;
}

/** crypt(3) of `password` with the method and salt of `stored`; undefined for unsupported methods. */
export function cryptPassword(password: Buffer, stored: string): string | undefined {
  const match = /^\$([156])\$(.*)$/.exec(stored);
  if (!match) return undefined;
  const setting = match[2] ?? '';
  if (match[1] === '1') return md5Crypt(password, setting.split('$')[0] ?? '');
  return shaCrypt(password, setting, match[1] === '5' ? '5' : '6');
}

/** True when `password` hashes to `stored`; compared in constant time. */
export function verifyCrypt(password: Buffer, stored: string): boolean {
  const computed = cryptPassword(password, stored);
  if (computed === undefined || computed.length !== stored.length) return false;
  return timingSafeEqual(Buffer.from(computed, 'latin1'), Buffer.from(stored, 'latin1'));
}

/** Methods verifyCrypt understands (traditional DES crypt and bcrypt are not). */
export function isSupportedCrypt(stored: string): boolean {
  return /^\$[156]\$/.test(stored);
}
