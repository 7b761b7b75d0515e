import { fromBase64Url, toBase64Url, utf8 } from './encoding.ts';

/** Encrypts small secrets at rest (TOTP seeds) with AES-256-GCM; `v1.<iv>.<ciphertext>`. */
export async function sealSecret(plain: string, keyBase64Url: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', fromBase64Url(keyBase64Url), 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8(plain));
  return `v1.${toBase64Url(iv)}.${toBase64Url(sealed)}`;
}

export async function openSecret(sealed: string, keyBase64Url: string): Promise<string> {
  const [version, iv, data] = sealed.split('.');
  if (version !== 'v1' || !iv || !data) throw new Error('unknown sealed secret format');
  const key = await crypto.subtle.importKey('raw', fromBase64Url(keyBase64Url), 'AES-GCM', false, ['decrypt']);
  return new TextDecoder().decode(
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64Url(iv) }, key, fromBase64Url(data)),
  );
}
