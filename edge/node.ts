// Self-hosted entry: `npm start`. config → log → databases → app → server → signals.
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { createLogger } from './lib/logger.ts';
import { loadNodeConfig } from './node/config.ts';
import { createNodePlatform } from './node/platform.ts';
import { startMinuteScheduler } from './node/scheduler.ts';
import { demoLogins, demoTenant, seedDemoTenant } from './services/demo/seed-demo-tenant.ts';
import { ensurePlatformAdmin } from './services/platform/ensure-platform-admin.ts';
import { runScheduledJobs } from './services/scheduler/run-scheduled-jobs.ts';

const config = loadNodeConfig(process.env);
const log = createLogger({ level: config.app.logLevel });
const platform = createNodePlatform(config, log);
const app = createApp(platform);

const control = await platform.databases.controlDb();
const admin = await ensurePlatformAdmin({
  ctx: { db: control, platform, actor: { type: 'system', id: null }, requestId: 'startup', ip: null, log },
});
if (config.demo) await seedDemoTenant(platform);

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  const url = `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
  const lines = [
    '',
    `ISP platform listening on ${url}`,
    `  API reference  ${url}/api/docs`,
    `  OpenAPI        ${url}/api/v1/openapi.json`,
    `  Data           ${config.dataDir}`,
  ];
  if (admin?.password)
    lines.push('', `Platform admin created: ${admin.email} / ${admin.password}  (shown once; keep it safe)`);
  else
    lines.push('', `Platform admin: ${config.app.platformAdminEmail ?? admin?.email ?? 'as created on first start'}`);
  if (config.demo) {
    lines.push(
      '',
      `Demo tenant "${demoTenant.slug}" (POST ${url}/api/v1/auth/login ` +
        `{"tenant":"${demoTenant.slug}","email":…,"password":…}):`,
    );
    for (const login of demoLogins) lines.push(`  ${login.role.padEnd(8)} ${login.email} / ${login.password}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
});

// Each minute: SLA breaches (reads record them too), and hourly billing and collections runs.
const scheduler = startMinuteScheduler(platform, (tick) => runScheduledJobs(platform, tick));

const shutdown = (signal: string) => {
  log.info('shutting down', { signal });
  server.close(() => {
    void scheduler.stop().then(() => {
      platform.databases.close();
      process.exit(0);
    });
  });
  setTimeout(() => process.exit(1), 10_000).unref();
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
