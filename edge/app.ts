import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import type { HonoEnv } from './context.ts';
import type { Platform } from './env.ts';
import { AppError, problemResponse } from './errors.ts';
import { requestContext } from './middleware/request-context.ts';
import { apiKeysRouter } from './routes/api-keys.ts';
import { auditEventsRouter } from './routes/audit-events.ts';
import { authRouter } from './routes/auth.ts';
import { docsRouter } from './routes/docs.ts';
import { idempotencyKeyParameter, sharedHeaders, withCsvDownloads, withReplayHeaders } from './routes/operation.ts';
import { problemTypesRouter } from './routes/problem-types.ts';
import { meRouter } from './routes/me.ts';
import { customFieldsRouter } from './routes/custom-fields.ts';
import { platformRouter } from './routes/platform.ts';
import { subscribersRouter } from './routes/subscribers.ts';
import { tagsRouter } from './routes/tags.ts';
import { attachmentUploadPattern, ticketsRouter } from './routes/tickets.ts';
import { leadsRouter } from './routes/leads.ts';
import { subscriptionsRouter } from './routes/subscriptions.ts';
import { subscriberImportsRouter } from './routes/subscriber-imports.ts';
import { usersRouter } from './routes/users.ts';
import { chargesRouter, invoicesRouter } from './routes/invoices.ts';
import { paymentsRouter } from './routes/payments.ts';
import { creditNotesRouter } from './routes/credit-notes.ts';
import { ledgerRouter } from './routes/ledger.ts';
import { billingRunsRouter } from './routes/billing-runs.ts';
import { taxRatesRouter } from './routes/tax-rates.ts';
import { offersRouter } from './routes/offers.ts';
import { addonsRouter } from './routes/addons.ts';
import { discountsRouter } from './routes/discounts.ts';
import { policySetsRouter } from './routes/policy-sets.ts';
import { billingSettingsRouter } from './routes/billing-settings.ts';
import { usageRouter } from './routes/usage.ts';
import { collectionsRouter } from './routes/collections.ts';
import { eventsRouter } from './routes/events.ts';
import { webhooksRouter } from './routes/webhooks.ts';
import { nudgeOutboxAfterWrites } from './middleware/nudge-outbox.ts';

/** The whole HTTP API, composed once per process (Node) or isolate (Workers). */
export function createApp(platform: Platform) {
  const app = new OpenAPIHono<HonoEnv>();
  app.use('*', requestContext(platform));
  if (platform.nudgeOutbox) app.use('/api/v1/*', nudgeOutboxAfterWrites(platform.nudgeOutbox));
  const defaultBodyLimit = bodyLimit({
    maxSize: 1024 * 1024,
    onError: () => {
      throw new AppError('payload_too_large', 'request bodies are limited to 1 MiB');
    },
  });
  // Routes that take files apply their own, larger limit.
  const ownBodyLimit = new Set(['/api/v1/subscriber-imports', '/api/v1/usage-records']);
  // GET and HEAD carry no body; asking for one makes @hono/node-server build a full Request
  // (a tenth of a single-row read's CPU).
  const bodiless = new Set(['GET', 'HEAD']);
  app.use('/api/*', (c, next) =>
    bodiless.has(c.req.method) || ownBodyLimit.has(c.req.path) || attachmentUploadPattern.test(c.req.path)
      ? next()
      : defaultBodyLimit(c, next),
  );

  // One chain, so the app's type carries every route's schemas for the typed client (client.ts).
  const api = app
    .route('/', platformRouter)
    .route('/', authRouter)
    .route('/', meRouter)
    .route('/', usersRouter)
    .route('/', apiKeysRouter)
    .route('/', auditEventsRouter)
    .route('/', subscribersRouter)
    .route('/', customFieldsRouter)
    .route('/', tagsRouter)
    .route('/', subscriberImportsRouter)
    .route('/', ticketsRouter)
    .route('/', leadsRouter)
    .route('/', subscriptionsRouter)
    .route('/', taxRatesRouter)
    .route('/', offersRouter)
    .route('/', addonsRouter)
    .route('/', discountsRouter)
    .route('/', policySetsRouter)
    .route('/', billingSettingsRouter)
    .route('/', invoicesRouter)
    .route('/', chargesRouter)
    .route('/', paymentsRouter)
    .route('/', creditNotesRouter)
    .route('/', ledgerRouter)
    .route('/', billingRunsRouter)
    .route('/', collectionsRouter)
    .route('/', usageRouter)
    .route('/', eventsRouter)
    .route('/', webhooksRouter);
  app.route('/', docsRouter).route('/', problemTypesRouter);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An access token from a login, or a tenant API key (isk_…)',
  });
  for (const [name, header] of Object.entries(sharedHeaders)) {
    app.openAPIRegistry.registerComponent('headers', name, header);
  }
  app.openAPIRegistry.registerComponent('parameters', 'IdempotencyKey', idempotencyKeyParameter);
  // Built on first request and kept: the routes do not change while the process runs.
  let document: string | undefined;
  const info = { title: 'ISP operations platform API', version: '1' };
  app.get('/api/v1/openapi.json', (c) => {
    document ??= JSON.stringify(
      withCsvDownloads(withReplayHeaders(app.getOpenAPI31Document({ openapi: '3.1.0', info }))),
    );
    return c.body(document, 200, { 'content-type': 'application/json' });
  });
  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.notFound((c) =>
    problemResponse(c, new AppError('not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)),
  );
  app.onError((error, c) => {
    if (error instanceof AppError) return problemResponse(c, error);
    if (error instanceof HTTPException && error.status < 500) {
      return problemResponse(
        c,
        new AppError(error.status === 413 ? 'payload_too_large' : 'malformed_request', error.message),
      );
    }
    (c.get('log') ?? platform.log).error('unhandled error', {
      error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
    });
    return problemResponse(c, new AppError('internal', 'something went wrong; quote the request id when reporting it'));
  });
  return api;
}

/** The API's type: routes, inputs and outputs, for `hc` (client.ts) and tests. */
export type App = ReturnType<typeof createApp>;
