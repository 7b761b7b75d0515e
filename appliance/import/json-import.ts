// The JSON import format: the replica's own model, for standalone use and for
// migrations from systems other than FreeRADIUS.
//
// {
//   "version": 1,
//   "clients":     [{ "address": "10.0.0.0/24", "secret": "…", "name": "bng-1", "vendor": "mikrotik",
//                     "requireMessageAuthenticator": null }],
//   "profiles":    [{ "name": "50M", "rateLimit": { "upKbps": 10000, "downKbps": 50000 },
//                     "framedPool": "pool-a", "interimInterval": 300, "vlan": 100, … }],
//   "subscribers": [{ "username": "alice", "password": "…", "profile": "50M", "status": "active",
//                     "framedIp": "100.64.0.10", "mac": "aa:bb:cc:dd:ee:ff", "simultaneousUse": 1, … }],
//   "tenantPolicy": { "suspendedPolicy": "captive", "captiveProfile": "pay-first" }
// }
//
// Field by field, the schema is importDocumentSchema below (the replica's zod schemas);
// unknown keys are errors. Errors name the file and the line of the offending value.
import { z } from 'zod';
import {
  nasClientInputSchema,
  profileInputSchema,
  subscriberInputSchema,
  tenantPolicyInputSchema,
} from '../replica/index.ts';
import type { NasClientInput, ProfileInput, SubscriberInput, TenantPolicyInput } from '../replica/index.ts';
import type { ProblemLog, SourceLocation } from './problems.ts';
import type { ReadText } from './users-file.ts';

export const importDocumentSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).default(1),
  clients: z.array(nasClientInputSchema).default([]),
  profiles: z.array(profileInputSchema).default([]),
  subscribers: z.array(subscriberInputSchema).default([]),
  tenantPolicy: tenantPolicyInputSchema.optional(),
});

export type JsonImport = {
  clients: Array<{ value: NasClientInput; location: SourceLocation }>;
  profiles: Array<{ value: ProfileInput; location: SourceLocation }>;
  subscribers: Array<{ value: SubscriberInput; location: SourceLocation }>;
  tenantPolicy: { value: TenantPolicyInput; location: SourceLocation } | null;
};

type PathKey = string | number;

/**
 * The 1-based line where the value at `path` starts, found by scanning the JSON text
 * (JSON.parse keeps no positions). Falls back to the deepest part of the path found.
 */
export function locateJsonPath(text: string, path: readonly PathKey[]): number {
  let position = 0;
  let line = 1;
  const skipSpace = () => {
    while (position < text.length && /\s/.test(text.charAt(position))) {
      if (text.charAt(position) === '\n') line++;
      position++;
    }
  };
  const skipString = () => {
    position++;
    while (position < text.length && text.charAt(position) !== '"') position += text.charAt(position) === '\\' ? 2 : 1;
    position++;
  };
  const readString = () => {
    const start = position;
    skipString();
    return JSON.parse(text.slice(start, position)) as string;
  };
  const skipValue = (): void => {
    skipSpace();
    const char = text.charAt(position);
    if (char === '"') return skipString();
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      position++;
      skipSpace();
      if (text.charAt(position) === close) {
        position++;
        return;
      }
      for (;;) {
        if (char === '{') {
          skipSpace();
          skipString();
          skipSpace();
          position++;
        }
        skipValue();
        skipSpace();
        const next = text.charAt(position);
        position++;
        if (next === close || next === '') return;
      }
    }
    while (position < text.length && !/[\s,\]}]/.test(text.charAt(position))) position++;
  };
  // Descend one path element at a time; stop at the deepest one that exists.
  for (const key of path) {
    skipSpace();
    const container = text.charAt(position);
    if (container === '{' && typeof key === 'string') {
      position++;
      let found = false;
      for (;;) {
        skipSpace();
        if (text.charAt(position) !== '"') break;
        const name = readString();
        skipSpace();
        position++;
        skipSpace();
        if (name === key) {
          found = true;
          break;
        }
        skipValue();
        skipSpace();
        if (text.charAt(position) !== ',') break;
        position++;
      }
      if (!found) return line;
    } else if (container === '[' && typeof key === 'number') {
      position++;
      for (let index = 0; index < key; index++) {
        skipValue();
        skipSpace();
        if (text.charAt(position) !== ',') return line;
        position++;
      }
      skipSpace();
    } else return line;
  }
  skipSpace();
  return line;
}

export function parseJsonImport(path: string, readText: ReadText, log: ProblemLog): JsonImport {
  const empty: JsonImport = { clients: [], profiles: [], subscribers: [], tenantPolicy: null };
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    log.error({ file: path, line: 0 }, `cannot read: ${(error as Error).message}`);
    return empty;
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const line = at?.[1] === undefined ? 1 : text.slice(0, Number(at[1])).split('\n').length;
    log.error({ file: path, line }, `not valid JSON: ${message}`);
    return empty;
  }
  const parsed = importDocumentSchema.safeParse(document);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keys = issue.path.filter((key): key is PathKey => typeof key === 'string' || typeof key === 'number');
      log.error(
        { file: path, line: locateJsonPath(text, keys) },
        `${keys.join('.') || '(document)'}: ${issue.message}`,
      );
    }
    return empty;
  }
  // Hand the original objects on (input form): the replica normalizes them when it
  // applies them, and normalizing twice is not always the same (Option 82 ids).
  const raw = rawDocumentSchema.parse(document);
  const at = (keys: PathKey[]) => ({ file: path, line: locateJsonPath(text, keys) });
  const policy = raw.tenantPolicy;
  return {
    clients: raw.clients.filter(isNasClientInput).map((value, index) => ({ value, location: at(['clients', index]) })),
    profiles: raw.profiles.filter(isProfileInput).map((value, index) => ({ value, location: at(['profiles', index]) })),
    subscribers: raw.subscribers
      .filter(isSubscriberInput)
      .map((value, index) => ({ value, location: at(['subscribers', index]) })),
    tenantPolicy:
      policy !== undefined && isTenantPolicyInput(policy) ? { value: policy, location: at(['tenantPolicy']) } : null,
  };
}

// The same document seen as plain lists, to pick the input objects out of it.
const rawDocumentSchema = z.object({
  clients: z.array(z.unknown()).default([]),
  profiles: z.array(z.unknown()).default([]),
  subscribers: z.array(z.unknown()).default([]),
  tenantPolicy: z.unknown().optional(),
});

const isNasClientInput = (value: unknown): value is NasClientInput => nasClientInputSchema.safeParse(value).success;
const isProfileInput = (value: unknown): value is ProfileInput => profileInputSchema.safeParse(value).success;
const isSubscriberInput = (value: unknown): value is SubscriberInput => subscriberInputSchema.safeParse(value).success;
const isTenantPolicyInput = (value: unknown): value is TenantPolicyInput =>
  tenantPolicyInputSchema.safeParse(value).success;
