import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { HonoEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import { authenticatePlatform, authenticateTenant, requirePermission } from '../middleware/authenticate.ts';
import { idempotency, type KeyedResource } from '../middleware/idempotency.ts';
import type { Permission } from '../permissions.ts';
import { decodeCursor } from '../services/page-of.ts';
import { describeOperation, type OperationConfig } from './operation.ts';

/** A router whose validation failures become 400 problems listing each field. */
export const createRouter = () =>
  new OpenAPIHono<HonoEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const errors = result.error.issues.map((issue) => ({
          path: issue.path.join('.') || '(body)',
          message: issue.message,
        }));
        throw new AppError('validation_failed', `${errors.length} field(s) failed validation`, { errors });
      }
    },
  });

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });
/** An opaque cursor this API handed out, decoded to the list's sort key; anything else is a 400. */
export const Cursor = z
  .string()
  .max(400)
  .transform((cursor, ctx) => {
    const key = decodeCursor(cursor);
    if (key === null) ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned' });
    return key ?? z.NEVER;
  });
export const Pagination = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: Cursor.optional().openapi({ description: 'Opaque: the next_cursor of the previous page', type: 'string' }),
});
/**
 * created_from / created_to (half-open) and updated_since on lists of dated records; see edge/services/time-window.ts.
 */
export const TimeWindowQuery = z.object({
  created_from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Created at or after (inclusive)' }),
  created_to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Created before (exclusive)' }),
  updated_since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Last changed at or after (inclusive)' }),
});
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });
/** `?format=csv` on a list view: every matching row, all pages, as a download (routes/list-csv.ts). */
export const ListFormat = z.object({
  format: z
    .enum(['json', 'csv'])
    .default('json')
    .openapi({ description: 'csv: every matching row (all pages; limit and cursor do not apply), as a download' }),
});
/**
 * A list view's 200: a page of `item` as JSON, or with format=csv every matching row as CSV
 * (the document declares text/csv: operation.ts withCsvDownloads).
 */
export const listResponse = <T extends z.ZodType>(item: T, description: string) =>
  json(page(item), `${description}; with format=csv every matching row as CSV`);

export const StaffRole = z.enum(['owner', 'admin', 'operations', 'billing', 'support', 'field_tech', 'read_only']);
export const Password = z.string().min(12, 'must be at least 12 characters').max(256);
export const Email = z.email().max(254);

// `P` keeps the path a literal type, so the app's type (and the typed client) knows each route.
type Described<P extends string> = OperationConfig & { path: P };

/**
 * A tenant route: staff token or API key, the permission checked, Idempotency-Key honoured.
 * A long-running POST names the resource it creates (see KeyedResource).
 */
export const tenantRoute = <P extends string, R extends Described<P>>(
  permission: Permission | null,
  config: R,
  resource?: KeyedResource,
) =>
  createRoute({
    ...describeOperation(config, true),
    security: [{ bearer: [] }],
    middleware: [
      authenticateTenant(),
      ...(permission ? [requirePermission(permission)] : []),
      idempotency(resource),
    ] as const,
  });

/** A platform route: a platform administrator's token, Idempotency-Key honoured. */
export const platformRoute = <P extends string, R extends Described<P>>(config: R) =>
  createRoute({
    ...describeOperation(config, true),
    security: [{ bearer: [] }],
    middleware: [authenticatePlatform(), idempotency()] as const,
  });

/** A route anyone may call (the logins): no token, no Idempotency-Key; `guard` runs first (a rate limit). */
export const publicRoute = <P extends string, R extends Described<P>>(guard: MiddlewareHandler<HonoEnv>, config: R) =>
  createRoute({ ...describeOperation(config, false), middleware: [guard] as const });
