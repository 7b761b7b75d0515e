// The bearer token of the local control port's commands (POST /coa/*; RFC 6750 §2.1
// `Authorization: Bearer <token>`). /health and /metrics stay open: they change
// nothing. Why a token although the port listens on 127.0.0.1: every local account,
// and every process on the box (a compromised monitoring agent included), can reach
// loopback; only whoever may read the data dir's control.token may disconnect
// subscribers.
//
// The token is made on first start: 32 random bytes, base64url, in <dataDir>/control.token
// created 0600 (owner only; after the privilege drop, so it belongs to the service
// user). It stays in the file as given to operators, like replica.key; the process keeps
// only its SHA-256 digest and compares digests in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './log.ts';

export const CONTROL_TOKEN_FILE = 'control.token';
// 32 bytes in base64url; a shorter token in the file was not made by us.
const MIN_TOKEN_LENGTH = 43;

export type ControlToken = {
  readonly path: string;
  /** Whether an Authorization header value carries the token. */
  verify(authorization: string | undefined): boolean;
};

export class ControlTokenError extends Error {
  override name = 'ControlTokenError';
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

function readOrCreate(path: string, log: Logger): string {
  try {
    const fd = openSync(path, 'wx', 0o600);
    const token = randomBytes(32).toString('base64url');
    writeSync(fd, `${token}\n`);
    closeSync(fd);
    log.info('control token created', { path });
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Someone loosened it (a backup restored with other modes): tighten, say so.
  if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    log.warn('control token file was readable by others; mode set to 0600', { path });
  }
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new ControlTokenError(`${path} does not hold a control token (delete it to have a new one made)`);
  }
  return token;
}

export function loadControlToken(dataDir: string, log: Logger): ControlToken {
  const path = join(dataDir, CONTROL_TOKEN_FILE);
  const expected = digest(readOrCreate(path, log));
  return {
    path,
    verify(authorization) {
      const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization ?? '');
      return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
    },
  };
}
