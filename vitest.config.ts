import { defineConfig } from 'vitest/config';

// One project per source folder; each runs where its code runs.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'db', include: ['test/db/**/*.test.ts'], environment: 'node' } },
      { test: { name: 'edge', include: ['test/edge/**/*.test.ts'], environment: 'node' } },
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
