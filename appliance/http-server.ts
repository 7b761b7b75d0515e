// The appliance's local HTTP endpoint: GET /health (JSON, 200 or 503) and GET /metrics
// (Prometheus text). Bound to 127.0.0.1 by default: it is for the box's own monitoring
// agent, not for the network.
import { createServer } from 'node:http';
import type { Logger } from './log.ts';
import type { MetricsRegistry } from './metrics.ts';

export type HealthReport = { healthy: boolean } & Record<string, unknown>;

export type HttpServerOptions = {
  host: string;
  port: number;
  registry: MetricsRegistry;
  health: () => HealthReport;
  log: Logger;
};

export type RunningHttpServer = { port: number; close(): Promise<void> };

export function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (path === '/metrics') {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(options.registry.render());
      } else if (path === '/health') {
        const report = options.health();
        response.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: report.healthy ? 'ok' : 'unhealthy', ...report }));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (error) {
      options.log.error('http handler failed', { path, error });
      if (!response.headersSent) response.writeHead(500);
      response.end();
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
