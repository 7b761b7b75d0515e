// The appliance's local HTTP endpoint: GET /health (JSON, 200 or 503), GET /metrics
// (Prometheus text), both open, and the operators' POST commands (JSON in, JSON out;
// the CoA commands of coa-routes.ts), which need the control token (control-token.ts).
// Bound to 127.0.0.1 by default: it is for the box's own monitoring agent and
// operators, not for the network.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { ControlToken } from './control-token.ts';
import { limitedLog } from './log-limiter.ts';
import type { Logger } from './log.ts';
import type { MetricsRegistry } from './metrics.ts';

export type HealthReport = { healthy: boolean } & Record<string, unknown>;

export type JsonResponse = { status: number; body: unknown };
/** Receives the parsed JSON body; validates it itself. */
export type PostHandler = (body: unknown) => Promise<JsonResponse>;

export type HttpServerOptions = {
  host: string;
  port: number;
  registry: MetricsRegistry;
  health: () => HealthReport;
  log: Logger;
  /** POST routes by path, each behind the bearer token. */
  commands?: { routes: ReadonlyMap<string, PostHandler>; token: ControlToken };
};

export type RunningHttpServer = { port: number; close(): Promise<void> };

const MAX_BODY_BYTES = 64 * 1024;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  response.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
}

function problem(response: ServerResponse, status: number, title: string, headers: Record<string, string> = {}): void {
  response
    .writeHead(status, { 'content-type': 'application/problem+json', ...headers })
    .end(JSON.stringify({ type: 'about:blank', title, status }));
}

// A browser page (any origin) can make a browser on this box POST to 127.0.0.1: a
// JSON content type forces a CORS preflight we never answer, and a Host that is not
// an IP literal or localhost means DNS rebinding (a hostile name resolved to us).
function refusePost(request: IncomingMessage): [number, string] | null {
  const host = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (host !== 'localhost' && isIP(host) === 0) return [421, 'Host must be an IP address or localhost'];
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return [415, 'Content-Type must be application/json'];
  return null;
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function handlePost(request: IncomingMessage, response: ServerResponse, handler: PostHandler): Promise<void> {
  // The body is read only after the checks: a refused request costs nothing.
  const refused = refusePost(request);
  if (refused !== null) return problem(response, refused[0], refused[1]);
  const raw = await readBody(request);
  if (raw === null) return problem(response, 413, `Body larger than ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return problem(response, 400, 'Body is not valid JSON');
  }
  const result = await handler(body);
  sendJson(response, result.status, result.body);
}

export function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  // One line per 10 s, not one per refused request (a script retrying in a loop).
  const refusedLog = limitedLog(options.log, 'warn', 10_000);
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const postHandler = options.commands?.routes.get(path);
    const fail = (error: unknown) => {
      options.log.error('http handler failed', { path, error });
      if (!response.headersSent) response.writeHead(500);
      response.end();
    };
    if (postHandler !== undefined) {
      if (request.method !== 'POST') {
        response.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      // RFC 6750 §3: 401 with a Bearer challenge, whether the token was missing or wrong.
      if (options.commands?.token.verify(request.headers.authorization) !== true) {
        refusedLog('control command refused: missing or wrong bearer token', { path });
        const challenge = { 'www-authenticate': 'Bearer realm="isp-appliance"', connection: 'close' };
        problem(response, 401, 'Missing or wrong bearer token (see control.token in the data dir)', challenge);
        return;
      }
      handlePost(request, response, postHandler).catch(fail);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (path === '/metrics') {
        response
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
          .end(options.registry.render());
      } else if (path === '/health') {
        const report = options.health();
        response
          .writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: report.healthy ? 'ok' : 'unhealthy', ...report }));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (error) {
      fail(error);
    }
  });
  // Scrapers keep connections open; never let them hold up shutdown.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
