import { createClient } from '@libsql/client/web';
import type { DatabaseDriver } from '../databases.ts';

export type LibsqlServerOptions = {
  /** The server's HTTP URL (sqld `--http-listen-addr`, or a Turso group URL). */
  url: string;
  /** sqld's admin API (`--admin-listen-addr`), used to create and delete namespaces. */
  adminUrl: string;
  authToken?: string;
  fetch?: typeof fetch;
};

// sqld selects the namespace from this header: base64url of its name, without padding.
const namespaceHeader = (name: string) => btoa(name).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

/** One namespace per database on a libSQL server, over HTTP (works on Workers). */
export function createLibsqlServerDriver(options: LibsqlServerOptions): DatabaseDriver {
  const baseFetch = options.fetch ?? fetch;
  const admin = async (method: string, path: string) => {
    const response = await baseFetch(`${options.adminUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    });
    return response;
  };

  return {
    connect(name) {
      const header = namespaceHeader(name);
      return createClient({
        url: options.url,
        authToken: options.authToken,
        fetch: (input: Request | string | URL, init?: RequestInit) => {
          const request = new Request(input, init);
          request.headers.set('x-namespace-bin', header);
          return baseFetch(request);
        },
      });
    },
    async provision(name) {
      const response = await admin('POST', `/v1/namespaces/${encodeURIComponent(name)}/create`);
      if (!response.ok)
        throw new Error(`creating namespace ${name} failed: ${response.status} ${await response.text()}`);
    },
    async exists(name) {
      const response = await admin('GET', `/v1/namespaces/${encodeURIComponent(name)}/config`);
      await response.body?.cancel();
      return response.ok;
    },
    async destroy(name) {
      const response = await admin('DELETE', `/v1/namespaces/${encodeURIComponent(name)}`);
      if (!response.ok && response.status !== 404)
        throw new Error(`deleting namespace ${name} failed: ${response.status}`);
    },
  };
}
