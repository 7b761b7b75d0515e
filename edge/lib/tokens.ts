import { equalConstantTime } from './crypto.ts';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.ts';

/** Claims of an access token: a platform user, or a staff user bound to one tenant and role. */
export type AccessClaims =
  | { typ: 'platform'; sub: string; iat: number; exp: number }
  // `epoch`: the user's session epoch when the token was issued; bumping it (password
  // change) signs the user out everywhere.
  | { typ: 'staff'; sub: string; tenant: string; role: string; epoch: number; iat: number; exp: number };

const header = toBase64Url(utf8(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));

// Imported once per secret: key import is a measurable part of every authenticated request.
const keys = new Map<string, ReturnType<typeof crypto.subtle.importKey>>();
const hmacKey = (secret: string) => {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return key;
};

/** Signs a JWT (RFC 7519) with HS256. */
export async function signAccessToken(claims: AccessClaims, secret: string): Promise<string> {
  const body = `${header}.${toBase64Url(utf8(JSON.stringify(claims)))}`;
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret), utf8(body));
  return `${body}.${toBase64Url(signature)}`;
}

// Tokens whose signature verified, per secret: a client sends the same token on every
// request, and WebCrypto's HMAC runs as an async job costing ~100 µs of CPU on Node. The
// claims of a token string never change, so only the expiry is checked again. Bounded:
// cleared when full (a flood of distinct valid tokens only costs re-verification).
const verified = new Map<string, AccessClaims>();
const maxVerified = 10_000;

/** Verifies signature, algorithm and expiry; returns null for anything else. */
export async function verifyAccessToken(
  token: string,
  secret: string,
  nowSeconds: number,
): Promise<AccessClaims | null> {
  const cacheKey = `${secret}\n${token}`;
  let claims = verified.get(cacheKey);
  if (!claims) {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== header) return null;
    const [head, payload, signature] = parts as [string, string, string];
    try {
      const expected = new Uint8Array(
        await crypto.subtle.sign('HMAC', await hmacKey(secret), utf8(`${head}.${payload}`)),
      );
      if (!equalConstantTime(expected, fromBase64Url(signature))) return null;
      claims = JSON.parse(new TextDecoder().decode(fromBase64Url(payload))) as AccessClaims;
    } catch {
      return null;
    }
    if (typeof claims.exp !== 'number') return null;
    if (verified.size >= maxVerified) verified.clear();
    verified.set(cacheKey, Object.freeze(claims));
  }
  return claims.exp > nowSeconds ? claims : null;
}
