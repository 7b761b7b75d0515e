import { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { ticketPriorities, ticketStatuses } from '../../db/tenant/index.ts';
import { AppError } from '../errors.ts';
import {
  createTicket,
  getTicket,
  listTickets,
  ticketCsvColumns,
  ticketCsvRecord,
  updateTicket,
} from '../services/tickets/manage-tickets.ts';
import { sweepTicketSlas } from '../services/tickets/sla-breaches.ts';
import {
  deleteTicketAttachment,
  listTicketAttachments,
  readTicketAttachment,
  uploadTicketAttachment,
} from '../services/tickets/ticket-attachments.ts';
import { addTicketComment, listTicketComments } from '../services/tickets/ticket-comments.ts';
import { attachmentTypes, maxAttachmentBytes } from '../services/tickets/ticket-rules.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { problem } from './operation.ts';
import { listOrCsv } from './list-csv.ts';

const attachmentUploadPath = '/api/v1/tickets/:id/attachments';
/** Uploads are exempt from the API's 1 MiB body limit (edge/app.ts); this router sets their own. */
export const attachmentUploadPattern = /^\/api\/v1\/tickets\/[^/]+\/attachments$/;

const Priority = z.enum(ticketPriorities);
const Status = z.enum(ticketStatuses);
const Clock = z.object({ due_at: z.string(), met_at: z.string().nullable(), breached: z.boolean() });

const Ticket = z
  .object({
    id: z.string(),
    number: z.string(),
    subject: z.string(),
    description: z.string(),
    priority: Priority,
    status: Status,
    assignee_id: z.string().nullable(),
    subscriber_id: z.string().nullable(),
    subscription_id: z.string().nullable(),
    device_id: z.string().nullable(),
    sla: z.object({ first_response: Clock, resolution: Clock.extend({ paused: z.boolean() }) }),
    created_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    closed_at: z.string().nullable(),
  })
  .openapi('Ticket');

const Comment = z
  .object({
    id: z.string(),
    ticket_id: z.string(),
    body: z.string(),
    internal: z.boolean(),
    author_type: z.enum(['user', 'api_key', 'system']),
    author_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('TicketComment');

const Attachment = z
  .object({
    id: z.string(),
    ticket_id: z.string(),
    filename: z.string(),
    content_type: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    uploaded_by_type: z.enum(['user', 'api_key', 'system']),
    uploaded_by: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('TicketAttachment');

const commentCsvColumns = ['created_at', 'author_type', 'author_id', 'internal', 'body', 'ticket_id', 'id'] as const;
// The files' metadata; the bytes are GET /attachments/{id}.
const attachmentCsvColumns = [
  'created_at',
  'filename',
  'content_type',
  'size',
  'sha256',
  'uploaded_by_type',
  'uploaded_by',
  'ticket_id',
  'id',
] as const;

const Subject = z.string().trim().min(1).max(200);
const Description = z.string().trim().max(20_000);
const Link = z.uuid();

const CreateTicket = z
  .object({
    subject: Subject,
    description: Description.default(''),
    priority: Priority.default('normal'),
    assignee_id: Link.optional(),
    subscriber_id: Link.optional(),
    subscription_id: Link.optional(),
    device_id: Link.optional(),
  })
  .strict();

const UpdateTicket = z
  .object({
    subject: Subject.optional(),
    description: Description.optional(),
    priority: Priority.optional(),
    status: Status.optional(),
    assignee_id: Link.nullable().optional(),
    subscriber_id: Link.nullable().optional(),
    subscription_id: Link.nullable().optional(),
    device_id: Link.nullable().optional(),
  })
  .strict();

const TicketFilter = z.object({
  status: Status.optional(),
  priority: Priority.optional(),
  assignee_id: Link.optional(),
  subscriber_id: Link.optional(),
  breached: z.enum(['true', 'false']).optional(),
  ...ListFormat.shape,
});

const NewComment = z
  .object({ body: z.string().trim().min(1).max(20_000), internal: z.boolean().default(false) })
  .strict();

const SweepReport = z.object({
  breached: z.array(
    z.object({
      ticket_id: z.string(),
      number: z.string(),
      kind: z.enum(['first_response', 'resolution']),
      due_at: z.string(),
    }),
  ),
});

const binary = z.string().openapi({ format: 'binary' });

/** RFC 6266: an ASCII fallback and the exact name in RFC 8187 encoding. */
const contentDisposition = (filename: string) => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
};

const router = createRouter();
// Before authentication and Idempotency-Key (which reads the body): nothing reads more than the limit.
router.use(
  attachmentUploadPath,
  bodyLimit({
    maxSize: maxAttachmentBytes,
    onError: () => {
      throw new AppError('payload_too_large', `attachments are limited to ${maxAttachmentBytes / 1024 / 1024} MiB`);
    },
  }),
);

export const ticketsRouter = router
  .openapi(
    tenantRoute('tickets:read', {
      method: 'get',
      path: '/api/v1/tickets',
      operationId: 'listTickets',
      summary: 'List tickets',
      tags: ['tickets'],
      description: 'Newest first. `?format=csv` returns every matching ticket as CSV (limit and cursor do not apply).',
      request: { query: Pagination.extend(TicketFilter.shape) },
      responses: { 200: listResponse(Ticket, 'Tickets') },
    }),
    (c) => {
      const { breached, ...query } = c.req.valid('query');
      const filter = { ...query, breached: breached === undefined ? undefined : breached === 'true' };
      return listOrCsv(c, filter, listTickets, {
        filename: 'tickets.csv',
        columns: ticketCsvColumns,
        row: ticketCsvRecord,
      });
    },
  )
  .openapi(
    tenantRoute('tickets:write', {
      method: 'post',
      path: '/api/v1/tickets',
      operationId: 'createTicket',
      summary: 'Open a ticket',
      tags: ['tickets'],
      request: { body: body(CreateTicket) },
      responses: { 201: json(Ticket, 'The new ticket') },
    }),
    async (c) => c.json(await createTicket({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('tickets:write', {
      method: 'post',
      path: '/api/v1/tickets/sla-sweep',
      operationId: 'sweepTicketSlas',
      summary: 'Record SLA breaches now',
      tags: ['tickets'],
      description:
        'Records every SLA breach due by now (one `ticket.sla_breached` event per ticket and kind, ever); what the ' +
        'scheduler runs.',
      responses: { 200: json(SweepReport, 'The breaches recorded by this sweep') },
    }),
    async (c) => {
      const ctx = c.get('tenantCtx');
      return c.json(await sweepTicketSlas({ ctx, now: ctx.platform.now() }), 200);
    },
  )
  .openapi(
    tenantRoute('tickets:read', {
      method: 'get',
      path: '/api/v1/tickets/{id}',
      operationId: 'getTicket',
      summary: 'Get a ticket',
      tags: ['tickets'],
      request: { params: IdParam },
      responses: { 200: json(Ticket, 'The ticket') },
    }),
    async (c) => c.json(await getTicket({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('tickets:write', {
      method: 'patch',
      path: '/api/v1/tickets/{id}',
      operationId: 'updateTicket',
      summary: 'Update a ticket',
      tags: ['tickets'],
      description:
        'Status moves open → pending/resolved/closed, pending → open/resolved/closed, resolved → open ' +
        '(reopen)/closed; closed is final (409).',
      request: { params: IdParam, body: body(UpdateTicket) },
      responses: { 200: json(Ticket, 'The updated ticket') },
    }),
    async (c) =>
      c.json(
        await updateTicket({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('tickets:read', {
      method: 'get',
      path: '/api/v1/tickets/{id}/comments',
      operationId: 'listTicketComments',
      summary: "List a ticket's comments",
      tags: ['tickets'],
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Comment, 'Comments, oldest first') },
    }),
    (c) =>
      listOrCsv(c, { ticketId: c.req.valid('param').id, ...c.req.valid('query') }, listTicketComments, {
        filename: 'ticket-comments.csv',
        columns: commentCsvColumns,
      }),
  )
  .openapi(
    tenantRoute('tickets:write', {
      method: 'post',
      path: '/api/v1/tickets/{id}/comments',
      operationId: 'createTicketComment',
      summary: 'Comment on a ticket',
      tags: ['tickets'],
      description:
        'Public comments answer the customer (the first one meets the first-response SLA); internal ones are staff ' +
        'notes.',
      request: { params: IdParam, body: body(NewComment) },
      responses: { 201: json(Comment, 'The new comment') },
    }),
    async (c) =>
      c.json(
        await addTicketComment({
          ctx: c.get('tenantCtx'),
          input: { ticketId: c.req.valid('param').id, ...c.req.valid('json') },
        }),
        201,
      ),
  )
  .openapi(
    tenantRoute('tickets:read', {
      method: 'get',
      path: '/api/v1/tickets/{id}/attachments',
      operationId: 'listTicketAttachments',
      summary: "List a ticket's attachments",
      tags: ['tickets'],
      request: { params: IdParam, query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Attachment, 'Attachments, oldest first') },
    }),
    (c) =>
      listOrCsv(c, { ticketId: c.req.valid('param').id, ...c.req.valid('query') }, listTicketAttachments, {
        filename: 'ticket-attachments.csv',
        columns: attachmentCsvColumns,
      }),
  )
  .openapi(
    tenantRoute('tickets:write', {
      method: 'post',
      path: '/api/v1/tickets/{id}/attachments',
      operationId: 'uploadTicketAttachment',
      summary: 'Upload a file to a ticket',
      tags: ['tickets'],
      description:
        `The request body is the file itself, its Content-Type one of ${attachmentTypes.join(', ')} (else ` +
        `415), at most ${maxAttachmentBytes / 1024 / 1024} MiB (else 413); \`?filename=\` names it.`,
      request: {
        params: IdParam,
        query: z.object({ filename: z.string().max(255).optional() }),
        body: {
          required: true,
          content: Object.fromEntries(attachmentTypes.map((type) => [type, { schema: binary }])),
        },
      },
      responses: {
        201: json(Attachment, 'The stored attachment'),
        413: problem('The file is over the size limit'),
        415: problem('The file type is not accepted'),
      },
    }),
    async (c) => {
      const input = {
        ticketId: c.req.valid('param').id,
        filename: c.req.valid('query').filename,
        contentType: c.req.header('content-type'),
        body: new Uint8Array(await c.req.arrayBuffer()),
      };
      return c.json(await uploadTicketAttachment({ ctx: c.get('tenantCtx'), input }), 201);
    },
  )
  .openapi(
    tenantRoute('tickets:read', {
      method: 'get',
      path: '/api/v1/attachments/{id}',
      operationId: 'downloadAttachment',
      summary: 'Download an attachment',
      tags: ['tickets'],
      request: { params: IdParam },
      responses: {
        200: {
          description: 'The file, with its stored content type',
          content: { 'application/octet-stream': { schema: binary } },
        },
      },
    }),
    async (c) => {
      const { attachment, object } = await readTicketAttachment({
        ctx: c.get('tenantCtx'),
        input: c.req.valid('param'),
      });
      return c.body(object.body, 200, {
        'content-type': object.contentType,
        'content-length': String(object.size),
        'content-disposition': contentDisposition(attachment.filename),
        // Never rendered as a page of ours: no sniffing, no script, not cached by shared caches.
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, no-store',
      });
    },
  )
  .openapi(
    tenantRoute('tickets:write', {
      method: 'delete',
      path: '/api/v1/attachments/{id}',
      operationId: 'deleteAttachment',
      summary: 'Delete an attachment',
      tags: ['tickets'],
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteTicketAttachment({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
