import { z } from '@hono/zod-openapi';
import { csvColumns, listAuditEvents, listAuditEventsInChainOrder } from '../services/audit/list-audit-events.ts';
import { verifyAuditChain } from '../services/audit/verify-audit-chain.ts';
import { ListFormat, Pagination, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { csvDownload, csvPageSize, listOrCsv } from './list-csv.ts';

const AuditEvent = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    action: z.string(),
    resource: z.string(),
    resource_id: z.string().nullable(),
    changes: z.record(z.string(), z.unknown()).nullable(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEvent');

const Filter = z.object({
  actor_id: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  resource: z.string().max(100).optional(),
  resource_id: z.string().max(100).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

const ChainReport = z.union([
  z.object({ valid: z.literal(true), events: z.number().int(), head: z.string() }),
  z.object({
    valid: z.literal(false),
    events: z.number().int(),
    first_broken: z.object({
      seq: z.number().int(),
      id: z.string(),
      reason: z.enum(['hash_mismatch', 'link_mismatch']),
    }),
  }),
]);

export const auditEventsRouter = createRouter()
  .openapi(
    tenantRoute('audit:read', {
      method: 'get',
      path: '/api/v1/audit-events',
      operationId: 'listAuditEvents',
      summary: 'List audit entries',
      tags: ['audit'],
      description: 'Newest first (seq descending). `?format=csv` returns every matching entry in that order.',
      request: { query: Pagination.extend(Filter.shape).extend(ListFormat.shape) },
      responses: { 200: listResponse(AuditEvent, 'Audit events, newest first') },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listAuditEvents, { filename: 'audit-events.csv', columns: csvColumns }),
  )
  .openapi(
    tenantRoute('audit:read', {
      method: 'get',
      path: '/api/v1/audit-events/export',
      operationId: 'exportAuditEvents',
      summary: 'Export audit entries as CSV',
      tags: ['audit'],
      description:
        'Oldest first (seq ascending), the order the hash chain links them in, streamed page by page; ' +
        "the list's `?format=csv` gives the same rows newest first.",
      request: { query: Filter },
      responses: {
        200: { description: 'Matching events as CSV, oldest first', content: { 'text/csv': { schema: z.string() } } },
      },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      const input = c.req.valid('query');
      return csvDownload(c, 'audit-events.csv', csvColumns, (cursor) =>
        listAuditEventsInChainOrder({ ctx, input: { ...input, limit: csvPageSize, cursor } }),
      );
    },
  )
  .openapi(
    tenantRoute('audit:read', {
      method: 'get',
      path: '/api/v1/audit-events/verify',
      operationId: 'verifyAuditChain',
      summary: "Verify the audit log's hash chain",
      tags: ['audit'],
      responses: { 200: json(ChainReport, 'Whether the hash chain is intact, and the first broken link if not') },
    }),
    async (c) => c.json(await verifyAuditChain({ ctx: c.get('tenantCtx') }), 200),
  );
