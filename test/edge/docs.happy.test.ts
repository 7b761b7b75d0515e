import { describe, expect, it } from 'vitest';
import { startEdge } from '../support/edge-app.ts';

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, unknown> };
};

describe('OpenAPI document', () => {
  it(
    'is OpenAPI 3.1 and documents every API route the app serves, ' + 'with bearer security on all but the logins',
    async () => {
      const edge = await startEdge();
      const res = edge.ok(await edge.call('GET', '/api/v1/openapi.json'), 200);
      const doc = res.body as unknown as OpenApi;
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      const served = new Set(
        edge.app.routes
          .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v1/') && r.path !== '/api/v1/openapi.json')
          .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
      );
      const documented = new Set(
        Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
      );
      expect([...documented].sort()).toEqual([...served].sort());
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const isLogin = path.endsWith('/auth/login');
          expect(op.security ?? [], `${method} ${path}`).toEqual(isLogin ? [] : [{ bearer: [] }]);
          if (!isLogin)
            expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
        }
      }
    },
  );
});

describe('API reference page', () => {
  it('serves Swagger UI from the package with a strict CSP and no CDN', async () => {
    const edge = await startEdge();
    const page = edge.ok(await edge.call('GET', '/api/docs'), 200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const init = edge.ok(await edge.call('GET', '/api/docs/init.js'), 200);
    expect(init.text).toContain("url: '/api/v1/openapi.json'");
    const css = edge.ok(await edge.call('GET', '/api/docs/swagger-ui.css'), 200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.text.length).toBeGreaterThan(1000);
    const bundle = edge.ok(await edge.call('GET', '/api/docs/swagger-ui-bundle.js'), 200);
    expect(bundle.text).toContain('SwaggerUIBundle');
  });

  it('serves nothing else from the package directory', async () => {
    const edge = await startEdge();
    for (const path of [
      '/api/docs/package.json',
      '/api/docs/..%2Fpackage.json',
      '/api/docs/index.html',
      '/api/docs/swagger-ui.js.map',
    ]) {
      expect((await edge.call('GET', path)).status, path).toBe(404);
    }
  });
});
