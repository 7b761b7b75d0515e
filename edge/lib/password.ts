import { equalConstantTime } from './crypto.ts';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.ts';

// Workers' WebCrypto caps PBKDF2 at 100,000 iterations; the stored format names its
// parameters so a later increase re-hashes on the next successful login.
const iterations = 100_000;

const derive = async (password: string, salt: Uint8Array<ArrayBuffer>, rounds: number) => {
  const key = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: rounds }, key, 256));
};

/** `pbkdf2-sha256$<iterations>$<salt>$<hash>`, base64url, 16-byte random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return `pbkdf2-sha256$${iterations}$${toBase64Url(salt)}$${toBase64Url(await derive(password, salt, iterations))}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, rounds, salt, hash] = stored.split('$');
  if (scheme !== 'pbkdf2-sha256' || !rounds || !salt || !hash) return false;
  return equalConstantTime(await derive(password, fromBase64Url(salt), Number(rounds)), fromBase64Url(hash));
}

/** A hash of nothing in particular, verified against when the account does not exist so
 * that timing does not reveal which emails are registered. */
export const decoyPasswordHash = 'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
