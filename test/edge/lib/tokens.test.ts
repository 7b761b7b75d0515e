import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken, type AccessClaims } from '../../../edge/lib/tokens.ts';

const secret = 'tokens-test-secret-0123456789abcdef';
const claims: AccessClaims = {
  typ: 'staff',
  sub: 'u1',
  tenant: 'acme',
  role: 'owner',
  epoch: 1,
  iat: 1_000,
  exp: 2_000,
};

// Verified tokens are remembered; what is remembered must never outlive the token or
// cross to another secret.
describe('access tokens', () => {
  it('verifies a token, then refuses it once expired even after a verification was remembered', async () => {
    const token = await signAccessToken(claims, secret);
    expect(await verifyAccessToken(token, secret, 1_500)).toEqual(claims);
    expect(await verifyAccessToken(token, secret, 1_999)).toEqual(claims);
    expect(await verifyAccessToken(token, secret, 2_000)).toBeNull();
  });

  it('refuses a remembered token under another secret, and a tampered one', async () => {
    const token = await signAccessToken({ ...claims, sub: 'u2' }, secret);
    expect(await verifyAccessToken(token, secret, 1_500)).not.toBeNull();
    expect(await verifyAccessToken(token, `${secret}-rotated`, 1_500)).toBeNull();
    const [head, payload, signature] = token.split('.') as [string, string, string];
    const forged =
      `${head}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}` + `.${signature}`;
    expect(await verifyAccessToken(forged, secret, 1_500)).toBeNull();
    expect(await verifyAccessToken(`${head}.${payload}.${signature.slice(0, -2)}AA`, secret, 1_500)).toBeNull();
  });

  it('hands out claims nobody can change for the next request', async () => {
    const token = await signAccessToken({ ...claims, sub: 'u3' }, secret);
    const first = await verifyAccessToken(token, secret, 1_500);
    expect(() => Object.assign(first!, { role: 'admin' })).toThrow(TypeError);
    expect(await verifyAccessToken(token, secret, 1_500)).toMatchObject({ role: 'owner' });
  });
});
