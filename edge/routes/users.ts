import { z } from '@hono/zod-openapi';
import { createUser, deleteUser, getUser, listUsers, updateUser } from '../services/users/manage-users.ts';
import { listOrCsv } from './list-csv.ts';
import {
  Email,
  IdParam,
  ListFormat,
  Pagination,
  Password,
  StaffRole,
  body,
  createRouter,
  json,
  listResponse,
  tenantRoute,
} from './common.ts';

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: StaffRole,
    status: z.enum(['active', 'disabled']),
    mfa_enabled: z.boolean(),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('User');

const userCsvColumns = [
  'id',
  'email',
  'name',
  'role',
  'status',
  'mfa_enabled',
  'last_login_at',
  'created_at',
  'updated_at',
] as const;

const CreateUser = z.object({
  email: Email,
  name: z.string().trim().min(1).max(200),
  role: StaffRole,
  password: Password,
});
const UpdateUser = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    role: StaffRole.optional(),
    status: z.enum(['active', 'disabled']).optional(),
    password: Password.optional(),
  })
  .strict();

export const usersRouter = createRouter()
  .openapi(
    tenantRoute('users:read', {
      method: 'get',
      path: '/api/v1/users',
      operationId: 'listUsers',
      summary: 'List staff users',
      tags: ['users'],
      request: {
        query: Pagination.extend({
          ...ListFormat.shape,
        }),
      },
      responses: {
        200: listResponse(User, 'Staff users; with format=csv every user as CSV'),
      },
    }),
    (c) => listOrCsv(c, c.req.valid('query'), listUsers, { filename: 'users.csv', columns: userCsvColumns }),
  )
  .openapi(
    tenantRoute('users:write', {
      method: 'post',
      path: '/api/v1/users',
      operationId: 'createUser',
      summary: 'Create a staff user',
      tags: ['users'],
      request: { body: body(CreateUser) },
      responses: { 201: json(User, 'The new user') },
    }),
    async (c) => c.json(await createUser({ ctx: c.get('tenantCtx'), input: c.req.valid('json') }), 201),
  )
  .openapi(
    tenantRoute('users:read', {
      method: 'get',
      path: '/api/v1/users/{id}',
      operationId: 'getUser',
      summary: 'Get a staff user',
      tags: ['users'],
      request: { params: IdParam },
      responses: { 200: json(User, 'The user') },
    }),
    async (c) => c.json(await getUser({ ctx: c.get('tenantCtx'), input: c.req.valid('param') }), 200),
  )
  .openapi(
    tenantRoute('users:write', {
      method: 'patch',
      path: '/api/v1/users/{id}',
      operationId: 'updateUser',
      summary: 'Update a staff user (role, status, password)',
      tags: ['users'],
      request: { params: IdParam, body: body(UpdateUser) },
      responses: { 200: json(User, 'The updated user') },
    }),
    async (c) =>
      c.json(
        await updateUser({
          ctx: c.get('tenantCtx'),
          input: { id: c.req.valid('param').id, patch: c.req.valid('json') },
        }),
        200,
      ),
  )
  .openapi(
    tenantRoute('users:write', {
      method: 'delete',
      path: '/api/v1/users/{id}',
      operationId: 'deleteUser',
      summary: 'Delete a staff user',
      tags: ['users'],
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await deleteUser({ ctx: c.get('tenantCtx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );
