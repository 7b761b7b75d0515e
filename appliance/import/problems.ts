// Where import input came from, and how bad input is reported: every problem names
// its file and line, the way compilers do ("users:12: ..."), so an operator can jump
// straight to it.

export type SourceLocation = { file: string; line: number };

export type ImportProblem = SourceLocation & { message: string };

/** "file:line: message"; line 0 means the file as a whole (it could not be read). */
export function formatProblem(problem: ImportProblem): string {
  return problem.line > 0
    ? `${problem.file}:${problem.line}: ${problem.message}`
    : `${problem.file}: ${problem.message}`;
}

/** Bad input; nothing was written. Lists every problem found (up to a limit). */
export class ImportError extends Error {
  override name = 'ImportError';
  readonly problems: readonly ImportProblem[];
  constructor(problems: readonly ImportProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

const MAX_PROBLEMS = 50;

/** Collects problems and warnings while parsing, so one run reports many at once. */
export type ProblemLog = {
  error(location: SourceLocation, message: string): void;
  warn(location: SourceLocation, message: string): void;
  /** Something the import decided that the operator should know (not a problem). */
  note(location: SourceLocation, message: string): void;
  readonly errors: readonly ImportProblem[];
  readonly warnings: readonly ImportProblem[];
  readonly notes: readonly ImportProblem[];
  /** Throws ImportError if any error was recorded. */
  throwIfAny(): void;
};

export function createProblemLog(): ProblemLog {
  const errors: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  const notes: ImportProblem[] = [];
  return {
    error(location, message) {
      if (errors.length < MAX_PROBLEMS) errors.push({ ...location, message });
    },
    warn(location, message) {
      warnings.push({ ...location, message });
    },
    note(location, message) {
      notes.push({ ...location, message });
    },
    errors,
    warnings,
    notes,
    throwIfAny() {
      if (errors.length === 0) return;
      const sorted = [...errors].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
      throw new ImportError(sorted);
    },
  };
}
