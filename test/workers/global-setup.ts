import type { TestProject } from 'vitest/node';
import { startSqld } from '../support/sqld.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    sqldUrl: string;
    sqldAdminUrl: string;
  }
}

/** A real sqld on 127.0.0.1 for the Worker under test; stopped after the run. */
export default async function setup(project: TestProject) {
  const sqld = await startSqld();
  project.provide('sqldUrl', sqld.url);
  project.provide('sqldAdminUrl', sqld.adminUrl);
  return () => sqld.stop();
}
