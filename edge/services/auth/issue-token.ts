import type { Platform } from '../../env.ts';
import { signAccessToken, type AccessClaims } from '../../lib/tokens.ts';

type Subject =
  { typ: 'platform'; sub: string } | { typ: 'staff'; sub: string; tenant: string; role: string; epoch: number };

export async function issueAccessToken(platform: Platform, subject: Subject) {
  const iat = Math.floor(platform.now() / 1000);
  const exp = iat + platform.config.tokenTtlSeconds;
  const claims = { ...subject, iat, exp } as AccessClaims;
  return {
    access_token: await signAccessToken(claims, platform.config.authSecret),
    token_type: 'Bearer' as const,
    expires_in: platform.config.tokenTtlSeconds,
  };
}
