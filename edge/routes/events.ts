import { z } from '@hono/zod-openapi';
import { AppError } from '../errors.ts';
import { listEvents } from '../services/events/list-events.ts';
import { Pagination, createRouter, json, page, tenantRoute } from './common.ts';

export const Event = z
  .object({
    id: z.string(),
    seq: z.number().int().openapi({ description: "Position in the tenant's outbox; pass it as `after` to read on" }),
    type: z.string().openapi({ example: 'subscription.suspended' }),
    subject_type: z.string(),
    subject_id: z.string(),
    occurred_at: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('Event');

const EventQuery = Pagination.extend({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'the seq of an event')
    .optional()
    .openapi({ description: 'Start after this seq (the last event handled); `cursor` continues a page instead' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  type: z.string().max(100).optional(),
});

export const eventsRouter = createRouter().openapi(
  tenantRoute('events:read', {
    method: 'get',
    path: '/api/v1/events',
    operationId: 'listEvents',
    summary: 'Read the business events after a position',
    tags: ['events'],
    description:
      "The tenant's domain events in the order they committed. Poll with `after` = the `seq` of the last event you " +
      'handled; while more follow at once, `next_cursor` continues as `cursor`. Webhooks deliver the same events.',
    request: { query: EventQuery },
    responses: { 200: json(page(Event), 'Events after `after`, oldest first') },
  }),
  async (c) => {
    const { after, cursor, limit, type } = c.req.valid('query');
    // A cursor carries the seq of the last event of the page before.
    const from = cursor ?? after ?? '0';
    if (!/^\d{1,15}$/.test(from)) {
      const message = 'not a cursor of this list';
      throw new AppError('validation_failed', message, { errors: [{ path: 'cursor', message }] });
    }
    const input = { after: Number(from), limit, type };
    return c.json(await listEvents({ ctx: c.get('tenantCtx'), input }), 200);
  },
);
