// The typed client of this API, for the portals, integrations and the tests: Hono's RPC
// client over the app's own type, so every path, parameter, body and response (problems
// included) is checked against the same zod schemas the server validates with. Importing
// this file brings only `hono/client` at run time; the app is imported as a type.
import { hc } from 'hono/client';
import type { App } from './app.ts';

/** The client type, computed once here so editors and tsc do not recompute it at each use. */
export type ApiClient = ReturnType<typeof hc<App>>;

/**
 * A client of the API at `baseUrl`. Pass `fetch` to call in-process (a portal mounted beside
 * the API, a test: `(input, init) => app.request(input, init)`), and `headers` for the bearer token.
 */
export const createApiClient = (...args: Parameters<typeof hc>): ApiClient => hc<App>(...args);
