import { toBase64Url, toHex, utf8 } from './encoding.ts';

export const sha256Hex = async (text: string): Promise<string> =>
  toHex(await crypto.subtle.digest('SHA-256', utf8(text)));

export const randomToken = (bytes = 32): string => toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));

/** Compares two byte strings in time independent of where they differ. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export const equalStringsConstantTime = (a: string, b: string): boolean => equalConstantTime(utf8(a), utf8(b));
