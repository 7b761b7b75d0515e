// Helpers shared by the subscriber import tests.
import { expect } from 'vitest';
import type { CallResult, Json, TestEdge } from '../support/edge-app.ts';

export const importCsv = (
  edge: TestEdge,
  token: string,
  csv: string,
  query = '',
  headers: Record<string, string> = {},
): Promise<CallResult> =>
  edge.call('POST', `/api/v1/subscriber-imports${query}`, {
    token,
    body: csv,
    headers: { 'content-type': 'text/csv; charset=utf-8', ...headers },
  });

/** Polls the job until it has ended (completed or failed). */
export async function waitForImport(edge: TestEdge, token: string, id: string): Promise<Json> {
  for (let i = 0; i < 600; i++) {
    const res = edge.ok(await edge.call('GET', `/api/v1/subscriber-imports/${id}`, { token }), 200);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect.fail(`import ${id} did not finish`);
}
