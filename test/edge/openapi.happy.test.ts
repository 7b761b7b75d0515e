import { describe, expect, it } from 'vitest';
import { errorStatus, type ErrorCode } from '../../edge/errors.ts';
import { startEdge } from '../support/edge-app.ts';

type Ref = { $ref: string };
type Response = { description: string; headers?: Record<string, Ref>; content?: Record<string, { schema: unknown }> };
type Operation = { operationId?: string; summary?: string; parameters?: Ref[]; responses: Record<string, Response> };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { headers: Record<string, unknown>; parameters: Record<string, unknown> };
};

const problemStatuses = ['400', '401', '403', '404', '409', '413', '415', '422', '429', '500', '503'];

async function openApi() {
  const edge = await startEdge();
  const doc = edge.ok(await edge.call('GET', '/api/v1/openapi.json'), 200).body as unknown as Document;
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ name: `${method} ${path}`, method, path, op })),
  );
  return { edge, doc, operations };
}

describe('OpenAPI operations', () => {
  it('gives every operation a unique operationId and a summary', async () => {
    const { operations } = await openApi();
    expect(operations.length).toBeGreaterThan(130);
    const missing = operations.filter(({ op }) => !op.operationId || !op.summary?.trim()).map(({ name }) => name);
    expect(missing).toEqual([]);
    const ids = operations.map(({ op }) => op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    for (const { name, op } of operations) expect(op.operationId, name).toMatch(/^[a-z][A-Za-z0-9]*$/);
  });

  it('declares every problem response as problem+json, with Retry-After where the API sends it', async () => {
    const { doc, operations } = await openApi();
    for (const { name, op } of operations) {
      for (const status of problemStatuses) {
        const response = op.responses[status];
        const schema = response?.content?.['application/problem+json']?.schema;
        expect(schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
      }
      for (const status of ['429', '503']) {
        const retryAfter = op.responses[status]?.headers?.['Retry-After'];
        expect(retryAfter, `${name} ${status}`).toEqual({ $ref: '#/components/headers/RetryAfter' });
      }
    }
    expect(Object.keys(doc.components.headers).sort()).toEqual(['IdempotentReplayed', 'Location', 'RetryAfter']);
  });

  it('declares Idempotency-Key on every authenticated POST and Idempotent-Replayed on what it may replay', async () => {
    const { doc, operations } = await openApi();
    const key = doc.components.parameters.IdempotencyKey;
    expect(key).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false });
    const posts = operations.filter(({ method }) => method === 'post');
    for (const { name, path, op } of posts) {
      const login = path.endsWith('/auth/login');
      const declared = (op.parameters ?? []).some((p) => p.$ref === '#/components/parameters/IdempotencyKey');
      expect(declared, name).toBe(!login);
      for (const [status, response] of Object.entries(op.responses)) {
        const replayed = response.headers?.['Idempotent-Replayed'];
        const replayable = !login && !status.startsWith('5');
        const expected = replayable ? { $ref: '#/components/headers/IdempotentReplayed' } : undefined;
        expect(replayed, `${name} ${status}`).toEqual(expected);
      }
    }
    for (const { name, op } of operations.filter(({ method }) => method !== 'post')) {
      expect(
        (op.parameters ?? []).filter((p) => p.$ref),
        name,
      ).toEqual([]);
    }
  });

  it('declares Location where a route sends it', async () => {
    const { edge, doc } = await openApi();
    const created = doc.paths['/api/v1/subscriber-imports']!.post!.responses['202']!;
    expect(created.headers?.Location).toEqual({ $ref: '#/components/headers/Location' });
    const tenant = await edge.createTenant();
    const csv = 'first_name,last_name,service_line1,service_city,service_country\nAda,Lovelace,1 Main St,Lagos,NG\n';
    const upload = { token: tenant.owner.token, body: csv, headers: { 'content-type': 'text/csv' } };
    const res = edge.ok(await edge.call('POST', '/api/v1/subscriber-imports', upload), 202);
    expect(res.headers.get('location')).toBe(`/api/v1/subscriber-imports/${String(res.body.id)}`);
  });

  it('sends Idempotent-Replayed on a replay, as declared', async () => {
    const { edge } = await openApi();
    const tenant = await edge.createTenant();
    const request = { token: tenant.owner.token, body: { name: 'replayed' }, headers: { 'idempotency-key': 'tag-1' } };
    const send = () => edge.call('POST', '/api/v1/tags', request);
    const first = edge.ok(await send(), 201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = edge.ok(await send(), 201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
  });
});

describe('problem types', () => {
  it("resolves every code's type URI to a page explaining it", async () => {
    const edge = await startEdge();
    for (const code of Object.keys(errorStatus) as ErrorCode[]) {
      const type = `/problems/${code.replaceAll('_', '-')}`;
      const page = edge.ok(await edge.call('GET', type), 200);
      expect(page.headers.get('content-type'), type).toMatch(/^text\/html/);
      expect(page.text, type).toContain(`<code>${code}</code>`);
      expect(page.text, type).toContain(`<strong>${errorStatus[code]}</strong>`);
      // A sentence of explanation beyond the title.
      expect(page.text.replace(/<[^>]+>/g, '').length, type).toBeGreaterThan(300);
    }
  });

  it('links a real problem to its page, and answers unknown types with 404', async () => {
    const edge = await startEdge();
    const problem = await edge.call('GET', '/api/v1/nope');
    expect(problem.status).toBe(404);
    const page = edge.ok(await edge.call('GET', String(problem.body.type)), 200);
    expect(page.text).toContain('<h1>Not found</h1>');
    expect((await edge.call('GET', '/problems/no-such-code')).status).toBe(404);
    expect((await edge.call('GET', '/problems/not_found')).status).toBe(404);
  });
});
