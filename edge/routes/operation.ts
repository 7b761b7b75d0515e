import { z, type RouteConfig } from '@hono/zod-openapi';
import { problemTypePath } from '../errors.ts';

// What the OpenAPI document says about every operation beyond its own schemas: the
// problems any route can answer with, and the headers the middleware adds. The route
// helpers in common.ts apply it, so a new route cannot leave it out.

export const Problem = z
  .object({
    type: z.string().openapi({ description: `A page explaining the code: ${problemTypePath('not_found')} and so on` }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details with the error code and the request id' });

/** Components the operations refer to by `$ref`; registered by app.ts. */
export const sharedHeaders = {
  RetryAfter: {
    description: 'Seconds to wait before trying again (RFC 9110 §10.2.3)',
    schema: { type: 'integer' as const },
  },
  Location: {
    description: 'The URL of the resource the request created (RFC 9110 §10.2.2)',
    schema: { type: 'string' as const },
  },
  IdempotentReplayed: {
    description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key',
    schema: { type: 'string' as const, enum: ['true'] },
  },
};

export const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description:
    'Makes a POST safe to retry: the first response is stored for 24 h, committed together with what the ' +
    'request did, and replayed for the same key and body; the same key with another body is a 422. A request ' +
    'that failed with a 5xx or never finished stored nothing and may be sent again.',
  schema: { type: 'string' as const, minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
};

const ref = (group: 'headers' | 'parameters', name: string) => ({ $ref: `#/components/${group}/${name}` });
export const locationHeader = { Location: ref('headers', 'Location') };

/** A problem+json response; `headers` as in an OpenAPI response object. */
export const problem = (description: string, headers?: Record<string, { $ref: string }>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: Problem } },
});

// Every status errors.ts maps a code to. Body limits, media types and rate limits apply to
// every route, so each operation declares them all; a route may describe one more closely.
export const problemResponses = {
  400: problem('Malformed request, or input that failed validation (`errors` names each field)'),
  401: problem('Not authenticated: no, an expired or a revoked token; wrong credentials'),
  403: problem('Authenticated, but the role lacks the permission, or the tenant is suspended'),
  404: problem("No such resource in the caller's tenant"),
  409: problem('Conflicts with the current state: a duplicate, a transition not allowed, a request in progress'),
  413: problem('The request body is larger than this route accepts'),
  415: problem("The request body's Content-Type is not one this route accepts"),
  422: problem('Well-formed but not processable (a rule of the domain, an Idempotency-Key reused)'),
  429: problem('Too many requests, or the account is locked for a while', {
    'Retry-After': ref('headers', 'RetryAfter'),
  }),
  500: problem('Something went wrong on our side; quote the request id'),
  503: problem('A dependency is unavailable; try again', { 'Retry-After': ref('headers', 'RetryAfter') }),
};

/** What each operation must say about itself; the route helpers take nothing less. */
type OwnedByHelpers = 'middleware' | 'security' | 'operationId' | 'summary' | 'parameters';
export type OperationConfig = Omit<RouteConfig, OwnedByHelpers> & {
  /** Unique across the API; clients generated from the document name their functions by it. */
  operationId: string;
  /** A short imperative sentence: "List subscribers". */
  summary: string;
};

/**
 * The operation with every problem response (its own descriptions win) and, on a POST that
 * honours Idempotency-Key, that header declared (`withReplayHeaders` adds the response header).
 */
export function describeOperation<R extends OperationConfig>(config: R, idempotent: boolean) {
  const idempotencyKey = idempotent && config.method === 'post';
  const parameters = idempotencyKey ? { parameters: [ref('parameters', 'IdempotencyKey')] } : {};
  return { ...config, ...parameters, responses: { ...problemResponses, ...config.responses } };
}

type Operation = { parameters?: object[]; responses?: Record<string, object> };

/**
 * Declares the CSV download on every list that takes `?format=csv` (common.ts ListFormat).
 * Runs over the generated document rather than in each route's responses: a second media
 * type there would make the typed client's JSON body a union with `string` and `Response`.
 */
export function withCsvDownloads<D extends { paths?: Record<string, { get?: Operation }> }>(doc: D): D {
  for (const item of Object.values(doc.paths ?? {})) {
    const ok = item.get?.responses?.['200'] as { content?: Record<string, unknown> } | undefined;
    const format = item.get?.parameters?.find(
      (p): p is { name: string; in: string; schema?: { enum?: unknown[] } } =>
        'name' in p && p.name === 'format' && 'in' in p && p.in === 'query',
    );
    if (ok?.content && format?.schema?.enum?.includes('csv')) {
      ok.content['text/csv'] = { schema: { type: 'string', description: 'RFC 4180, a header row, CRLF' } };
    }
  }
  return doc;
}

/**
 * Declares `Idempotent-Replayed` on every response an idempotent POST may replay (all but
 * server errors, which are never stored). Runs over the generated document, since the
 * response header does not change any response's schema.
 */
export function withReplayHeaders<D extends { paths?: Record<string, { post?: Operation }> }>(doc: D): D {
  const idempotencyKey = ref('parameters', 'IdempotencyKey').$ref;
  for (const item of Object.values(doc.paths ?? {})) {
    const post = item.post;
    if (!post?.responses || !post.parameters?.some((p) => '$ref' in p && p.$ref === idempotencyKey)) continue;
    const replayed = { 'Idempotent-Replayed': ref('headers', 'IdempotentReplayed') };
    post.responses = Object.fromEntries(
      Object.entries(post.responses).map(([status, response]) => {
        if (status.startsWith('5')) return [status, response];
        const headers = 'headers' in response && typeof response.headers === 'object' ? response.headers : {};
        return [status, { ...response, headers: { ...headers, ...replayed } }];
      }),
    );
  }
  return doc;
}
