import { equalConstantTime } from './crypto.ts';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.ts';

// Passwords: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) at OWASP's 600,000 iterations (Password
// Storage Cheat Sheet). Cloudflare's production Workers runtime refuses one PBKDF2 call of
// more than 100,000 iterations (cloudflare/workerd#1346; workerd as run locally and in
// test/workers has no cap since workerd#1471, so tests cannot see it), so the work is done
// in links of 100,000: link 1 is keyed with the password, each later link with the previous
// link's 32-byte output, all with the same salt. Each link needs the one before, so a guess
// still costs 600,000 sequential HMAC iterations; a chain of one link is plain PBKDF2.
//
// Stored as `pbkdf2-sha256-chain$<iterations>$<salt>$<hash>` (base64url, 16-byte salt).
// The older `pbkdf2-sha256$<iterations ≤ 100,000>$…` (one PBKDF2 run) still verifies, and
// any hash below the current cost is replaced at the next successful login (`needsRehash`).
const scheme = 'pbkdf2-sha256-chain';
const legacyScheme = 'pbkdf2-sha256';
const linkIterations = 100_000;
const iterations = 600_000;
// A stored hash asking for more work than this is refused unverified (a tampered row must
// not be able to tie up a login worker).
const maxIterations = 10_000_000;

async function pbkdf2(key: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, rounds: number) {
  const material = await crypto.subtle.importKey('raw', key, 'PBKDF2', false, ['deriveBits']);
  const params = { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: rounds };
  return new Uint8Array(await crypto.subtle.deriveBits(params, material, 256));
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, rounds: number) {
  let key = utf8(password);
  for (let done = 0; done < rounds; done += linkIterations) {
    key = await pbkdf2(key, salt, Math.min(linkIterations, rounds - done));
  }
  return key;
}

/** The iterations a stored hash asks for, or null when it is not one this code can check. */
function costOf(stored: string): { rounds: number; salt: string; hash: string } | null {
  const [name, count, salt, hash, extra] = stored.split('$');
  if (extra !== undefined || !salt || !hash || !count || !/^\d{1,10}$/.test(count)) return null;
  const rounds = Number(count);
  if (name === legacyScheme && rounds >= 1 && rounds <= linkIterations) return { rounds, salt, hash };
  if (name === scheme && rounds % linkIterations === 0 && rounds >= linkIterations && rounds <= maxIterations) {
    return { rounds, salt, hash };
  }
  return null;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${scheme}$${iterations}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const cost = costOf(stored);
  if (!cost) return false;
  return equalConstantTime(await derive(password, fromBase64Url(cost.salt), cost.rounds), fromBase64Url(cost.hash));
}

/** True when `stored` (already verified) is below the current scheme and cost. */
export const needsRehash = (stored: string) =>
  !stored.startsWith(`${scheme}$`) || (costOf(stored)?.rounds ?? 0) < iterations;

/** A hash of nothing in particular at the current cost, verified against when the account
 * does not exist so that timing does not reveal which emails are registered. */
export const decoyPasswordHash = `${scheme}$${iterations}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
