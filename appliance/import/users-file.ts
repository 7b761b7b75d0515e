// FreeRADIUS `users` file (rlm_files) parser.
//
//   name  Check-Item op value, Check-Item op value        ← first line: name + checks
//         Reply-Item = value,                              ← indented: replies,
//         Reply-Item = value                                 a trailing comma continues
//
// Names may be quoted; `#` starts a comment; `$INCLUDE file` is read relative to the
// including file. Entries named DEFAULT are returned with isDefault set: the appliance
// has no rule engine to evaluate them (see import/build-changes.ts).
import { dirname, resolve } from 'node:path';
import { createLineLexer, LexError, readPairList } from './pairs.ts';
import type { LocatedPair } from './pairs.ts';
import type { ProblemLog, SourceLocation } from './problems.ts';

export type UsersEntry = {
  name: string;
  isDefault: boolean;
  location: SourceLocation;
  checks: LocatedPair[];
  replies: LocatedPair[];
};

export type ReadText = (path: string) => string;

const MAX_INCLUDE_DEPTH = 8;

export function parseUsersFile(path: string, readText: ReadText, log: ProblemLog, depth = 0): UsersEntry[] {
  const file = path;
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    log.error({ file, line: 0 }, `cannot read: ${(error as Error).message}`);
    return [];
  }
  const lines = text.split(/\r?\n/);
  const entries: UsersEntry[] = [];
  // name: expecting an entry; first-reply: after a header, a reply line or the next
  // entry may follow; more-reply: the last reply line ended with a comma; skip: the
  // entry was bad (already reported), its reply lines are passed over.
  let mode: 'name' | 'first-reply' | 'more-reply' | 'skip' = 'name';
  let current: UsersEntry | null = null;
  let lastReplyLine = 0;

  for (const [index, line] of lines.entries()) {
    const location = { file, line: index + 1 };
    if (/^\s*(#.*)?$/.test(line)) continue;
    try {
      if (/^\s/.test(line)) {
        if (mode === 'skip') continue;
        if (mode === 'name' || current === null) {
          log.error(location, 'reply item outside an entry (is the comma missing at the end of the previous line?)');
          continue;
        }
        const replies = readPairList(createLineLexer(line));
        current.replies.push(...replies.pairs.map((pair) => ({ ...pair, location })));
        mode = replies.continues ? 'more-reply' : 'name';
        lastReplyLine = index + 1;
        continue;
      }
      if (mode === 'more-reply')
        log.error({ file, line: lastReplyLine }, 'the reply item ends with a comma but no reply item follows');
      mode = 'name';
      current = null;

      const include = /^\$-?INCLUDE\s+(.+?)\s*$/.exec(line);
      if (include?.[1] !== undefined) {
        if (depth >= MAX_INCLUDE_DEPTH) log.error(location, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`);
        else
          entries.push(
            ...parseUsersFile(resolve(dirname(path), include[1].replace(/^["']|["']$/g, '')), readText, log, depth + 1),
          );
        continue;
      }

      const lexer = createLineLexer(line);
      const quote = lexer.peek();
      const name = quote === '"' || quote === "'" ? lexer.readQuoted() : lexer.readBare();
      const checks = readPairList(lexer);
      if (checks.continues)
        throw new LexError("check items must all be on the entry's first line (it ends with a comma)");
      current = {
        name,
        isDefault: name === 'DEFAULT',
        location,
        checks: checks.pairs.map((pair) => ({ ...pair, location })),
        replies: [],
      };
      entries.push(current);
      mode = 'first-reply';
    } catch (error) {
      if (!(error instanceof LexError)) throw error;
      log.error(location, error.message);
      mode = 'skip';
    }
  }
  if (mode === 'more-reply')
    log.error({ file, line: lastReplyLine }, 'the reply item ends with a comma but no reply item follows');
  return entries;
}
