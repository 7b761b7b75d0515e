import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Nothing in the test run may reach for the network (wrangler telemetry, cf fetch).
Object.assign(process.env, {
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  DO_NOT_TRACK: '1',
});

// One project per source folder; each runs where its code runs.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'db', include: ['test/db/**/*.test.ts'], environment: 'node' } },
      { test: { name: 'edge', include: ['test/edge/**/*.test.ts'], environment: 'node', testTimeout: 30_000 } },
      {
        // The Worker build in workerd, against a real sqld started by the global setup.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                LIBSQL_URL: inject('sqldUrl'),
                LIBSQL_ADMIN_URL: inject('sqldAdminUrl'),
                AUTH_SECRET: 'workers-test-auth-secret-0123456789abcdef',
                DATA_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
                PLATFORM_ADMIN_EMAIL: 'root@platform.test',
                PLATFORM_ADMIN_PASSWORD: 'platform-admin-password',
                LOG_LEVEL: 'warn',
                // Only test/workers/login.test.ts sends CF-Connecting-IP, so only it is counted.
                LOGIN_RATE_LIMIT: '5',
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: ['test/workers/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'appliance',
          include: ['test/appliance/**/*.test.ts', 'test/interop/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
    ],
  },
});
