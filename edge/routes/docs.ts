import { Hono } from 'hono';
import type { HonoEnv } from '../context.ts';

// The API reference is Swagger UI served from the swagger-ui-dist package by the runtime
// (files on Node, static assets on Workers): no CDN, and a strict CSP with no inline code.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

const init =
  `window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true, ` +
  `persistAuthorization: true });\n`;

const csp =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'";

export const docsRouter = new Hono<HonoEnv>()
  .get('/api/docs', (c) => c.html(page, 200, { 'content-security-policy': csp }))
  .get('/api/docs/init.js', (c) => c.body(init, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
  .get('/api/docs/:file{swagger-ui(?:-bundle\\.js|\\.css)}', async (c) => {
    const asset = await c.get('platform').docsAsset(c.req.param('file'));
    return asset ?? c.notFound();
  });
