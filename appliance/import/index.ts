// Public face of `appliance import`: FreeRADIUS clients.conf, users files, SQL dumps of
// radcheck/radreply (and groups, nas), and the JSON format, into the local replica in
// one transaction. Bad input throws ImportError naming file:line for every problem.
export { importIntoReplica } from './run-import.ts';
export type { ImportOptions, ImportReport } from './run-import.ts';
export { planImport } from './plan-import.ts';
export type { ImportPlan, ImportSources } from './plan-import.ts';
export { ImportError, formatProblem } from './problems.ts';
export type { ImportProblem, SourceLocation } from './problems.ts';
export { importDocumentSchema } from './json-import.ts';
export { parseMikrotikRateLimit } from './attribute-map.ts';
