// Encryption at rest for NAS secrets and subscriber credentials in the replica.
//
// AES-256-GCM with a random 96-bit nonce per value; the row's identity (e.g.
// "subscriber:<id>") is bound as additional data, so a sealed value copied onto another
// row does not open. The key is 32 random bytes in a file (default <dataDir>/replica.key,
// mode 0600). What this buys: a copy of replica.db on its own (a backup, a support
// bundle, `sqlite3 .dump`) reveals no secret. What it does not: anyone who can read the
// key file too. Put the key elsewhere (config keyFile) to separate the two.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1.';

export type SecretBox = {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
};

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * Reads the key file, creating it (exclusively, mode 0600) when `create` is set and it
 * does not exist yet. Readers never create: a missing key there is a setup error.
 */
export function loadKey(path: string, create: boolean): Buffer {
  try {
    return decodeKey(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw error;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    // Another process created it between our read and our create: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(readFileSync(path, 'utf8'), path);
    throw error;
  }
  try {
    writeSync(fd, key.toString('base64') + '\n');
  } finally {
    closeSync(fd);
  }
  return key;
}

function decodeKey(text: string, path: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new SecretBoxError(`key file ${path} must hold ${KEY_BYTES} bytes in base64`);
  return key;
}

export function createSecretBox(rawKey: Buffer): SecretBox {
  if (rawKey.length !== KEY_BYTES) throw new SecretBoxError(`key must be ${KEY_BYTES} bytes`);
  // One KeyObject for every call: handing createCipheriv a Buffer builds a new key
  // object each time, which costs more than the encryption of a short value.
  const key = createSecretKey(rawKey);
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return FORMAT + Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed, context) {
      if (!sealed.startsWith(FORMAT)) throw new SecretBoxError(`unknown sealed format for ${context}`);
      const raw = Buffer.from(sealed.slice(FORMAT.length), 'base64');
      if (raw.length < NONCE_BYTES + TAG_BYTES) throw new SecretBoxError(`truncated sealed value for ${context}`);
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new SecretBoxError(`cannot open sealed value for ${context}: wrong key file or tampered row`);
      }
    },
  };
}
