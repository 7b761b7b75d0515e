import { z } from '@hono/zod-openapi';
import { exportAuditEventsCsv, listAuditEvents } from '../services/audit/list-audit-events.ts';
import { verifyAuditChain } from '../services/audit/verify-audit-chain.ts';
import { Pagination, createRouter, json, page, tenantRoute } from './common.ts';

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
      request: { query: Pagination.extend(Filter.shape) },
      responses: { 200: json(page(AuditEvent), 'Audit events, newest first') },
    }),
    async (c) => c.json(await listAuditEvents({ ctx: c.get('tenantCtx'), input: c.req.valid('query') }), 200),
  )
  .openapi(
    tenantRoute('audit:read', {
      method: 'get',
      path: '/api/v1/audit-events/export',
      operationId: 'exportAuditEvents',
      summary: 'Export audit entries as CSV',
      tags: ['audit'],
      request: { query: Filter },
      responses: {
        200: { description: 'Matching events as CSV, oldest first', content: { 'text/csv': { schema: z.string() } } },
      },
    }),
    async (c) => {
      const csv = await exportAuditEventsCsv({ ctx: c.get('tenantCtx'), input: c.req.valid('query') });
      return c.body(csv, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="audit-events.csv"',
      });
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
