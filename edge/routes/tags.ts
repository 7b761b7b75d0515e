import { z } from '@hono/zod-openapi';
import { createTag, deleteTag, listTags, updateTag } from '../services/subscribers/manage-tags.ts';
import { TagCreate, TagPatch } from '../services/subscribers/subscriber-input.ts';
import { IdParam, ListFormat, Pagination, body, createRouter, json, listResponse, tenantRoute } from './common.ts';
import { listOrCsv } from './list-csv.ts';

export const Tag = z
  .object({ id: z.string(), name: z.string(), color: z.string().nullable(), created_at: z.string() })
  .openapi('Tag');

const tagCsvColumns = ['name', 'color', 'created_at', 'id'] as const;

export const tagsRouter = createRouter()
  .openapi(
    tenantRoute('subscribers:read', {
      method: 'get',
      path: '/api/v1/tags',
      operationId: 'listTags',
      summary: 'List tags',
      tags: ['tags'],
      description: 'By name (case-insensitive).',
      request: { query: Pagination.extend(ListFormat.shape) },
      responses: { 200: listResponse(Tag, 'The tag set, by name') },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listTags, { filename: 'tags.csv', columns: tagCsvColumns }),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'post',
      path: '/api/v1/tags',
      operationId: 'createTag',
      summary: 'Create a tag',
      tags: ['tags'],
      request: { body: body(TagCreate) },
      responses: { 201: json(Tag, 'The new tag') },
    }),
    async (c) => c.json(await createTag({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'patch',
      path: '/api/v1/tags/{id}',
      operationId: 'updateTag',
      summary: 'Rename or recolour a tag',
      tags: ['tags'],
      request: { params: IdParam, body: body(TagPatch) },
      responses: { 200: json(Tag, 'The updated tag') },
    }),
    async (c) =>
      c.json(
        await updateTag({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('subscribers:write', {
      method: 'delete',
      path: '/api/v1/tags/{id}',
      operationId: 'deleteTag',
      summary: 'Delete a tag everywhere',
      tags: ['tags'],
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted and detached everywhere' } },
    }),
    async (c) => {
      await deleteTag({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
