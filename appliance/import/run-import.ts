// Applies an import plan to the replica in one transaction: all of it or none of it.
import { readFileSync } from 'node:fs';
import { ReplicaWriteError } from '../replica/index.ts';
import type { Replica } from '../replica/index.ts';
import { planImport } from './plan-import.ts';
import type { ImportPlan, ImportSources } from './plan-import.ts';
import { ImportError } from './problems.ts';
import type { ImportProblem } from './problems.ts';
import type { ReadText } from './users-file.ts';

export type ImportOptions = {
  /** Remove NAS clients, profiles and subscribers that the import does not contain. */
  replace?: boolean;
  /** Import users whose unsupported check items would be errors, dropping those items. */
  skipUnsupported?: boolean;
  /** Parse and validate only; write nothing. */
  dryRun?: boolean;
  readText?: ReadText;
};

export type ImportReport = {
  counts: ImportPlan['counts'];
  warnings: ImportProblem[];
  /** NAS clients marked for IPoE, and why. */
  notes: ImportProblem[];
  /** The replica revision after the import (unchanged on a dry run). */
  revision: number;
  written: boolean;
};

const readUtf8: ReadText = (path) => readFileSync(path, 'utf8');

export async function importIntoReplica(
  replica: Replica,
  sources: ImportSources,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const plan = planImport(sources, {
    skipUnsupported: options.skipUnsupported ?? false,
    readText: options.readText ?? readUtf8,
    profileExists: options.replace === true ? () => false : (name) => replica.getProfile(name) !== undefined,
  });
  if (options.dryRun === true || plan.changes.length === 0) {
    const { counts, warnings, notes } = plan;
    return { counts, warnings, notes, revision: replica.revision, written: false };
  }
  try {
    const result = await replica.applyChanges(plan.changes, { replace: options.replace === true });
    const { counts, warnings, notes } = plan;
    return { counts, warnings, notes, revision: result.revision, written: true };
  } catch (error) {
    // A conflict with what the replica already holds (a username taken by another id,
    // a NAS prefix under another id): name the line that brought it in.
    if (error instanceof ReplicaWriteError) {
      const location = error.changeIndex === null ? undefined : plan.locations[error.changeIndex];
      throw new ImportError([{ ...(location ?? { file: 'replica', line: 0 }), message: error.message }]);
    }
    throw error;
  }
}
